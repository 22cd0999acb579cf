/**
 * The private state dir: a dir or file that another user owns, that is a symlink, or that
 * group/other can reach is refused with its path and what is wrong; nothing is written through
 * it. Needs root to chown to nobody (65534), as the tests run here.
 */
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureRunDir } from '../../../src/engine/journal.js';
import { listRuns, readRunRecord, writeRunRecord, type RunRecord } from '../../../src/engine/run-record.js';
import { writePlanFile, type PlanBody } from '../../../src/engine/planfile.js';
import { loadAccountingCursor, saveAccountingCursor } from '../../../src/probes/accounting-cursor.js';
import { checkPrivateDir, ensurePrivateDir, privateProblem, readPrivateFile, writeFileReplacing } from '../../../src/util/private-fs.js';
import { InputError } from '../../../src/util/errors.js';

const NOBODY = 65534;
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function temp(): string {
  const d = mkdtempSync(join(tmpdir(), 'mtaf-sd-unit-'));
  dirs.push(d);
  return d;
}

const record = (runId: string): RunRecord => ({
  runId, check: false, hosts: [], summary: { ok: 0, changed: 0, failed: 0, unreachable: 0, refused: 0 }, notRun: [],
  command: 'run', startedAt: '2026-01-01T00:00:00Z', finishedAt: null, user: 'u', playbook: null, inventory: null,
});

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return (err as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('privateProblem', () => {
  const st = (o: { uid?: number; mode?: number; link?: boolean; dir?: boolean }) => ({
    uid: o.uid ?? 0, mode: o.mode ?? 0o700, isSymbolicLink: () => o.link ?? false, isDirectory: () => o.dir ?? true, isFile: () => !(o.dir ?? true),
  });
  it('names what is wrong', () => {
    expect(privateProblem(st({}), 'dir', 0)).toBeNull();
    expect(privateProblem(st({ dir: false, mode: 0o600 }), 'file', 0)).toBeNull();
    expect(privateProblem(st({ link: true }), 'dir', 0)).toBe('is a symlink');
    expect(privateProblem(st({ uid: NOBODY }), 'dir', 0)).toBe('is owned by uid 65534, not by you (uid 0)');
    expect(privateProblem(st({ mode: 0o750 }), 'dir', 0)).toMatch(/has mode 0750: group or other/);
    expect(privateProblem(st({ dir: false, mode: 0o602 }), 'file', 0)).toMatch(/has mode 0602/);
    expect(privateProblem(st({ dir: false }), 'dir', 0)).toBe('is not a directory');
  });
});

describe('state dir', () => {
  it('is created 0700 with its parents; run dirs too', () => {
    const state = join(temp(), 'a', 'b', 'state');
    ensureRunDir(state, 'r1');
    for (const d of [state, join(state, 'runs'), join(state, 'runs', 'r1')]) expect(statSync(d).mode & 0o777).toBe(0o700);
  });

  it('owned by another user is refused, nothing created in it', () => {
    const state = join(temp(), 'state');
    mkdirSync(state, { mode: 0o700 });
    chownSync(state, NOBODY, NOBODY);
    expect(refusal(() => ensureRunDir(state, 'r1'))).toContain(`${state} is owned by uid 65534, not by you (uid 0)`);
    expect(refusal(() => listRuns(state))).toContain('owned by uid 65534');
    expect(existsSync(join(state, 'runs'))).toBe(false);
  });

  it('a symlink (even to a private dir of ours) is refused, not followed', () => {
    const root = temp();
    const real = join(root, 'real');
    mkdirSync(real, { mode: 0o700 });
    symlinkSync(real, join(root, 'state'));
    expect(refusal(() => ensureRunDir(join(root, 'state'), 'r1'))).toContain(`${join(root, 'state')} is a symlink`);
    expect(refusal(() => writeRunRecord(join(root, 'state'), record('r1')))).toContain('is a symlink');
    expect(refusal(() => ensureRunDir(`${join(root, 'state')}/`, 'r1'))).toContain(`${join(root, 'state')} is a symlink`);
    expect(existsSync(join(real, 'runs'))).toBe(false);
  });

  it('group/other access is refused, not silently narrowed', () => {
    const state = join(temp(), 'state');
    mkdirSync(state);
    chmodSync(state, 0o755);
    expect(refusal(() => ensureRunDir(state, 'r1'))).toContain('has mode 0755');
    expect(checkPrivateDir(join(state, 'missing'))).toBe(false);
  });

  it('a run dir inside a private state dir that someone else owns is refused', () => {
    const state = join(temp(), 'state');
    ensureRunDir(state, 'r1');
    writeRunRecord(state, record('r1'));
    chownSync(join(state, 'runs', 'r1'), NOBODY, NOBODY);
    expect(refusal(() => readRunRecord(state, 'r1'))).toContain('runs/r1 is owned by uid 65534');
    expect(refusal(() => listRuns(state))).toContain('runs/r1 is owned by uid 65534');
  });
});

describe('files in the state dir', () => {
  function withRun(): { state: string; file: string } {
    const state = join(temp(), 'state');
    writeRunRecord(state, record('r1'));
    return { state, file: join(state, 'runs', 'r1', 'run.json') };
  }

  it('run.json is 0600, replaced by temp + rename', () => {
    const { state, file } = withRun();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const inode = statSync(file).ino;
    writeRunRecord(state, { ...record('r1'), user: 'v' });
    expect(statSync(file).ino).not.toBe(inode);
    expect(readRunRecord(state, 'r1').user).toBe('v');
  });

  it('a foreign owner, a symlink or group-writable mode is refused on read', () => {
    const { state, file } = withRun();
    chownSync(file, NOBODY, NOBODY);
    expect(refusal(() => readRunRecord(state, 'r1'))).toContain(`${file} is owned by uid 65534`);
    chownSync(file, 0, 0);
    chmodSync(file, 0o620);
    expect(refusal(() => readRunRecord(state, 'r1'))).toContain(`${file} has mode 0620`);
    rmSync(file);
    const elsewhere = join(temp(), 'other.json');
    writeFileSync(elsewhere, JSON.stringify(record('r1')), { mode: 0o600 });
    symlinkSync(elsewhere, file);
    expect(refusal(() => readRunRecord(state, 'r1'))).toContain(`${file} is a symlink`);
    expect(refusal(() => readPrivateFile(file))).toContain('is a symlink');
  });

  it('accounting cursors: a foreign cursor file is refused, a symlinked cursor dir too', () => {
    const state = join(temp(), 'state');
    const cursor = { version: 2, hostId: 'ab', windowHours: 24, newest: null, files: [], buckets: {}, ranges: [], edge: null, counts: { badtime: 0, noheader: 0, unterminated: 0 }, mx: {} };
    saveAccountingCursor(state, 'h1', cursor as never);
    expect(loadAccountingCursor(state, 'h1')).toEqual(cursor);
    const file = join(state, 'accounting', 'h1.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    chownSync(file, NOBODY, NOBODY);
    expect(refusal(() => loadAccountingCursor(state, 'h1'))).toContain('is owned by uid 65534');
    rmSync(join(state, 'accounting'), { recursive: true });
    const fake = join(temp(), 'fake');
    mkdirSync(fake, { mode: 0o700 });
    symlinkSync(fake, join(state, 'accounting'));
    expect(refusal(() => saveAccountingCursor(state, 'h1', cursor as never))).toContain('accounting is a symlink');
    expect(existsSync(join(fake, 'h1.json'))).toBe(false);
  });
});

describe('plan --out', () => {
  it('an existing file owned by someone else is replaced by ours (0600), not written into', () => {
    const dir = temp();
    const out = join(dir, 'plan.json');
    writeFileSync(out, 'theirs\n', { mode: 0o666 });
    chownSync(out, NOBODY, NOBODY);
    chmodSync(out, 0o666);
    writePlanFile(out, { format: 'mtafleet-plan', version: 1, plays: [] } as unknown as PlanBody);
    const st = lstatSync(out);
    expect([st.uid, st.mode & 0o777, st.isFile()]).toEqual([0, 0o600, true]);
    expect(readFileSync(out, 'utf8')).toContain('"mtafleet-plan"');
  });

  it('a symlink at the target is replaced; the file it pointed to is untouched', () => {
    const dir = temp();
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'keep\n');
    symlinkSync(victim, join(dir, 'plan.json'));
    writeFileReplacing(join(dir, 'plan.json'), 'plan\n');
    expect(readFileSync(victim, 'utf8')).toBe('keep\n');
    expect(lstatSync(join(dir, 'plan.json')).isSymbolicLink()).toBe(false);
    expect(readFileSync(join(dir, 'plan.json'), 'utf8')).toBe('plan\n');
  });

  it('a dir that cannot be written is an input error naming the path', () => {
    expect(refusal(() => writeFileReplacing('/nonexistent-mtaf-sd/plan.json', 'x'))).toContain('/nonexistent-mtaf-sd/plan.json');
  });
});

it('ensurePrivateDir accepts an existing private dir as it is', () => {
  const d = join(temp(), 'p');
  ensurePrivateDir(d);
  ensurePrivateDir(d);
  expect(statSync(d).mode & 0o777).toBe(0o700);
});
