/**
 * The runner's private state: the state dir and everything in it must belong to the invoking
 * user, not be a symlink, and give group/other no access (dirs 0700, files 0600). Anyone else
 * who can write there could swap a journal, and `mtafleet rollback` would run their undo
 * commands on the hosts as us. So every path is checked with lstat/fstat before use, files
 * are opened with O_NOFOLLOW, created with O_EXCL, and replaced by write-temp-then-rename.
 */
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync, fsyncSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { InputError } from './errors.js';

const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_APPEND, O_NOFOLLOW } = constants;

function invoker(): number {
  return process.getuid?.() ?? -1;
}

/** What is wrong with `st` as a private dir or file of user `uid`, or null (pure). */
export function privateProblem(st: Pick<Stats, 'uid' | 'mode' | 'isSymbolicLink' | 'isDirectory' | 'isFile'>, kind: 'dir' | 'file', uid = invoker()): string | null {
  if (st.isSymbolicLink()) return 'is a symlink';
  if (kind === 'dir' && !st.isDirectory()) return 'is not a directory';
  if (kind === 'file' && !st.isFile()) return 'is not a regular file';
  if (uid >= 0 && st.uid !== uid) return `is owned by uid ${st.uid}, not by you (uid ${uid})`;
  const mode = st.mode & 0o777;
  if (mode & 0o077) return `has mode 0${mode.toString(8)}: group or other users can reach it (want 0${kind === 'dir' ? '700' : '600'})`;
  return null;
}

function refuse(path: string, problem: string): never {
  throw new InputError(`${path} ${problem}; mtafleet keeps its state only in a dir private to the invoking user (owned by you, dirs 0700, files 0600, no symlinks); fix or remove it`);
}

function code(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

/** Checks an existing private dir; false when it does not exist. */
export function checkPrivateDir(dir: string): boolean {
  // resolve() drops a trailing slash, with which lstat would follow a symlink.
  const path = resolve(dir);
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (err) {
    if (code(err) === 'ENOENT') return false;
    throw new InputError(`cannot read ${path}: ${(err as Error).message}`);
  }
  const problem = privateProblem(st, 'dir');
  if (problem) refuse(path, problem);
  return true;
}

/**
 * Creates `path` with mode 0700 (without following a symlink at it) or accepts it if it is
 * already private. `parents`: create missing parent dirs too (the state dir's own parents are
 * ordinary dirs such as ~/.local/state; only the state dir and below are checked).
 */
export function ensurePrivateDir(dir: string, parents = false): string {
  const path = resolve(dir);
  try {
    mkdirSync(path, { mode: 0o700 });
  } catch (err) {
    if (code(err) === 'ENOENT' && parents) {
      mkdirSync(dirname(path), { recursive: true });
      return ensurePrivateDir(path, false);
    }
    if (code(err) !== 'EEXIST') throw new InputError(`cannot create ${path}: ${(err as Error).message}`);
  }
  checkPrivateDir(path);
  return path;
}

/** Opens a file without following a symlink, then checks the opened file itself (fstat). */
function openChecked(path: string, flags: number): number | undefined {
  let fd: number;
  try {
    fd = openSync(path, flags | O_NOFOLLOW);
  } catch (err) {
    if (code(err) === 'ENOENT') return undefined;
    if (code(err) === 'ELOOP') refuse(path, 'is a symlink');
    throw new InputError(`cannot open ${path}: ${(err as Error).message}`);
  }
  const problem = privateProblem(fstatSync(fd), 'file');
  if (problem) {
    closeSync(fd);
    refuse(path, problem);
  }
  return fd;
}

/** A private file's text, or undefined when it does not exist. */
export function readPrivateFile(path: string): string | undefined {
  const fd = openChecked(path, O_RDONLY);
  if (fd === undefined) return undefined;
  try {
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** A new file, mode 0600, that did not exist before (O_EXCL): never someone else's file. */
export function createPrivateFile(path: string, flags = O_WRONLY | O_APPEND): number {
  try {
    return openSync(path, flags | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  } catch (err) {
    if (code(err) === 'EEXIST') refuse(path, 'already exists');
    throw new InputError(`cannot create ${path}: ${(err as Error).message}`);
  }
}

/** An existing private file opened for reading and appending (checked like a read). */
export function openPrivateAppend(path: string): number | undefined {
  return openChecked(path, O_RDWR | O_APPEND);
}

/** Writes all of `data` (writeSync may write less than asked). */
export function writeAll(fd: number, data: string): void {
  const buf = Buffer.from(data, 'utf8');
  for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
}

/**
 * Replaces `path` with `data`: written to a fresh temp file (O_EXCL, 0600) in the same dir,
 * fsynced, then renamed over it. Whatever was at `path` (another owner's file, a symlink) is
 * replaced by our file, never written into.
 */
export function writeFileReplacing(path: string, data: string): void {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = createPrivateFile(tmp, O_WRONLY);
  try {
    writeAll(fd, data);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(tmp);
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (err) {
    unlinkSync(tmp);
    throw new InputError(`cannot write ${path}: ${(err as Error).message}`);
  }
}
