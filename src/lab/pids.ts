import { readFileSync } from 'node:fs';
import { sleep } from './proc.js';

/**
 * Process start time (field 22 of /proc/PID/stat), or null when the process is gone or a
 * zombie (a container's pid 1 may never reap it, yet it holds no resources).
 */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces or parentheses: split after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return null;
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

/** True when `pid` is alive and is the same process that was recorded (same start time). */
export function isSameProcess(pid: number, startTime: string | undefined): boolean {
  const now = processStartTime(pid);
  if (now === null) return false;
  return startTime === undefined || now === startTime;
}

export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** SIGTERM, wait up to graceMs, then SIGKILL; returns the pids still alive at the end. */
export async function terminate(pids: Array<{ pid: number; startTime?: string }>, graceMs = 1500): Promise<number[]> {
  let alive = pids.filter((p) => isSameProcess(p.pid, p.startTime));
  for (const p of alive) signal(p.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive.length > 0 && Date.now() < deadline) {
    await sleep(50);
    alive = alive.filter((p) => isSameProcess(p.pid, p.startTime));
  }
  for (const p of alive) signal(p.pid, 'SIGKILL');
  const killDeadline = Date.now() + 2000;
  while (alive.length > 0 && Date.now() < killDeadline) {
    await sleep(50);
    alive = alive.filter((p) => isSameProcess(p.pid, p.startTime));
  }
  return alive.map((p) => p.pid);
}
