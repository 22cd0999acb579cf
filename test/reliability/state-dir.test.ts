/**
 * Private state (issue #13 items 3 and 10), through the CLI against a real sshd host:
 *  - a state dir, run record or journal another user could have swapped (foreign owner,
 *    symlink, group/other access) is refused with exit 1 before any host is touched;
 *  - a journal whose records were edited, inserted, removed or cut is refused by `rollback`
 *    (exit 3) naming the journal and the first bad record, and no undo runs (canary);
 *    a torn last line (runner killed mid-write) still rolls back;
 *  - `plan --out` onto another user's file leaves our own 0600 file;
 *  - the host lock: a missing parent is an error saying so, a world-writable parent is
 *    refused, and a local user's /var/lock/mtafleet.lock no longer blocks runs.
 * Needs root (chown to nobody, the host's /var/lib/mtafleet), as the tests run here.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, rmdirSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startOneHost, type OneHost } from './fixture.js';

const NOBODY = 65534;
let fx: OneHost;
let host: string;
let canary: string;
let pb: string;
let inv: string;

beforeAll(async () => {
  fx = await startOneHost('sd');
  host = join(fx.dir, 'host');
  canary = join(fx.dir, 'CANARY');
  mkdirSync(host);
  pb = fx.write(
    'pb.yaml',
    `- name: two files
  hosts: mta
  tasks:
    - name: conf
      file: { path: "${host}/app.conf", content: "new\\n" }
    - name: limits
      file: { path: "${host}/limits.conf", content: "new\\n" }
`,
  );
  inv = fx.inventory('inv.yaml');
}, 120_000);

afterAll(async () => {
  await fx?.cleanup();
});

beforeEach(() => {
  for (const f of ['app.conf', 'limits.conf']) writeFileSync(join(host, f), 'old\n');
  rmSync(fx.stateDir, { recursive: true, force: true });
});

const hostFiles = () => ['app.conf', 'limits.conf'].map((f) => readFileSync(join(host, f), 'utf8'));
const journalOf = (runId: string) => join(fx.stateDir, 'runs', runId, 'journal.jsonl');
const runJsonOf = (runId: string) => join(fx.stateDir, 'runs', runId, 'run.json');

async function applied(): Promise<{ runId: string; lines: string[] }> {
  const r = await fx.cli(['run', pb, '-i', inv, '--format', 'json']);
  expect(r.code, r.stderr).toBe(0);
  expect(hostFiles()).toEqual(['new\n', 'new\n']);
  const runId = JSON.parse(r.stdout).runId as string;
  return { runId, lines: readFileSync(journalOf(runId), 'utf8').trim().split('\n') };
}

/** Rollback must refuse with `code` and `message`, and leave the host as the run left it. */
async function rollbackRefused(runId: string, code: number, message: RegExp | string): Promise<void> {
  const r = await fx.cli(['rollback', runId]);
  expect(r.code, r.stdout + r.stderr).toBe(code);
  if (typeof message === 'string') expect(r.stderr).toContain(message);
  else expect(r.stderr).toMatch(message);
  expect(hostFiles()).toEqual(['new\n', 'new\n']);
  expect(existsSync(canary)).toBe(false);
}

/** An intent whose undo would create the canary on the host. */
const evilUndo = (line: string) => JSON.stringify({ ...JSON.parse(line), undo: [{ type: 'exec', command: `touch ${canary}` }] });

describe('journal integrity (rollback)', () => {
  it('an untouched journal rolls back', async () => {
    const { runId, lines } = await applied();
    expect(lines.map((l) => JSON.parse(l).type)).toEqual(['intent', 'done', 'intent', 'done']);
    const r = await fx.cli(['rollback', runId]);
    expect(r.code, r.stderr).toBe(0);
    expect(hostFiles()).toEqual(['old\n', 'old\n']);
  }, 120_000);

  it('an edited undo command is refused, naming the journal and the record; nothing runs', async () => {
    const { runId, lines } = await applied();
    const edited = evilUndo(lines[2]);
    expect(edited).toContain('CANARY');
    writeFileSync(journalOf(runId), [lines[0], lines[1], edited, lines[3]].join('\n') + '\n');
    await rollbackRefused(runId, 3, `${journalOf(runId)}:4: journal record 4 does not follow record 3`);
    // The last record edited: nothing follows it, the run record's anchor catches it.
    writeFileSync(journalOf(runId), [lines[0], lines[1], lines[2], lines[3].replace('"done"', '"undone"')].join('\n') + '\n');
    await rollbackRefused(runId, 3, `${journalOf(runId)}:4: journal record 4 does not match the chain head`);
  }, 120_000);

  it('an inserted, a removed, a reordered or a cut record is refused; nothing runs', async () => {
    const { runId, lines } = await applied();
    const file = journalOf(runId);
    writeFileSync(file, [lines[0], evilUndo(lines[2]), ...lines.slice(1)].join('\n') + '\n');
    await rollbackRefused(runId, 3, `${file}:2: journal record 2 does not follow record 1`);
    writeFileSync(file, [lines[0], lines[2], lines[3]].join('\n') + '\n');
    await rollbackRefused(runId, 3, `${file}:2: journal record 2 does not follow record 1`);
    writeFileSync(file, [lines[2], lines[3], lines[0], lines[1]].join('\n') + '\n');
    await rollbackRefused(runId, 3, `${file}:1: journal record 1 does not start the chain of this run`);
    writeFileSync(file, lines.slice(0, 3).join('\n') + '\n');
    await rollbackRefused(runId, 3, `${file}:4: journal record 4 is missing (the run record counted 4 records, the journal has 3)`);
    writeFileSync(file, [...lines, evilUndo(lines[2])].join('\n') + '\n');
    await rollbackRefused(runId, 3, `${file}:5: journal record 5 does not follow record 4`);
  }, 120_000);

  it('a journal from another run is refused', async () => {
    const first = await applied();
    for (const f of ['app.conf', 'limits.conf']) writeFileSync(join(host, f), 'old\n');
    const second = await applied();
    writeFileSync(journalOf(second.runId), first.lines.join('\n') + '\n');
    await rollbackRefused(second.runId, 3, 'journal record 1 does not start the chain of this run');
  }, 120_000);

  it('a torn last line (runner killed mid-write) still rolls back, and the journal stays valid', async () => {
    const { runId, lines } = await applied();
    // As a SIGKILLed runner leaves it: the run record never finished, the last record torn.
    const rec = JSON.parse(readFileSync(runJsonOf(runId), 'utf8'));
    delete rec.journal;
    writeFileSync(runJsonOf(runId), JSON.stringify({ ...rec, finishedAt: null }));
    truncateSync(journalOf(runId), Buffer.byteLength(lines.slice(0, 3).join('\n') + '\n') + 20);
    const r = await fx.cli(['rollback', runId, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(hostFiles()).toEqual(['old\n', 'old\n']);
    const again = await fx.cli(['rollback', runId]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('nothing to undo');
    const types = readFileSync(journalOf(runId), 'utf8').trim().split('\n').map((l) => JSON.parse(l).type);
    expect(types).toEqual(['intent', 'done', 'intent', 'undone', 'undone']);
  }, 120_000);
});

describe('private state dir', () => {
  it('a state dir owned by another user is refused (exit 1) before any host is touched', async () => {
    mkdirSync(fx.stateDir, { mode: 0o700 });
    chownSync(fx.stateDir, NOBODY, NOBODY);
    const logins = () => fx.sshd.log().split('\n').filter((l) => l.includes('Accepted')).length;
    const before = logins();
    const r = await fx.cli(['run', pb, '-i', inv]);
    expect(r.code, r.stdout).toBe(1);
    expect(r.stderr).toContain(`${fx.stateDir} is owned by uid 65534, not by you (uid 0)`);
    expect(hostFiles()).toEqual(['old\n', 'old\n']);
    expect(existsSync(join(fx.stateDir, 'runs'))).toBe(false);
    for (const args of [['runs'], ['rollback', 'x', '-i', inv], ['audit', '-i', inv]]) {
      const x = await fx.cli(args);
      expect([args[0], x.code]).toEqual([args[0], 1]);
      expect(x.stderr).toContain('is owned by uid 65534');
    }
    // Refused before any connection: the host never saw a login (a run that may does log one).
    expect(logins()).toBe(before);
    rmSync(fx.stateDir, { recursive: true });
    expect((await fx.cli(['run', pb, '-i', inv, '--check'])).code).toBe(0);
    expect(logins()).toBeGreaterThan(before);
  }, 120_000);

  it('a state dir that is a symlink is refused', async () => {
    const real = join(fx.dir, 'real-state');
    mkdirSync(real, { mode: 0o700 });
    symlinkSync(real, fx.stateDir);
    try {
      const r = await fx.cli(['run', pb, '-i', inv]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${fx.stateDir} is a symlink`);
      expect(hostFiles()).toEqual(['old\n', 'old\n']);
    } finally {
      rmSync(fx.stateDir);
      rmSync(real, { recursive: true });
    }
  }, 120_000);

  it('a run record or journal with a foreign owner, a symlink or group write access is refused; nothing runs', async () => {
    const { runId, lines } = await applied();
    const journal = journalOf(runId);
    chownSync(runJsonOf(runId), NOBODY, NOBODY);
    await rollbackRefused(runId, 1, `${runJsonOf(runId)} is owned by uid 65534`);
    chownSync(runJsonOf(runId), 0, 0);
    chmodSync(journal, 0o620);
    await rollbackRefused(runId, 1, `${journal} has mode 0620`);
    // Someone else's journal linked in: refused, not followed.
    const theirs = join(fx.dir, 'theirs.jsonl');
    writeFileSync(theirs, lines.join('\n') + '\n', { mode: 0o600 });
    renameSync(journal, `${journal}.orig`);
    symlinkSync(theirs, journal);
    await rollbackRefused(runId, 1, `${journal} is a symlink`);
    const runs = await fx.cli(['runs', runId]);
    expect(runs.code, runs.stderr).toBe(0);
  }, 120_000);
});

describe('plan --out', () => {
  it('onto an existing file owned by another user: the result is our own file, 0600', async () => {
    const out = join(fx.dir, 'plan.json');
    writeFileSync(out, 'theirs\n');
    chownSync(out, NOBODY, NOBODY);
    chmodSync(out, 0o666);
    const r = await fx.cli(['plan', pb, '-i', inv, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const st = statSync(out);
    expect([st.uid, st.mode & 0o777]).toEqual([0, 0o600]);
    expect(JSON.parse(readFileSync(out, 'utf8')).format).toBe('mtafleet-plan');
    rmSync(out);
  }, 120_000);
});

describe('host lock', () => {
  it('a lock path whose parent is missing is an error saying so, not "locked by (unknown)"', async () => {
    const lock = join(fx.dir, 'no-such-dir', 'lock');
    const r = await fx.cli(['run', pb, '-i', writeInventory('inv-nolock.yaml', lock), '--format', 'json']);
    expect(r.code, r.stderr).toBe(2);
    const err = JSON.parse(r.stdout).hosts[0].error as string;
    expect(err).toContain(`cannot create the lock directory ${lock}`);
    expect(err).toContain(`parent directory ${join(fx.dir, 'no-such-dir')} does not exist`);
    expect(err).not.toContain('locked by');
    expect(hostFiles()).toEqual(['old\n', 'old\n']);
  }, 120_000);

  it('a lock under a directory other users can write is refused (exit 3)', async () => {
    const open = join(fx.dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o1777);
    const r = await fx.cli(['run', pb, '-i', writeInventory('inv-open.yaml', join(open, 'lock')), '--format', 'json']);
    expect(r.code, r.stderr).toBe(3);
    expect(JSON.parse(r.stdout).hosts[0].error).toContain(`the lock's parent directory ${open} is writable by other users (mode 1777)`);
    expect(hostFiles()).toEqual(['old\n', 'old\n']);
  }, 120_000);

  it("a local user's /var/lock/mtafleet.lock no longer blocks a run; the default lock dir is root-only", async () => {
    // The default lock on the real machine: /var/lib/mtafleet (created if missing, removed after).
    const squat = '/var/lock/mtafleet.lock';
    const hadVarLib = existsSync('/var/lib/mtafleet');
    const squatted = !existsSync(squat);
    if (squatted) {
      mkdirSync(squat);
      writeFileSync(join(squat, 'owner'), 'run=squatter\ntime=2020-01-01T00:00:00Z\nuser=nobody\n');
      chownSync(join(squat, 'owner'), NOBODY, NOBODY);
      chownSync(squat, NOBODY, NOBODY);
    }
    const seen = join(fx.dir, 'lock-seen');
    const lockPb = fx.write(
      'pb-lock.yaml',
      `- name: see the lock
  hosts: mta
  tasks:
    - name: record the lock while held
      command: { cmd: "stat -c '%U %a' /var/lib/mtafleet /var/lib/mtafleet/run.lock > ${seen}" }
`,
    );
    try {
      const r = await fx.cli(['run', lockPb, '-i', writeInventory('inv-default.yaml'), '--format', 'json']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const [dir, lock] = readFileSync(seen, 'utf8').trim().split('\n');
      expect(lock).toBe('root 700');
      expect(dir.split(' ')[0]).toBe('root');
      if (!hadVarLib) expect(dir).toBe('root 700');
      expect(existsSync('/var/lib/mtafleet/run.lock')).toBe(false);
    } finally {
      if (squatted) rmSync(squat, { recursive: true, force: true });
      rmSync('/var/lib/mtafleet/run.lock', { recursive: true, force: true });
      if (!hadVarLib && existsSync('/var/lib/mtafleet')) rmdirSync('/var/lib/mtafleet');
    }
  }, 120_000);
});

/** The fixture's inventory with another lock path (or none: the default). */
function writeInventory(name: string, lockPath?: string): string {
  const text = readFileSync(inv, 'utf8')
    .split('\n')
    .filter((l) => !l.includes('mtafleet_lock_path'))
    .join('\n');
  const withLock = lockPath ? text.replace(/(\n\s+)ansible_host:/, `$1mtafleet_lock_path: ${lockPath}$1ansible_host:`) : text;
  return fx.write(name, withLock);
}
