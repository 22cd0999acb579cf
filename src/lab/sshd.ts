import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { runOk, sleep } from './proc.js';

/** Host keys and the per-host sshd process. */

export async function generateKey(file: string, type: 'ed25519' | 'ecdsa', comment: string): Promise<void> {
  await runOk('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', comment, '-f', file]);
}

/**
 * Starts `ip netns exec NS unshare ... sh setup.sh` detached; the chain execs into sshd, so
 * the returned pid is sshd's (and stays valid after this process exits).
 */
export function spawnHost(netns: string, setupScript: string, logFile: string): { pid: number; exited: () => number | null } {
  const log = openSync(logFile, 'a', 0o600);
  const child = spawn('ip', ['netns', 'exec', netns, 'unshare', '--mount', '--uts', '--propagation', 'private', 'sh', setupScript], {
    detached: true,
    stdio: ['ignore', log, log],
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' },
  });
  closeSync(log);
  let exitCode: number | null = null;
  child.on('exit', (code, signal) => {
    exitCode = code ?? (signal ? 128 : 1);
  });
  child.on('error', () => {
    exitCode = 127;
  });
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start the sshd of ${netns}`);
  return { pid: child.pid, exited: () => exitCode };
}

function bannerAt(address: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: address, port: 22 });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('data', (b: Buffer) => done(b.toString('latin1').startsWith('SSH-')));
    sock.once('error', () => done(false));
  });
}

export function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Waits until sshd answers with its banner; throws with the log tail if it died or timed out. */
export async function waitForSshd(opts: { host: string; address: string; logFile: string; exited: () => number | null; timeoutMs?: number }): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  while (Date.now() < deadline) {
    const code = opts.exited();
    if (code !== null) throw new Error(`${opts.host}: sshd setup exited with ${code}:\n${tail(opts.logFile)}`);
    if (await bannerAt(opts.address, 1000)) return;
    await sleep(30);
  }
  throw new Error(`${opts.host}: sshd did not answer on ${opts.address}:22 in time:\n${tail(opts.logFile)}`);
}
