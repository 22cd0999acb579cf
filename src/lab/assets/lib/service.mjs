// Starting and stopping pmtad like systemd would: detached, own session, LimitNOFILE applied
// with prlimit, pid file; stop waits for the process to exit.
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { hostPath, PATHS } from './paths.mjs';
import { loadedUnit } from './unit.mjs';
import { request } from './control.mjs';

const DAEMON = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'pmtad.mjs');
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

/** Starts pmtad; resolves { ok, pid?, message? } once it answers on its socket or has died. */
export async function startDaemon() {
  if (daemonPid()) return { ok: true, pid: daemonPid() };
  const unit = loadedUnit();
  const cap = ownHardNofile();
  const hard = Math.min(unit.hard, cap);
  const soft = Math.min(unit.soft, hard);
  fs.mkdirSync(hostPath(PATHS.logDir), { recursive: true });
  fs.mkdirSync(hostPath(PATHS.stateDir), { recursive: true });
  const out = fs.openSync(hostPath(PATHS.stdoutLog), 'a');
  const child = spawn('prlimit', [`--nofile=${soft}:${hard}`, '--', process.execPath, DAEMON], {
    detached: true,
    stdio: ['ignore', out, out],
    env: process.env,
    cwd: '/',
  });
  fs.closeSync(out);
  let exited = null;
  child.on('exit', (code) => {
    exited = code ?? 1;
  });
  child.unref();
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline) {
    if (exited !== null) return { ok: false, message: `pmtad exited with status ${exited}` };
    const pid = daemonPid();
    if (pid === child.pid) {
      try {
        await request(hostPath(PATHS.socket), 'queues', {}, 2000);
        return { ok: true, pid };
      } catch {
        /* not listening yet */
      }
    }
    await sleep(100);
  }
  return { ok: false, message: 'timeout waiting for pmtad' };
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
