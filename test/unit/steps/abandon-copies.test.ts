/**
 * The undo of spool-migrate's copies when the runner was killed mid-copy: a copy script left
 * running on the host keeps writing into its work directory, so it must be stopped before its
 * files are removed (removing first failed with "Directory not empty" in the SIGKILL fault test).
 * Run for real under `sh` with a stand-in copy that writes a file every 10 ms in its own session.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ABANDON_COPIES } from '../../../src/steps/spool/scripts.js';
import { sh } from '../../../src/transport/quote.js';
import { runLocal } from './local-shell.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mtaf-abandon-'));
const started: number[] = [];
afterAll(() => {
  for (const pid of started) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already stopped (what the test expects)
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

const WRITER = 'echo $$ > "$3/$4.pid"; w=$3/$4.work; mkdir -p "$w"; i=0; while :; do i=$((i + 1)); : > "$w/f$i"; sleep 0.01; done';

/** Starts the stand-in copy as a host would have it: its own session, not our child (init reaps it). */
async function startCopy(dst: string, state: string, id: string): Promise<number> {
  spawnSync('setsid', ['-f', 'sh', '-c', WRITER, 'mtafleet-precopy', path.join(dir, 'old'), dst, state, id], { stdio: 'ignore' });
  const pidFile = path.join(state, `${id}.pid`);
  for (let i = 0; i < 100 && !existsSync(pidFile); i += 1) await new Promise((r) => setTimeout(r, 20));
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  started.push(pid);
  return pid;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('ABANDON_COPIES', () => {
  it('stops a left-over copy still writing into its work files, then removes them', async () => {
    const state = path.join(dir, 'state');
    const dst = path.join(dir, 'new');
    mkdirSync(state);
    mkdirSync(dst);
    const id = 'ab12cd34';
    const pid = await startCopy(dst, state, id);
    const work = path.join(state, `${id}.work`);
    for (let i = 0; i < 100 && !(existsSync(work) && readdirSync(work).length > 5); i += 1) await new Promise((r) => setTimeout(r, 20));
    expect(readdirSync(work).length, 'the stand-in copy writes').toBeGreaterThan(5);

    const r = runLocal(sh`sh -c ${ABANDON_COPIES} mtafleet-abandon-copies ${[dst, state, id]}`.text);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`stopping mtafleet-precopy \\(pid ${pid}\\) left writing into ${dst}`));
    expect(existsSync(work)).toBe(false);
    await new Promise((r2) => setTimeout(r2, 100));
    expect(alive(pid)).toBe(false);
  });

  it('leaves a copy into another destination alone', async () => {
    const state = path.join(dir, 'state2');
    mkdirSync(state);
    const other = await startCopy(path.join(dir, 'elsewhere'), state, 'cd34ab12');
    await new Promise((r) => setTimeout(r, 100));
    const r = runLocal(sh`sh -c ${ABANDON_COPIES} mtafleet-abandon-copies ${[path.join(dir, 'new'), state, 'ab12cd34']}`.text);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(alive(other)).toBe(true);
    expect(existsSync(path.join(state, 'cd34ab12.work'))).toBe(true);
  });
});
