/**
 * The host lock's shell, run by a real local `sh` (as root, and as nobody for a session that
 * is not root): errors say what is wrong, the owner file is parsed as hostile text, and a
 * non-root session locks in its own ~/.local/state/mtafleet. Needs root (runs as 65534).
 */
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LOCK_PATH, parseOwner, remoteLock } from '../../../src/engine/lock.js';
import type { Command } from '../../../src/transport/quote.js';
import type { ExecResult, HostConnection } from '../../../src/transport/types.js';
import { RefusedError, StepError } from '../../../src/util/errors.js';

const NOBODY = 65534;
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function temp(): string {
  const d = mkdtempSync(join(tmpdir(), 'mtaf-sd-lock-'));
  dirs.push(d);
  return d;
}

/** A "host" that is this machine's sh, optionally as another uid with its own HOME. */
function localHost(as?: { uid: number; home: string }): HostConnection {
  return {
    name: 'local',
    exec: (command: Command) =>
      new Promise<ExecResult>((resolve) => {
        const opts = as ? { uid: as.uid, gid: as.uid, env: { PATH: process.env.PATH, HOME: as.home } } : {};
        execFile('sh', ['-c', command.text], opts, (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
          resolve({ stdout, stderr, exitCode: code, signal: null, durationMs: 1 });
        });
      }),
    readFile: async () => null,
    writeFileAtomic: async () => undefined,
    close: async () => undefined,
  };
}

const owner = (run: string) => ({ run, time: new Date().toISOString(), user: 'ops' });

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the lock to be refused');
}

describe('remote lock', () => {
  it('takes, refuses a second run naming the owner, lets the owning run back in, releases', async () => {
    const conn = localHost();
    const lock = join(temp(), 'run.lock');
    await remoteLock.acquire(conn, lock, owner('r1'));
    expect(statSync(lock).mode & 0o777).toBe(0o700);
    const err = await rejection(remoteLock.acquire(conn, lock, owner('r2')));
    expect(err).toBeInstanceOf(RefusedError);
    expect(err.message).toMatch(/locked by run r1 of ops since/);
    await remoteLock.acquire(conn, lock, owner('rb'), { takeOverFrom: 'r1' });
    await remoteLock.release(conn, lock, 'r2');
    expect(existsSync(lock)).toBe(true);
    await remoteLock.release(conn, lock, 'rb');
    expect(existsSync(lock)).toBe(false);
  });

  it('a missing parent directory is an error saying so, not "locked by (unknown)"', async () => {
    const lock = join(temp(), 'missing', 'run.lock');
    const err = await rejection(remoteLock.acquire(localHost(), lock, owner('r1')));
    expect(err).toBeInstanceOf(StepError);
    expect(err.message).toContain(`cannot create the lock directory ${lock}: the lock's parent directory ${join(lock, '..')} does not exist`);
  });

  it('a file in the way is an error with mkdir\'s own message', async () => {
    const lock = join(temp(), 'run.lock');
    writeFileSync(lock, 'x');
    const err = await rejection(remoteLock.acquire(localHost(), lock, owner('r1')));
    expect(err).toBeInstanceOf(StepError);
    expect(err.message).toMatch(/cannot create the lock directory .*File exists/);
  });

  it('a parent another user owns, or that others can write, is refused', async () => {
    const theirs = join(temp(), 'theirs');
    mkdirSync(theirs, { mode: 0o755 });
    chownSync(theirs, NOBODY, NOBODY);
    const a = await rejection(remoteLock.acquire(localHost(), join(theirs, 'run.lock'), owner('r1')));
    expect(a).toBeInstanceOf(RefusedError);
    expect(a.message).toContain(`the lock's parent directory ${theirs} belongs to uid 65534`);
    const open = join(temp(), 'open');
    mkdirSync(open);
    chmodSync(open, 0o775);
    const b = await rejection(remoteLock.acquire(localHost(), join(open, 'run.lock'), owner('r1')));
    expect(b.message).toContain(`${open} is writable by other users (mode 775)`);
    expect(existsSync(join(open, 'run.lock'))).toBe(false);
  });

  it('a session that is not root locks in its own ~/.local/state/mtafleet (0700), not /var/lib', async () => {
    const home = temp();
    chownSync(home, NOBODY, NOBODY);
    const conn = localHost({ uid: NOBODY, home });
    await remoteLock.acquire(conn, DEFAULT_LOCK_PATH, owner('r1'));
    const lock = join(home, '.local', 'state', 'mtafleet', 'run.lock');
    expect(statSync(lock).uid).toBe(NOBODY);
    expect(statSync(join(lock, '..')).mode & 0o777).toBe(0o700);
    const err = await rejection(remoteLock.acquire(conn, DEFAULT_LOCK_PATH, owner('r2')));
    expect(err.message).toContain(`remove ${lock} on the host`);
    await remoteLock.release(conn, DEFAULT_LOCK_PATH, 'r1');
    expect(existsSync(lock)).toBe(false);
  });

  it('the owner file is hostile text: known keys only, first wins, bounded', async () => {
    const lock = join(temp(), 'run.lock');
    mkdirSync(lock, { mode: 0o700 });
    writeFileSync(join(lock, 'owner'), `lock=/elsewhere\nrun=${'x'.repeat(300)}\nuser=eve\nuser=mallory\n`);
    const err = await rejection(remoteLock.acquire(localHost(), lock, owner('r1')));
    expect(err.message).toContain(`remove ${lock} on the host`);
    expect(err.message).toContain('locked by run (unknown) of eve');
    expect(parseOwner('run=a\nrun=b\nother=c\n')).toEqual({ run: 'a' });
  });
});
