/**
 * `lab down` after a crash: a state file that lacks what was learnt after creating a resource
 * (loop device names, sshd pid), or no state file at all, still leaves nothing behind.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labFiles, labUp, loadState, type LabState } from '../../../src/lab/index.js';
import { saveState } from '../../../src/lab/state.js';

const NAME = 't3';

function processes(state: LabState): number[] {
  return state.hosts.flatMap((h) => execFileSync('ip', ['netns', 'pids', h.netns], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number));
}

function expectNothingLeft(state: LabState, pids: number[]): void {
  const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
  for (const h of state.hosts) {
    expect(netns).not.toContain(h.netns);
    expect(links).not.toContain(`${h.veth}@`);
  }
  expect(links).not.toContain(`${state.bridge}:`);
  expect(execFileSync('losetup', ['-a'], { encoding: 'utf8' })).not.toContain(state.labDir);
  for (const pid of pids) {
    const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
    expect(stat === '' || / [ZX] /.test(stat.slice(stat.lastIndexOf(')'))), `pid ${pid} alive`).toBe(true);
  }
  expect(existsSync(state.labDir)).toBe(false);
}

afterAll(async () => {
  await labDown({ name: NAME });
});

describe('lab down after a crash', () => {
  it('finds loop devices and processes the state file never recorded', async () => {
    const status = await labUp({ name: NAME, hosts: 2 });
    const file = labFiles(status.labDir).state;
    const full = loadState(file) as LabState;
    const pids = processes(full);
    expect(pids.length).toBeGreaterThanOrEqual(4); // sshd + pmtad per host
    // As if we had crashed right after each losetup and spawn, before recording the result.
    const damaged: LabState = { ...full, hosts: full.hosts.map(({ sshdPid: _p, sshdStartTime: _s, ...h }) => ({ ...h, loops: h.loops.map(({ device: _d, ...l }) => l) })) };
    saveState(file, damaged);
    const result = await labDown({ name: NAME });
    expect(result.problems).toEqual([]);
    expectNothingLeft(full, pids);
  });

  it('removes a lab whose state file is gone, from the names it gives its resources', async () => {
    const status = await labUp({ name: NAME, hosts: 2 });
    const full = loadState(labFiles(status.labDir).state) as LabState;
    const pids = processes(full);
    rmSync(labFiles(status.labDir).state);
    const result = await labDown({ name: NAME });
    expect(result.problems).toEqual([]);
    expect(result.found).toBe(true);
    expectNothingLeft(full, pids);
  });

  it('refuses a second lab with the same name and cleans up after a failed up', async () => {
    await labUp({ name: NAME, hosts: 1 });
    await expect(labUp({ name: NAME, hosts: 1 })).rejects.toThrow(/already exists/);
    expect((await labDown({ name: NAME })).problems).toEqual([]);
    await expect(labUp({ name: NAME, hosts: 1, scenarios: ['no-such-scenario'] })).rejects.toThrow(/unknown scenario/);
  });

  it('never takes over or deletes a --lab-dir holding files of its own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mtaf-t3-'));
    try {
      writeFileSync(join(dir, 'precious.txt'), 'keep me');
      await expect(labUp({ name: NAME, hosts: 1, labDir: dir })).rejects.toThrow(/not empty/);
      const down = await labDown({ name: NAME, labDir: dir });
      expect(down.problems.join(' ')).toMatch(/did not write \(precious.txt\)/);
      expect(readFileSync(join(dir, 'precious.txt'), 'utf8')).toBe('keep me');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
