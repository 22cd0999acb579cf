/**
 * Each scenario's symptom, seen through the real diagnostic command inside its lab host:
 * iostat, /proc/PID/limits and the log, ss, /proc/PID/stat, the accounting file.
 * One host per scenario; samples are short so the 2-core machine is not swamped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basename } from 'node:path';
import { parse } from 'csv-parse/sync';
import { startLab, type LabHandle } from '../../helpers/lab.js';
import { labDown } from '../../../src/lab/index.js';

const NAME = 't2';
const SCENARIOS = ['spool-io', 'fd-limit', 'port-exhaustion', 'thread-contention', 'isp-limit', 'ip-reputation'];
let lab: LabHandle;

function hostOf(scenario: string) {
  const h = lab.hosts.find((x) => x.scenario === scenario);
  if (!h) throw new Error(`no host runs ${scenario}`);
  return h;
}

async function sh(scenario: string, text: string): Promise<string> {
  const h = hostOf(scenario);
  const r = await lab.run(h.name, text);
  expect(r.exitCode, `${h.name} (${scenario}): ${text}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

/** Polls `probe` until `ok` holds (returns the last value either way). */
async function eventually<T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let v = await probe();
  while (!ok(v) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1000));
    v = await probe();
  }
  return v;
}

async function daemonPid(scenario: string): Promise<number> {
  const pid = Number((await sh(scenario, 'cat /var/lib/pmta-sim/pmtad.pid')).trim());
  expect(pid).toBeGreaterThan(1);
  return pid;
}

type AcctRow = Record<string, string>;
async function accounting(scenario: string): Promise<AcctRow[]> {
  const text = await sh(scenario, 'cat /var/log/pmta/acct.csv 2>/dev/null || true');
  if (text.trim() === '') return [];
  return parse(text, { columns: true, skip_empty_lines: true, relax_column_count: true }) as AcctRow[];
}

beforeAll(async () => {
  lab = await startLab({ name: NAME, hosts: SCENARIOS.length, scenarios: SCENARIOS, usedDevices: 'none' });
});

afterAll(async () => {
  await labDown({ name: NAME });
});

describe('lab scenarios show their symptom through the real command', () => {
  it('spool-io: the spool is its own rotational XFS device and iostat -x shows it near saturation', async () => {
    const h = hostOf('spool-io');
    expect(h.spoolDevice).toMatch(/^\/dev\/loop\d+$/);
    const dev = basename(h.spoolDevice as string);
    expect((await sh('spool-io', 'findmnt -n -o SOURCE,FSTYPE /var/spool/pmta')).trim().split(/\s+/)).toEqual([h.spoolDevice, 'xfs']);
    expect((await sh('spool-io', `cat /sys/block/${dev}/queue/rotational`)).trim()).toBe('1');
    const util = await eventually(
      async () => {
        // second report of `iostat -dx DEV 1 2` is the one-second interval; %util is the last column
        const out = await sh('spool-io', `iostat -dx ${dev} 1 2`);
        const rows = out.split('\n').filter((l) => l.startsWith(`${dev} `));
        return Number(rows.at(-1)?.trim().split(/\s+/).at(-1));
      },
      (u) => u >= 60,
      20_000,
    );
    expect(util).toBeGreaterThanOrEqual(60);
  });

  it('fd-limit: /proc/PID/limits shows the low LimitNOFILE and the log says EMFILE (the Guide\'s errno style)', async () => {
    const pid = await daemonPid('fd-limit');
    const limits = await sh('fd-limit', `cat /proc/${pid}/limits`);
    const line = limits.split('\n').find((l) => l.startsWith('Max open files')) ?? '';
    expect(line.split(/\s+/).slice(3, 5)).toEqual(['256', '256']);
    const emfile = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d EMFILE opening spool file \/var\/spool\/pmta\/\S+$/m;
    const log = await eventually(() => sh('fd-limit', 'cat /var/log/pmta/pmta.log'), (t) => emfile.test(t), 30_000);
    expect(log).toMatch(emfile);
  });

  it('port-exhaustion: a narrow local port range and sockets piling up in CLOSE-WAIT / TIME-WAIT (ss)', async () => {
    expect((await sh('port-exhaustion', 'sysctl -n net.ipv4.ip_local_port_range')).trim().split(/\s+/)).toEqual(['40000', '40500']);
    const counts = await eventually(
      async () => {
        const summary = await sh('port-exhaustion', 'ss -s');
        const timewait = Number(/timewait (\d+)/.exec(summary)?.[1] ?? 0);
        const closeWait = (await sh('port-exhaustion', 'ss -Htan state close-wait')).split('\n').filter(Boolean).length;
        return { timewait, closeWait };
      },
      (c) => c.closeWait >= 100 && c.timewait >= 20,
      30_000,
    );
    expect(counts.closeWait).toBeGreaterThanOrEqual(100);
    expect(counts.timewait).toBeGreaterThanOrEqual(20);
  });

  it('thread-contention: one processing thread and the daemon near one full core (/proc/PID/stat)', async () => {
    expect(await sh('thread-contention', 'cat /etc/pmta/config')).toMatch(/^queue-processing-threads 1$/m);
    const pid = await daemonPid('thread-contention');
    // One sample: process CPU from /proc/PID/stat, and per thread /proc/PID/task/TID/schedstat
    // (time on a CPU + time runnable but waiting for one), over 2 s.
    const script = `s() { cat /proc/${pid}/stat; for t in /proc/${pid}/task/*; do echo "T $(cat $t/schedstat)"; done; }; s; echo ---; sleep 2; s`;
    const sample = async () => {
      const [a, b] = (await sh('thread-contention', script)).split('---\n') as [string, string];
      const ticks = (t: string) => {
        const f = t.split('\n')[0]!.slice(t.indexOf(')') + 2).split(' ');
        return Number(f[11]) + Number(f[12]); // utime + stime, 100 ticks per second
      };
      const threads = (t: string) => t.split('\n').filter((l) => l.startsWith('T ')).map((l) => l.split(' ').slice(1, 3).map(Number) as [number, number]);
      const ta = threads(a);
      const tb = threads(b);
      const busiest = tb
        .map(([run, wait], i) => ({ run: (run - (ta[i]?.[0] ?? run)) / 2e9, wait: (wait - (ta[i]?.[1] ?? wait)) / 2e9 }))
        .sort((x, y) => y.run + y.wait - (x.run + x.wait))[0]!;
      return { cores: (ticks(b) - ticks(a)) / 100 / 2, busiest };
    };
    const s = await eventually(sample, (v) => v.busiest.run + v.busiest.wait >= 0.85, 15_000);
    // One thread wants a whole core all the time (on a CPU or queued for one)...
    expect(s.busiest.run + s.busiest.wait).toBeGreaterThanOrEqual(0.85);
    // ...and, unless the machine is so busy that it mostly waits, it gets close to one core.
    if (s.busiest.run / (s.busiest.run + s.busiest.wait) >= 0.8) expect(s.cores).toBeGreaterThanOrEqual(0.7);
    expect(s.cores).toBeLessThan(1.3); // one processing thread: never much more than one core
  });

  it('isp-limit: accounting full of 421 4.7.0 deferrals for gmail.com', async () => {
    const rows = await eventually(() => accounting('isp-limit'), (r) => r.filter((x) => x.type === 't').length >= 20, 30_000);
    const deferrals = rows.filter((x) => x.type === 't');
    expect(deferrals.length).toBeGreaterThanOrEqual(20);
    const gmail = deferrals.filter((x) => (x.rcpt ?? '').endsWith('@gmail.com'));
    expect(gmail.length / deferrals.length).toBeGreaterThan(0.8);
    expect(gmail.filter((x) => /421[ -]4\.7\.0/.test(x.dsnDiag ?? '')).length / gmail.length).toBeGreaterThan(0.5);
  });

  it('ip-reputation: deferrals concentrate on one or two source IPs', async () => {
    const rows = await eventually(() => accounting('ip-reputation'), (r) => r.filter((x) => x.type === 't').length >= 20, 30_000);
    const deferrals = rows.filter((x) => x.type === 't');
    expect(deferrals.length).toBeGreaterThanOrEqual(20);
    const perIp = new Map<string, number>();
    for (const d of deferrals) perIp.set(d.dlvSourceIp ?? '', (perIp.get(d.dlvSourceIp ?? '') ?? 0) + 1);
    const sorted = [...perIp.values()].sort((a, b) => b - a);
    expect(((sorted[0] ?? 0) + (sorted[1] ?? 0)) / deferrals.length).toBeGreaterThan(0.8);
    const delivered = new Set(rows.filter((x) => x.type === 'd').map((x) => x.dlvSourceIp));
    expect(delivered.size).toBeGreaterThanOrEqual(3); // all IPs send; only some are deferred
  });
});
