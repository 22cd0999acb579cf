// Starting and stopping pmtad like systemd would: detached, own session, LimitNOFILE applied
// with prlimit, pid file; stop waits for the process to exit.
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { hostPath, PATHS } from './paths.mjs';
import { loadedUnit } from './unit.mjs';

const DAEMON = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'pmtad.mjs');
/**
 * V8 settings for pmtad: an idle simulator uses ~6 MB of heap, but the default young generation
 * (semi-spaces of up to 16 MB) grew to 32 MB at the first start and stayed. The old-space cap is
 * far above what a busy world uses (3000 queued messages: ~10 MB); one V8 helper thread is plenty.
 */
export const DAEMON_NODE_FLAGS = ['--max-semi-space-size=1', '--max-old-space-size=512', '--v8-pool-size=1'];
/** How long `systemctl start` waits for pmtad to say it is up (systemd's TimeoutStartSec is 90 s). */
const START_TIMEOUT_MS = 20000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function alive(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('pmtad') && !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

/** Pid of the running daemon, or null. */
export function daemonPid() {
  try {
    const pid = Number(fs.readFileSync(hostPath(PATHS.pidFile), 'utf8').trim());
    return pid > 0 && alive(pid) ? pid : null;
  } catch {
    return null;
  }
}

/** Our own hard RLIMIT_NOFILE: without CAP_SYS_RESOURCE (containers) a child cannot get more. */
function ownHardNofile() {
  const m = /^Max open files\s+\S+\s+(\S+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
  return m && m[1] !== 'unlimited' ? Number(m[1]) : Infinity;
}

/**
 * Starts pmtad; resolves { ok, pid?, message? } once it is up (it writes "ready" on fd 3, a pipe,
 * after its control socket listens) or has died.
 */
export async function startDaemon() {
  if (daemonPid()) return { ok: true, pid: daemonPid() };
  const unit = loadedUnit();
  const cap = ownHardNofile();
  const hard = Math.min(unit.hard, cap);
  const soft = Math.min(unit.soft, hard);
  fs.mkdirSync(hostPath(PATHS.logDir), { recursive: true });
  fs.mkdirSync(hostPath(PATHS.stateDir), { recursive: true });
  const out = fs.openSync(hostPath(PATHS.stdoutLog), 'a');
  const child = spawn('prlimit', [`--nofile=${soft}:${hard}`, '--', process.execPath, ...DAEMON_NODE_FLAGS, DAEMON], {
    detached: true,
    stdio: ['ignore', out, out, 'pipe'],
    env: { ...process.env, PMTAD_READY_FD: '3' },
    cwd: '/',
  });
  fs.closeSync(out);
  const result = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ ok: false, message: 'timeout waiting for pmtad' }), START_TIMEOUT_MS);
    const done = (r) => {
      clearTimeout(timer);
      resolve(r);
    };
    let said = '';
    child.stdio[3].on('data', (d) => {
      said += d;
      if (said.includes('ready\n')) done({ ok: true, pid: child.pid });
    });
    child.stdio[3].on('error', () => {});
    child.on('exit', (code) => done({ ok: false, message: `pmtad exited with status ${code ?? 1}` }));
    child.on('error', (err) => done({ ok: false, message: `cannot run prlimit: ${err.message}` }));
  });
  child.stdio[3].destroy();
  child.unref();
  return result;
}

/** Sends SIGTERM and waits until the process is gone (SIGKILL after 20 s, as systemd's timeout). */
export async function stopDaemon() {
  const pid = daemonPid();
  if (!pid) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 20000;
  while (alive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      await sleep(200);
      break;
    }
    await sleep(50);
  }
  fs.rmSync(hostPath(PATHS.pidFile), { force: true });
}
