/**
 * Remote file read and atomic write, over exec so that become (sudo) works for both.
 * The write follows STYLE.md rule 9: temp file in the same directory (mktemp), same mode and
 * owner as the file it replaces, fsync, rename over the target, fsync the directory.
 */
import { posix } from 'node:path';
import { ExecError, OutputTooLargeError } from '../util/errors.js';
import { formatBytes } from './capped.js';
import { join, sh, type Command } from './quote.js';
import type { RawResult } from './channel.js';
import type { WriteFileOptions } from './types.js';

export type RawExec = (command: Command, opts: { stdin?: string | Buffer; become?: boolean }) => Promise<RawResult>;

/** Exit status the read script uses for "no such file" (cat itself exits 1 on errors). */
const MISSING = 44;

/**
 * `[ -e ]` is also false when a directory on the way cannot be searched, so "missing" is only
 * reported when the nearest existing ancestor can be entered; otherwise it is an error.
 */
export function readFileCommand(path: string): Command {
  const dir = posix.dirname(path);
  return join(
    ';',
    sh`if [ -e ${path} ] || [ -L ${path} ]; then exec cat -- ${path}; fi`,
    sh`d=${dir}`,
    sh`while [ ! -e "$d" ]; do d=$(dirname -- "$d"); done`,
    sh`if (cd -- "$d") 2>/dev/null; then exit ${MISSING}; fi`,
    sh`echo "Permission denied: cannot look into $d" >&2`,
    sh`exit 1`,
  );
}

/**
 * The file's bytes. A file longer than the output cap is an error, never its first part:
 * a plan or an undo built from a cut file would write the cut file back.
 */
export async function readRemoteFile(exec: RawExec, hostName: string, path: string, become: boolean | undefined, maxBytes: number): Promise<Buffer | null> {
  if (!posix.isAbsolute(path)) throw new TypeError(`remote path must be absolute: ${path}`);
  const r = await exec(readFileCommand(path), { become });
  if (r.discarded.stdout > 0) {
    throw new OutputTooLargeError(`${hostName}: cannot read ${path}: it is larger than ${formatBytes(maxBytes)} (mtafleet_max_output); a partial copy is never used`);
  }
  if (r.exitCode === 0) return r.stdout;
  if (r.exitCode === MISSING) return null;
  throw new ExecError(`${hostName}: cannot read ${path}: ${describeFailure(r)}`);
}

export function writeFileCommand(path: string, options: WriteFileOptions = {}): Command {
  if (!posix.isAbsolute(path)) throw new TypeError(`remote path must be absolute: ${path}`);
  const dir = posix.dirname(path);
  const template = posix.join(dir, `.${posix.basename(path)}.mtafleet.XXXXXX`);
  const parts: Command[] = [
    sh`tmp=$(mktemp ${template}) || exit 1`,
    // Remove the temp file on any failure; after the rename it no longer exists.
    sh`trap 'rm -f -- "$tmp"' EXIT`,
    sh`cat > "$tmp" || exit 1`,
    sh`if [ -e ${path} ]; then chmod --reference=${path} -- "$tmp" && chown --reference=${path} -- "$tmp" || exit 1; else chmod 644 -- "$tmp" || exit 1; fi`,
  ];
  if (options.mode !== undefined) parts.push(sh`chmod ${options.mode.toString(8).padStart(4, '0')} -- "$tmp" || exit 1`);
  if (options.owner !== undefined) parts.push(sh`chown ${options.owner} -- "$tmp" || exit 1`);
  if (options.group !== undefined) parts.push(sh`chgrp ${options.group} -- "$tmp" || exit 1`);
  parts.push(sh`sync -- "$tmp" || exit 1`, sh`mv -f -- "$tmp" ${path} || exit 1`, sh`sync -- ${dir} 2>/dev/null || true`);
  return join(';', ...parts);
}

export async function writeRemoteFileAtomic(
  exec: RawExec,
  hostName: string,
  path: string,
  data: string | Buffer,
  options: WriteFileOptions = {},
): Promise<void> {
  if (options.mode !== undefined && (!Number.isInteger(options.mode) || options.mode < 0 || options.mode > 0o7777)) {
    throw new TypeError(`file mode must be between 0 and 07777, got ${options.mode}`);
  }
  const r = await exec(writeFileCommand(path, options), { stdin: data, become: options.become });
  if (r.exitCode !== 0) throw new ExecError(`${hostName}: cannot write ${path}: ${describeFailure(r)}`);
}

function describeFailure(r: RawResult): string {
  const text = r.stderr.toString('utf8').trim().split('\n').slice(-3).join('; ');
  const status = r.exitCode === null ? `killed by ${r.signal ?? 'a signal'}` : `exit ${r.exitCode}`;
  return text ? `${text} (${status})` : status;
}
