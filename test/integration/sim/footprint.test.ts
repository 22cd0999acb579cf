/**
 * What one simulator costs: a lab host runs one pmtad for its whole life and every probe runs
 * `pmta show status`, so 50 hosts multiply these figures. Before the fixes a first start took
 * ~0.5 s of daemon CPU and the idle daemon held ~50-60 MB of private memory (RssAnon); now
 * ~0.15 s and ~13 MB. The bounds leave room for a loaded 2-core machine; CPU time (not wall
 * time) is measured, so waiting for a core does not count.
 */
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain .mjs asset without type declarations
import { DEFAULT_WORLD } from '../../../src/lab/assets/lib/world.mjs';
import { BIN, freePort, makeRoot, run } from './simd.js';

const TICK_MS = 10; // USER_HZ = 100

let root = '';
afterAll(async () => {
  if (root) {
    await run(root, 'systemctl', ['stop', 'pmta']);
    rmSync(root, { recursive: true, force: true });
  }
});

/** utime+stime of a process (ms), from /proc/PID/stat. */
function ownCpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_MS;
}

/** Runs a simulator command under sh and returns the CPU it and its waited-for children used (ms). */
function childCpuMs(cmd: string, args: string[]): Promise<{ code: number; cpuMs: number; stderr: string }> {
  const script = `"$0" "$@" >/dev/null; rc=$?; cat /proc/$$/stat; exit $rc`;
  return new Promise((resolve) => {
    execFile('sh', ['-c', script, path.join(BIN, cmd), ...args], { env: { ...process.env, PMTA_SIM_ROOT: root }, timeout: 60_000 }, (err, stdout, stderr) => {
      const f = stdout.trim().split(') ')[1].split(' ');
      // Fields 16 and 17 of stat: cutime, cstime (children the shell waited for).
      resolve({ code: err ? Number(err.code ?? 1) : 0, cpuMs: (Number(f[13]) + Number(f[14])) * TICK_MS, stderr });
    });
  });
}

const status = (pid: number, key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

describe('simulator footprint', () => {
  it('first start with a full day of history: little CPU in the shim and the daemon, small private memory when idle', async () => {
    root = makeRoot(await freePort(), { hourlyVolume: DEFAULT_WORLD.hourlyVolume, inbound: { perMinute: 60 } });
    const start = await childCpuMs('systemctl', ['start', 'pmta']);
    expect(start.code, start.stderr).toBe(0);
    const pid = Number(readFileSync(path.join(root, 'var/lib/pmta-sim/pmtad.pid'), 'utf8'));
    const daemonStartMs = ownCpuMs(pid);

    // The whole day is on disk when start returns (an audit may read it right away).
    const records = readFileSync(path.join(root, 'var/log/pmta/acct.csv'), 'utf8').split('\n').length - 2;
    const day = DEFAULT_WORLD.hourlyVolume.reduce((a: number, b: number) => a + b, 0);
    expect(records).toBe(day);

    const show = await childCpuMs('pmta', ['show', 'status']);
    expect(show.code, show.stderr).toBe(0);
    await new Promise((r) => setTimeout(r, 3000));
    const anonKb = status(pid, 'RssAnon');
    const rssKb = status(pid, 'VmRSS');
    console.log(`systemctl start ${start.cpuMs} ms CPU, pmtad to ready ${daemonStartMs} ms CPU, pmta show status ${show.cpuMs} ms CPU; idle pmtad VmRSS ${rssKb} kB, RssAnon ${anonKb} kB`);

    // CPU figures are printed for the record only: speed is judged by `npm run bench`, not by
    // timed tests. Memory is a size, not a speed, and is checked.
    // VmRSS also counts the node binary's shared file pages (~34-42 MB, paid once for all daemons).
    expect(anonKb).toBeLessThan(30 * 1024);
  });
});
