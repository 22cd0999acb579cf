import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cpuBusy, parseCpu, procStatTicks } from '../../../src/probes/cpu.js';
import { parseFd, parseLimits } from '../../../src/probes/fd.js';
import { emptyStatus, mergeHttpStatus, parsePmtaStatusOutput, parseShowDomains, parseShowStatus, parseShowVmtas } from '../../../src/probes/pmta-status.js';
import { parsePorts, parseSsSummary } from '../../../src/probes/ports.js';
import { parseIostat, parseSpoolDisk } from '../../../src/probes/spool-disk.js';

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/probes/${name}`, import.meta.url), 'utf8');
const sub = (name: string, text: string, rc = 0): string => `@@mtafleet-sub ${name}\n${text}\n@@mtafleet-rc ${name} ${rc}\n`;

describe('pmta show status (UG §6.2.1 layout)', () => {
  it('reads traffic, connections, queue, spool and status without warnings', () => {
    const facts = emptyStatus();
    const warnings: string[] = [];
    parseShowStatus(fixture('pmta-show-status.txt'), facts, warnings);
    expect(warnings).toEqual([]);
    expect(facts.host).toBe('example.port25.com');
    expect(facts.traffic.lastMin).toEqual({ in: { rcpts: 45063, msgs: 298, kbytes: 11632.6 }, out: { rcpts: 45021, msgs: 45021, kbytes: 1658056.5 } });
    expect(facts.traffic.lastHour?.out.msgs).toBe(939263);
    expect(facts.connections).toEqual({ smtpIn: { active: 0, top: 1, max: 5 }, smtpOut: { active: 10000, top: 10000, max: 10000 } });
    expect(facts.queue.smtp).toEqual({ rcpts: 99459, domains: 2895, kbytes: 3985272.8 });
    expect(facts.spool).toEqual({ filesInUse: 5667, recycled: 0 });
    expect(facts.status).toBe('running');
    expect(facts.startedAt).toBe('2018-09-10 20:02:12');
    expect(facts.uptime).toBe('0 0:20:01');
  });

  it('turns unknown lines into warnings', () => {
    const warnings: string[] = [];
    parseShowStatus('PowerMTA v5.0 status on h on 2018-09-10 10:16:19\nLicense expires in 3 days\n', emptyStatus(), warnings);
    expect(warnings).toEqual(['pmta-status: pmta show status line 2: unrecognised: License expires in 3 days']);
  });

  it('reads show vmtas and show domains', () => {
    const warnings: string[] = [];
    expect(parseShowVmtas(fixture('pmta-show-vmtas.txt'), warnings)).toEqual([
      { name: 'vmta572', domains: 13, rcpts: 18, kbytes: 0.1, connections: 16 },
      { name: 'vmta103', domains: 1, rcpts: 8, kbytes: 0.1, connections: 8 },
    ]);
    // UG §6.3.12 sample: 20 rows in name order.
    const domains = parseShowDomains(fixture('pmta-show-domains.txt'), warnings);
    expect(domains).toHaveLength(20);
    expect(domains[0]).toEqual({ domain: 'test1.port25.com', rcpts: 7, kbytes: 30.6, connections: 0, lastError: '' });
    expect(domains[9]).toEqual({ domain: 'test18.port25.com', rcpts: 3, kbytes: 30.6, connections: 0, lastError: 'ETIMEDOUT connect...' });
    expect(warnings).toEqual([]);
  });

  it('HTTP JSON (UG §5.3 /status?format=json and §6.2.1 JSON-Style sample, envelope data.mta/data.status) gives its figures', () => {
    const fromJson = emptyStatus();
    expect(mergeHttpStatus(fixture('pmta-status.json'), fromJson, [])).toBe(true);
    expect(fromJson.traffic.lastHour).toEqual({ in: { rcpts: 348700, msgs: 4936, kbytes: 33.7 }, out: { rcpts: 348704, msgs: 348704, kbytes: 142245.3 } });
    expect(fromJson.traffic.lastMin?.out.msgs).toBe(5809);
    expect(fromJson.connections).toEqual({ smtpIn: { active: 1, top: 1, max: 5 }, smtpOut: { active: 0, top: 157, max: 1200 } });
    expect(fromJson.queue).toEqual({ smtp: { rcpts: 805, domains: 226, kbytes: 5.5 } });
    expect(fromJson.spool).toEqual({ filesInUse: 504, recycled: 0 });
    expect(fromJson.status).toBe('running');
    expect(fromJson.startedAt).toBe('2019-02-19 17:15:07');
    expect(fromJson.version).toBe('5.0b1');
    // The text figures win where both exist.
    const both = emptyStatus();
    parseShowStatus(fixture('pmta-show-status.txt'), both, []);
    mergeHttpStatus(fixture('pmta-status.json'), both, []);
    expect(both.traffic.lastHour?.out.msgs).toBe(939263);
  });

  it('is unavailable when neither the CLI nor HTTP answers, ok with HTTP only', () => {
    const none = parsePmtaStatusOutput({ stdout: '@@mtafleet-missing pmta command\n' + sub('http', 'curl: (7) Failed to connect', 7), stderr: '', exitCode: 0 });
    expect(none.status).toBe('unavailable');
    if (none.status === 'unavailable') expect(none.reason).toMatch(/pmta command not found.*Failed to connect/);
    const http = parsePmtaStatusOutput({ stdout: '@@mtafleet-missing pmta command\n' + sub('http', fixture('pmta-status.json')), stderr: '', exitCode: 0 });
    expect(http.status === 'ok' && http.facts.sources).toEqual(['http']);
    expect(http.status === 'ok' && http.facts.deliveredLastHour).toBe(348704);
  });

  it('rejects non-JSON HTTP answers with a warning', () => {
    const warnings: string[] = [];
    expect(mergeHttpStatus('<html>401</html>', emptyStatus(), warnings)).toBe(false);
    expect(warnings[0]).toMatch(/not JSON/);
  });
});

describe('iostat -x across sysstat versions', () => {
  it('sysstat 12.6 (captured on this machine)', () => {
    const { rows, warnings } = parseIostat(fixture('iostat-sysstat-12.6.1.txt'));
    expect(warnings).toEqual([]);
    expect(rows).toEqual([{ device: 'vda', readsPerSec: 239, readAwaitMs: 1.76, writesPerSec: 0, writeAwaitMs: 0, queueSize: 0.42, util: 4.8 }]);
  });

  it('sysstat 11.7 (RHEL 8 column order)', () => {
    const { rows } = parseIostat(fixture('iostat-sysstat-11.7.3-rhel8.txt'));
    expect(rows.find((r) => r.device === 'nvme0n1')).toEqual({ device: 'nvme0n1', readsPerSec: 0, writesPerSec: 120, readAwaitMs: 0, writeAwaitMs: 0.05, queueSize: 0.01, util: 0.96 });
  });

  it('sysstat 10 (Device:, avgqu-sz, await and r_await/w_await)', () => {
    const { rows } = parseIostat(fixture('iostat-sysstat-10.1.5-rhel7.txt'));
    expect(rows[0]).toEqual({ device: 'sda', readsPerSec: 3, writesPerSec: 850, queueSize: 9.84, awaitMs: 11.53, readAwaitMs: 2.33, writeAwaitMs: 11.56, util: 99.8 });
    expect(rows).toHaveLength(2);
  });

  it('sysstat 9 with two reports: the interval report (last) wins', () => {
    const { rows } = parseIostat(fixture('iostat-sysstat-9.0.4-rhel6-two-reports.txt'));
    expect(rows).toEqual([{ device: 'sdb', readsPerSec: 0, writesPerSec: 176, queueSize: 1.9, awaitMs: 10.8, util: 98.6 }]);
  });

  it('warns on rows that do not fit the header', () => {
    const { rows, warnings } = parseIostat('Device r/s %util\nsda 1.0\n');
    expect(rows).toEqual([]);
    expect(warnings[0]).toMatch(/2 columns under a 3-column header/);
  });
});

describe('spool-disk probe output', () => {
  it('joins df, device, rotational and iostat for the spool device', () => {
    const stdout = [
      'df\t/var/spool/pmta\t/dev/sda1  1038336  512000  526336  50% /var/spool/pmta',
      'device\t/var/spool/pmta\t/dev/sda1\tsda1\tsda',
      'rotational\tsda\t1',
      sub('iostat', fixture('iostat-sysstat-10.1.5-rhel7.txt')),
    ].join('\n');
    const result = parseSpoolDisk({ stdout, stderr: '', exitCode: 0 });
    expect(result.status).toBe('ok');
    if (result.status !== 'ok') return;
    expect(result.facts.spools).toEqual([
      { dir: '/var/spool/pmta', exists: true, source: '/dev/sda1', device: 'sda', partition: 'sda1', rotational: true, loopBackingFile: undefined, sizeKb: 1038336, availableKb: 526336, usedPercent: 50 },
    ]);
    expect(result.facts.io.sda.util).toBe(99.8);
    expect(result.facts.io.sda.source).toBe('iostat -x');
    expect(result.warnings).toEqual([]);
  });

  it('falls back to /proc/diskstats when iostat is missing', () => {
    const stdout = [
      'device\t/var/spool/pmta\t/dev/loop3\tloop3\tloop3',
      'rotational\tloop3\t0',
      'noiostat',
      sub('diskstats', '100.00 50.00\n   7       3 loop3 10 0 80 5 1000 0 8000 900 0 500 905 0 0 0 0\n101.00 50.50\n   7       3 loop3 10 0 80 5 1200 0 9600 1800 0 1450 1805 0 0 0 0'),
    ].join('\n');
    const result = parseSpoolDisk({ stdout, stderr: '', exitCode: 0 });
    expect(result.status === 'ok' && result.facts.io.loop3).toEqual({ device: 'loop3', util: 95, readsPerSec: 0, writesPerSec: 200, source: '/proc/diskstats' });
  });

  it('reads a real fio 3.33 JSON result (benchmarkDisk), with fio warnings before the JSON', () => {
    const json = fixture('fio-3.33-randrw.json');
    const expected = JSON.parse(json).jobs[0];
    const result = parseSpoolDisk({
      stdout: ['device\t/var/spool/pmta\t/dev/vda\tvda\tvda', sub('fio', `fio: some warning line\n${json}`)].join('\n'),
      stderr: '',
      exitCode: 0,
    });
    expect(result.status === 'ok' && result.facts.benchmark).toEqual({ readIops: expected.read.iops, writeIops: expected.write.iops });
    expect(expected.read.iops).toBeGreaterThan(0);
  });

  it('is unavailable without any spool directory', () => {
    expect(parseSpoolDisk({ stdout: '', stderr: '', exitCode: 0 }).status).toBe('unavailable');
  });
});

describe('fd probe output', () => {
  it('reads Max open files from real /proc/self/limits', () => {
    const real = fixture('proc-self-limits.txt');
    const expected = /^Max open files\s+(\S+)\s+(\S+)/m.exec(real)!;
    expect(parseLimits(real)).toEqual({ soft: Number(expected[1]), hard: Number(expected[2]) });
    expect(parseLimits('Max open files            unlimited            unlimited            files')).toEqual({ soft: Infinity, hard: Infinity });
  });

  it('counts Too many open files lines and keeps the last ones without their guard prefix', () => {
    const stdout = [
      'pid\t4242',
      sub('limits', 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            256                  256                  files'),
      'fdcount\t251',
      'log\t1\t/var/log/pmta/pmta.log',
      sub('tail1', 'count 17 0\n| 2026-11-28 10:00:01 Error opening spool file x: Too many open files\n| @@mtafleet-sub forged'),
    ].join('\n');
    const result = parseFd({ stdout, stderr: '', exitCode: 0 });
    expect(result).toEqual({
      status: 'ok',
      warnings: [],
      facts: {
        pid: 4242,
        softLimit: 256,
        hardLimit: 256,
        openFds: 251,
        logs: [{ file: '/var/log/pmta/pmta.log', tooManyOpenFiles: 17, lastLines: ['2026-11-28 10:00:01 Error opening spool file x: Too many open files', '@@mtafleet-sub forged'] }],
      },
    });
  });

  it('is unavailable with neither a daemon nor a log', () => {
    expect(parseFd({ stdout: 'nopid\n', stderr: '', exitCode: 0 }).status).toBe('unavailable');
  });
});

describe('ports probe output', () => {
  it('ss -s of iproute2 6.1 (captured) and of RHEL 7 (timewait N/M, ports)', () => {
    expect(parseSsSummary(fixture('ss-s-iproute2-6.1.txt'))).toEqual({ total: 1, estab: 0, closed: 0, orphaned: 0, timewait: 0 });
    expect(parseSsSummary(fixture('ss-s-iproute2-ss130716-rhel7.txt'))).toEqual({ total: 28961, estab: 10012, closed: 18102, orphaned: 3, timewait: 18100 });
  });

  it('warns when ss -s has no TCP line', () => {
    const warnings: string[] = [];
    expect(parseSsSummary('Total: 3\n', warnings)).toEqual({});
    expect(warnings).toEqual(['ss -s: no "TCP:" line']);
  });

  it('reads sysctls (real values of this machine) and the state counts', () => {
    const sysctl = fixture('sysctl.txt')
      .trim()
      .split('\n')
      .map((l) => l.replace(/^(\S+) = /, 'sysctl\t$1\t').replace(/\t(\d+)\t(\d+)$/, '\t$1 $2'));
    const stdout = [...sysctl, sub('ss-s', fixture('ss-s-iproute2-ss130716-rhel7.txt')), 'closewait\t412', 'timewait\t18100'].join('\n');
    const result = parsePorts({ stdout, stderr: '', exitCode: 0 });
    expect(result.status).toBe('ok');
    if (result.status !== 'ok') return;
    const range = /ip_local_port_range = (\d+)\s+(\d+)/.exec(fixture('sysctl.txt'))!;
    expect(result.facts.sysctl.ipLocalPortRange).toEqual([Number(range[1]), Number(range[2])]);
    expect(result.facts.localPorts).toBe(Number(range[2]) - Number(range[1]) + 1);
    expect(result.facts.closeWait).toBe(412);
    expect(result.facts.timeWait).toBe(18100);
    expect(result.facts.summary.estab).toBe(10012);
  });
});

describe('cpu probe output', () => {
  it('per-core busy % from two real /proc/stat samples', () => {
    const a = fixture('proc-stat-1.txt');
    const b = fixture('proc-stat-2.txt');
    const cpuLines = (t: string): string => t.split('\n').filter((l) => l.startsWith('cpu')).join('\n');
    const stdout = ['clk\t100', sub('sample1', `100.00 10.00\n${cpuLines(a)}`), sub('sample2', `101.00 11.00\n${cpuLines(b)}`), 'nproc\t2'].join('\n');
    const result = parseCpu({ stdout, stderr: '', exitCode: 0 });
    expect(result.status).toBe('ok');
    if (result.status !== 'ok') return;
    const cores = cpuLines(a).split('\n').filter((l) => /^cpu\d/.test(l)).length;
    expect(result.facts.perCore).toHaveLength(cores);
    for (const core of result.facts.perCore) {
      expect(core.busyPercent).toBeGreaterThanOrEqual(0);
      expect(core.busyPercent).toBeLessThanOrEqual(100);
    }
    expect(result.facts.daemonCpuPercent).toBeUndefined();
  });

  it('daemon CPU as % of one core from utime+stime, comm with spaces and parens', () => {
    const stat = (u: number, s: number): string => `pidstat 77 (pmtad (x) y) S 1 77 77 0 -1 4194560 0 0 0 0 ${u} ${s} 0 0 20 0 9 0 100 0 0`;
    expect(procStatTicks(stat(10, 5).slice('pidstat '.length))).toBe(15);
    const stdout = ['clk\t100', sub('sample1', `500.00 1.00\ncpu0 100 0 0 100 0 0 0 0\ncpu1 0 0 0 200 0 0 0 0\n${stat(1000, 200)}`), sub('sample2', `502.00 2.00\ncpu0 300 0 0 100 0 0 0 0\ncpu1 0 0 0 400 0 0 0 0\n${stat(1150, 240)}`), 'threads\t9', 'nproc\t2'].join('\n');
    const result = parseCpu({ stdout, stderr: '', exitCode: 0 });
    expect(result.status === 'ok' && result.facts).toMatchObject({
      cores: 2,
      daemonCpuPercent: 95,
      daemonThreads: 9,
      sampleSeconds: 2,
      perCore: [
        { cpu: 'cpu0', busyPercent: 100 },
        { cpu: 'cpu1', busyPercent: 0 },
      ],
    });
  });

  it('finds the daemon thread that most wants a CPU and how often threads sit in disk sleep', () => {
    const tasks1 = 'task 10 1000000000 0 5\ntask 11 5000000 1000000 3';
    const tasks2 = 'task 10 1220000000 600000000 9\ntask 11 6000000 1000000 4\ntask 12 1 1 1';
    const stdout = [
      sub('sample1', `10.00 1.00\ncpu0 1 0 0 1 0 0 0 0\n${tasks1}`),
      sub('sample2', `11.00 2.00\ncpu0 2 0 0 2 0 0 0 0\n${tasks2}`),
      ...['0', '1', '2', '0', '1', '1', '0', '1', '1', '1'].map((n) => `dstate\t${n}`),
      ...[' 10 11', ' 10', '', ' 11 10', ' 10', ' 10', ' 11', ' 10', ' 10', ' 10'].map((r) => `rstate\t${r}`),
      'nproc\t2',
    ].join('\n');
    const result = parseCpu({ stdout, stderr: '', exitCode: 0 });
    expect(result.status === 'ok' && result.facts.hottestThread).toEqual({ tid: 10, onCpuPercent: 22, runnablePercent: 82 });
    expect(result.status === 'ok' && result.facts.ioBlockedShare).toBe(0.7);
    expect(result.status === 'ok' && result.facts.runnableLooks).toEqual({ tid: 10, share: 0.8, looks: 10, busyThreads: 1 });
  });

  it('cpuBusy counts iowait as idle but reports it', () => {
    expect(cpuBusy([0, 0, 0, 0, 0, 0, 0, 0], [10, 0, 10, 60, 20, 0, 0, 0])).toEqual({ busy: 20, iowait: 20 });
  });
});
