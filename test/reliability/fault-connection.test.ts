/**
 * Fault injection, the connection and the fleet around a run of a sysctl + pmta-config change
 * (two-host lab): the link cut or the sshd session killed before / during / after an action,
 * a rollback while the host stays unreachable, two runners on one host, a host key changed
 * and a host removed from the inventory between plan and apply. After the fault and the
 * recovery (automatic rollback, `mtafleet rollback RUN_ID`) each host is in its observed
 * starting state or fully applied — never in between.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startLab, type LabHandle } from '../helpers/lab.js';
import { FIXTURES, journalLines, labStateFile, newestRunId, runJsonOf, sleep, snapshot, waitFor, workspace, type Workspace, type CliResult } from './fault-support.js';

const TUNE = join(FIXTURES, 'fault-tune.yaml');
const HANG = join(FIXTURES, 'fault-hang.yaml');
const PLANNED = join(FIXTURES, 'fault-plan.yaml');

let lab: LabHandle;
let ws: Workspace;
const start: Record<string, string> = {};
let applied: string;
let fullJournal: number;

function veth(host: string): string {
  const h = labStateFile(lab).hosts.find((x) => x.name === host);
  if (!h) throw new Error(`no ${host} in the lab state`);
  return h.veth;
}

function link(host: string, state: 'up' | 'down'): void {
  execFileSync('ip', ['link', 'set', veth(host), state]);
}

/** Kills the per-connection sshd processes of one lab host (children of its listening sshd), by pid. */
async function killSessions(host: string): Promise<number> {
  const sshd = lab.hosts.find((h) => h.name === host)!.sshdPid;
  const kids = readFileSync(`/proc/${sshd}/task/${sshd}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  for (const pid of kids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  return kids.length;
}

/** Starts `run`, waits until its journal holds `records` lines, then calls `fault`. */
async function runWithFault(args: string[], records: number, fault: () => Promise<void> | void) {
  const before = newestRunId(ws.stateDir);
  const { done } = ws.start(args);
  let runId: string | undefined;
  const reached = await waitFor(() => {
    const id = newestRunId(ws.stateDir);
    if (id && id !== before) runId = id;
    return runId !== undefined && journalLines(ws.stateDir, runId).length >= records;
  }, 60_000);
  if (reached) await fault();
  const result = await done;
  return { reached, runId: runId!, result };
}

beforeAll(async () => {
  ws = workspace('conn');
  lab = await startLab({ name: 'f3', hosts: 2, scenarios: ['healthy', 'healthy'] });
  for (const h of lab.hosts) start[h.name] = await snapshot(lab, h.name);
  const run = await ws.cli(['run', TUNE, '-i', lab.inventoryFile, '--limit', 'mta01', '--format', 'json']);
  if (run.code !== 0) throw new Error(`reference run failed (exit ${run.code}): ${run.stderr}${run.stdout}`);
  const runId = runJsonOf(run).runId;
  fullJournal = journalLines(ws.stateDir, runId).length;
  applied = await snapshot(lab, 'mta01');
  const back = await ws.cli(['rollback', runId]);
  if (back.code !== 0) throw new Error(`reference rollback failed: ${back.stdout}${back.stderr}`);
}, 180_000);

afterAll(async () => {
  try {
    for (const h of lab?.hosts ?? []) execFileSync('ip', ['link', 'set', veth(h.name), 'up']);
  } finally {
    try {
      await lab?.down();
    } finally {
      ws?.cleanup();
    }
  }
});

const json = ['--format', 'json'];
const only1 = () => ['-i', lab.inventoryFile, '--limit', 'mta01', ...json];

describe('the SSH connection drops mid-run', () => {
  // Journal record 1 = the first intent (inside the first action), the middle, and the last
  // `done` (after every action, before the lock is released).
  const points = () => [1, Math.ceil(fullJournal / 2), fullJournal];

  it.each([0, 1, 2])('link cut for 3 s at point %i: the run completes or fails cleanly; rollback restores the start', async (i) => {
    const at = points()[i];
    const { reached, runId, result } = await runWithFault(['run', TUNE, ...only1()], at, async () => {
      link('mta01', 'down');
      await sleep(3000);
      link('mta01', 'up');
    });
    expect(reached).toBe(true);
    const outcome = runJsonOf(result).hosts[0];
    const now = await snapshot(lab, 'mta01');
    // A short cut only stalls TCP: the run finishes, and the host is fully applied.
    if (outcome.status === 'changed') expect(now).toBe(applied);
    else expect([start.mta01, applied]).toContain(now);
    const back = await ws.cli(['rollback', runId]);
    expect(back.code, back.stdout + back.stderr).toBe(0);
    expect(await snapshot(lab, 'mta01')).toBe(start.mta01);
  });

  it.each([0, 1, 2])('sshd session killed at point %i: the host fails, `mtafleet rollback` restores the start', async (i) => {
    const at = points()[i];
    let killed = 0;
    const { reached, runId, result } = await runWithFault(['run', TUNE, ...only1()], at, async () => {
      killed = await killSessions('mta01');
    });
    const run = runJsonOf(result);
    const afterRun = await snapshot(lab, 'mta01');
    // Roll back before asserting, so a failed assertion cannot leave the host changed for the
    // tests after this one.
    const back = await ws.cli(['rollback', runId]);
    const restored = await snapshot(lab, 'mta01');
    expect(reached).toBe(true);
    // The last point is after the last action: the runner may already have closed its
    // session, and then there is nothing to kill and the run counts as done.
    if (killed === 0) expect(run.hosts[0].status, 'no session was killed, yet the run did not finish').toBe('changed');
    if (run.hosts[0].status === 'changed') expect(afterRun).toBe(applied);
    else {
      expect(run.hosts[0].status).toMatch(/failed|unreachable/);
      expect(result.code === 2 || result.code === 4).toBe(true);
      // The automatic rollback could not reach the host either: the error says how to retry.
      if (/could not undo/.test(run.hosts[0].error ?? '')) expect(run.hosts[0].error).toContain(`mtafleet rollback ${runId}`);
    }
    expect(back.code, back.stdout + back.stderr).toBe(0);
    expect(restored).toBe(start.mta01);
    expect((await lab.run('mta01', 'ls -d /var/lib/mtafleet/run.lock 2>/dev/null || echo free')).stdout.trim()).toBe('free');
  });

  it('a rollback while the host stays unreachable names every change not restored and how to restore it; later it completes', async () => {
    const run = await ws.cli(['run', TUNE, ...only1()]);
    expect(run.code, run.stderr).toBe(0);
    const runId = runJsonOf(run).runId;
    link('mta01', 'down');
    let blocked;
    try {
      blocked = await ws.cli(['rollback', runId]);
    } finally {
      link('mta01', 'up');
    }
    expect(blocked.code, blocked.stdout + blocked.stderr).toBe(4);
    expect(blocked.stdout).toMatch(/mta01\s+unreachable/);
    expect(blocked.stdout).toMatch(/NOT RESTORED on mta01: \/etc\/pmta\/config: total-max-smtp-out 10000 -> 20000/);
    expect(blocked.stdout).toMatch(/NOT RESTORED on mta01: set net.core.somaxconn 4096 -> 65535/);
    expect(blocked.stdout).toMatch(/to restore by hand: .*sysctl -w .*net.core.somaxconn.*4096/);
    expect(blocked.stdout).toContain(`mtafleet rollback ${runId}`);
    expect(await snapshot(lab, 'mta01')).toBe(applied);
    const back = await ws.cli(['rollback', runId]);
    expect(back.code, back.stdout + back.stderr).toBe(0);
    expect(await snapshot(lab, 'mta01')).toBe(start.mta01);
  });
});

describe('two runners on the same host at once', () => {
  it('the second is refused (exit 3) naming the first run; the host ends consistent', async () => {
    await lab.run('mta01', `mkdir -p /root/mtaf-fault-bin && printf '%s\\n' '#!/bin/sh' 'exec systemctl "$@"' > /root/mtaf-fault-bin/systemctl && chmod 755 /root/mtaf-fault-bin/systemctl`);
    // The second runner starts once the first has journaled its first change (it holds the lock from before).
    let second: CliResult | undefined;
    const a = await runWithFault(['run', HANG, ...only1(), '-e', 'pause=2'], 1, async () => {
      second = await ws.cli(['run', TUNE, ...only1()]);
    });
    const firstId = a.runId;
    expect(second).toBeDefined();
    if (!second) return;
    expect(second.code, second.stdout + second.stderr).toBe(3);
    const refused = runJsonOf(second);
    expect(refused.hosts[0]).toMatchObject({ name: 'mta01', status: 'refused', changes: 0 });
    expect(refused.hosts[0].error).toContain(`locked by run ${firstId}`);
    expect(journalLines(ws.stateDir, refused.runId)).toEqual([]);
    expect(a.result.code, a.result.stdout + a.result.stderr).toBe(0);
    const back = await ws.cli(['rollback', firstId]);
    expect(back.code, back.stdout + back.stderr).toBe(0);
    expect(await snapshot(lab, 'mta01')).toBe(start.mta01);
  });
});

describe('between plan and apply', () => {
  it("a host's key changes: that host is refused as unreachable, nothing is applied there; the other host is applied", async () => {
    const planFile = join(ws.dir, 'keys.plan');
    const plan = await ws.cli(['plan', PLANNED, '-i', lab.inventoryFile, '--out', planFile]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    const dir = labStateFile(lab).hosts.find((h) => h.name === 'mta01')!.dir;
    const keys = ['ssh_host_ed25519_key', 'ssh_host_ecdsa_key'].map((k) => join(dir, k));
    for (const k of keys) copyFileSync(k, `${k}.mtaf-fault-orig`), copyFileSync(`${k}.pub`, `${k}.pub.mtaf-fault-orig`);
    let applyResult;
    try {
      // sshd re-executes itself per connection and reads its host keys then: new keys, no restart.
      for (const k of keys) execFileSync('ssh-keygen', ['-q', '-t', k.includes('ed25519') ? 'ed25519' : 'ecdsa', '-N', '', '-f', k], { input: 'y\n' });
      applyResult = await ws.cli(['apply', planFile, '--yes', ...json]);
    } finally {
      for (const k of keys) copyFileSync(`${k}.mtaf-fault-orig`, k), copyFileSync(`${k}.pub.mtaf-fault-orig`, `${k}.pub`);
    }
    expect(applyResult.code, applyResult.stdout + applyResult.stderr).toBe(4);
    const r = runJsonOf(applyResult);
    const byName = Object.fromEntries(r.hosts.map((h) => [h.name, h]));
    expect(byName.mta01.status).toBe('unreachable');
    expect(byName.mta01.error).toMatch(/host key/i);
    expect(byName.mta02.status).toBe('changed');
    expect(journalLines(ws.stateDir, r.runId).filter((l) => l.includes('"mta01"'))).toEqual([]);
    expect(await snapshot(lab, 'mta01')).toBe(start.mta01);
    const back = await ws.cli(['rollback', r.runId]);
    expect(back.code, back.stdout + back.stderr).toBe(0);
    expect(await snapshot(lab, 'mta02')).toBe(start.mta02);
  });

  it('a host removed from the inventory: apply refuses the whole plan (exit 1) and touches nothing', async () => {
    const inventory = join(ws.dir, 'inventory.yaml');
    writeFileSync(inventory, readFileSync(lab.inventoryFile));
    const planFile = join(ws.dir, 'removed.plan');
    const plan = await ws.cli(['plan', PLANNED, '-i', inventory, '--out', planFile]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    // Drop mta02 (its host entry and its group membership lines).
    const text = readFileSync(inventory, 'utf8');
    const without = text.replace(/^( +)mta02:\n(\1 +.*\n)*/gm, '');
    expect(without).not.toContain('mta02');
    writeFileSync(inventory, without);
    const apply = await ws.cli(['apply', planFile, '--yes', ...json]);
    expect(apply.code, apply.stdout + apply.stderr).toBe(1);
    expect(apply.stderr).toMatch(/inventory .* changed since the plan was made/);
    for (const h of lab.hosts) expect(await snapshot(lab, h.name)).toBe(start[h.name]);
  });
});
