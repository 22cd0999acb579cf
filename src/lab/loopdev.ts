import { openSync, closeSync, ftruncateSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { run, runOk, sleep } from './proc.js';

/** Sparse backing files on loop devices: the lab's stand-ins for disks. */

export const GiB = 1024 ** 3;
export const MiB = 1024 ** 2;

export function createSparseFile(file: string, bytes: number): void {
  const fd = openSync(file, 'w', 0o600);
  try {
    ftruncateSync(fd, bytes);
  } finally {
    closeSync(fd);
  }
}

/** Attaches a file to the first free loop device; retries the race with concurrent callers. */
export async function attachLoop(file: string): Promise<string> {
  let last = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const r = await run('losetup', ['--find', '--show', file]);
    if (r.exitCode === 0 && r.stdout.trim().startsWith('/dev/loop')) return r.stdout.trim();
    last = r.stderr.trim();
    await sleep(50 * (attempt + 1));
  }
  throw new Error(`losetup --find --show ${file} failed: ${last}`);
}

/** Presents the device as an SSD (false) or a spinning disk (true) to lsblk, iostat and probes. */
export function setRotational(device: string, rotational: boolean): void {
  writeFileSync(`/sys/block/${basename(device)}/queue/rotational`, rotational ? '1' : '0');
}

export async function makeXfs(device: string): Promise<void> {
  await runOk('mkfs.xfs', ['-q', '-f', device]);
}

/**
 * Puts a data file on a filesystem device, mounting it in a throw-away mount namespace so no
 * mount is left in the root namespace even if we crash here.
 */
export async function writeDataFile(device: string, mountPoint: string): Promise<void> {
  const script = 'set -e; mount "$1" "$2"; head -c 1048576 /dev/urandom > "$2/customer-data.bin"; echo "existing data, do not format" > "$2/README"; umount "$2"';
  await runOk('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', device, mountPoint]);
}

/** Loop devices currently backed by `file` (after a crash the state may not name them). */
export async function loopsOfFile(file: string): Promise<string[]> {
  const r = await run('losetup', ['--associated', file, '--noheadings', '--output', 'NAME']);
  if (r.exitCode !== 0) return [];
  return r.stdout.split('\n').map((s) => s.trim()).filter((s) => s.startsWith('/dev/loop'));
}

/** Detaches every loop device of `file`; a busy one is detached by the kernel once released. */
export async function detachLoopsOfFile(file: string, waitMs = 5000): Promise<string | null> {
  for (const dev of await loopsOfFile(file)) await run('losetup', ['--detach', dev]);
  const deadline = Date.now() + waitMs;
  let left = await loopsOfFile(file);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(100);
    for (const dev of left) await run('losetup', ['--detach', dev]);
    left = await loopsOfFile(file);
  }
  return left.length > 0 ? `loop device ${left.join(', ')} (backing ${file}) is still attached` : null;
}

/** Loop devices whose backing file lies under `dir` (finds them even without a state file). */
export async function loopsUnder(dir: string): Promise<Array<{ device: string; file: string }>> {
  const r = await run('losetup', ['--list', '--noheadings', '--output', 'NAME,BACK-FILE']);
  if (r.exitCode !== 0) return [];
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return r.stdout
    .split('\n')
    .map((line) => /^(\/dev\/loop\d+)\s+(.+?)(?: \(deleted\))?\s*$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null && (m[2] as string).startsWith(prefix))
    .map((m) => ({ device: m[1] as string, file: m[2] as string }));
}
