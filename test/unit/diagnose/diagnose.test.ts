import { describe, expect, it } from 'vitest';
import { diagnose, type Finding } from '../../../src/diagnose/index.js';
import { parsePmtaConfig } from '../../../src/pmta/config.js';
import { effectiveSettings } from '../../../src/pmta/settings.js';
import type { HostFacts } from '../../../src/probes/index.js';
import { accounting, CONFIG, counts, healthy } from './facts.js';

type Change = (h: HostFacts) => void;

function host(...changes: Change[]): HostFacts {
  const h = healthy();
  for (const change of changes) change(h);
  return h;
}

const serious = (findings: Finding[]): Finding[] => findings.filter((f) => f.severity !== 'info');
const kinds = (findings: Finding[]): string[] => serious(findings).map((f) => `${f.kind}:${f.severity}`);

const spoolUtil =
  (util: number, rotational = true): Change =>
  (h) => {
    h.facts.spool = {
      spools: [{ dir: '/var/spool/pmta', exists: true, source: '/dev/loop3', device: 'loop3', rotational }],
      io: { loop3: { device: 'loop3', util, writesPerSec: 150, writeAwaitMs: 6.5, queueSize: 1.2, source: 'iostat -x' } },
    };
  };
const tooManyOpenFiles: Change = (h) => {
  h.facts.fd!.logs = [{ file: '/var/log/pmta/pmta.log', tooManyOpenFiles: 17, lastLines: ['Error opening spool file 1.msg: Too many open files'] }];
  h.facts.fd!.softLimit = 256;
  h.facts.fd!.openFds = 250;
};
const narrowPorts: Change = (h) => {
  h.facts.ports = { ...h.facts.ports!, sysctl: { ...h.facts.ports!.sysctl, ipLocalPortRange: [40000, 40500] }, localPorts: 501, timeWait: 360, closeWait: 300 };
};
const daemonCpu =
  (percent: number): Change =>
  (h) => {
    h.facts.cpu = { ...h.facts.cpu!, daemonCpuPercent: percent, perCore: [{ cpu: 'cpu0', busyPercent: 100, iowaitPercent: 0 }, { cpu: 'cpu1', busyPercent: 3, iowaitPercent: 0 }] };
  };
const withConfig =
  (text: string): Change =>
  (h) => {
    const nodes = parsePmtaConfig(text, '/etc/pmta/config').nodes;
    h.facts.config = { ...h.facts.config!, nodes, settings: effectiveSettings(nodes) };
  };
/** The lab's isp-limit scenario: gmail max-smtp-out 2 on each of 4 IPs, all full, 35 % 421s on every IP. */
const gmailThrottled: Change = (h) => {
  withConfig(CONFIG.replace('max-smtp-out 8', 'max-smtp-out 2'))(h);
  h.facts.pmtaStatus!.domains = [
    { domain: 'gmail.com', rcpts: 1800, kbytes: 900, connections: 8, lastError: '421 4.7.0 [203.0...' },
    { domain: 'outlook.com', rcpts: 10, kbytes: 10, connections: 2, lastError: '' },
  ];
  h.facts.pmtaStatus!.vmtas = [1, 2, 3, 4].map((i) => ({ name: `vmta${i}`, domains: 3, rcpts: 500, kbytes: 100, connections: 3 }));
  h.facts.accounting = accounting(
    { 'gmail.com': counts(2600, 1400, 20), 'outlook.com': counts(1200, 12, 6), 'yahoo.com': counts(900, 9, 4) },
    { '203.0.113.1': counts(1170, 355, 8), '203.0.113.2': counts(1180, 350, 7), '203.0.113.3': counts(1175, 360, 8), '203.0.113.4': counts(1175, 356, 7) },
  );
};
/** The lab's ip-reputation scenario: two of four IPs get many more deferrals. */
const badIps: Change = (h) => {
  h.facts.accounting = accounting(
    { 'gmail.com': counts(3000, 700, 15), 'outlook.com': counts(2000, 450, 10), 'yahoo.com': counts(2000, 440, 10) },
    { '203.0.113.1': counts(1800, 40, 9), '203.0.113.2': counts(1800, 38, 9), '203.0.113.3': counts(1000, 880, 8), '203.0.113.4': counts(1400, 480, 9) },
  );
};
const uniformDeferrals =
  (rate: number): Change =>
  (h) => {
    const deferred = Math.round((1000 * rate) / (1 - rate));
    h.facts.accounting = accounting(
      { 'yahoo.com': counts(1000, deferred), 'gmail.com': counts(5000, 25) },
      Object.fromEntries([1, 2, 3, 4].map((i) => [`203.0.113.${i}`, counts(1500, Math.round((deferred + 25) / 4))])),
    );
  };

const TABLE: Array<{ name: string; changes: Change[]; expected: string[] }> = [
  { name: 'healthy host: nothing to fix', changes: [], expected: [] },
  { name: 'spool device at 85 % util (the lab fsync writer)', changes: [spoolUtil(85)], expected: ['spool-io:warn'] },
  { name: 'spool device at 97 % util', changes: [spoolUtil(97.2)], expected: ['spool-io:critical'] },
  { name: 'rotational spool above 100k msgs/h, util moderate', changes: [spoolUtil(40), (h) => void (h.facts.pmtaStatus!.deliveredLastHour = 150_000)], expected: ['spool-io:warn'] },
  { name: 'non-rotational spool above 100k msgs/h is fine', changes: [spoolUtil(40, false), (h) => void (h.facts.pmtaStatus!.deliveredLastHour = 150_000)], expected: [] },
  { name: 'Too many open files in the log', changes: [tooManyOpenFiles], expected: ['fd-limit:critical'] },
  { name: 'open fds at 98 % of the soft limit, no log lines yet', changes: [(h) => void Object.assign(h.facts.fd!, { softLimit: 1024, openFds: 1004 })], expected: ['fd-limit:critical'] },
  { name: 'narrow port range full of TIME-WAIT and CLOSE-WAIT', changes: [narrowPorts], expected: ['port-exhaustion:critical'] },
  { name: 'TIME-WAIT above 5000 in a wide range', changes: [(h) => void Object.assign(h.facts.ports!, { timeWait: 6200 })], expected: ['port-exhaustion:warn'] },
  { name: 'pmtad pinned to one core, queue-processing-threads unset', changes: [daemonCpu(99)], expected: ['thread-contention:critical'] },
  { name: 'pmtad at one core but threads already match the cores', changes: [daemonCpu(99), withConfig(`${CONFIG}queue-processing-threads 2\n`)], expected: [] },
  { name: 'pmtad using two cores is not single-thread bound', changes: [daemonCpu(190)], expected: [] },
  {
    name: 'idle machine: one thread runnable at every look, the daemon at 1.4 cores with its bookkeeping',
    changes: [daemonCpu(140), (h) => void (h.facts.cpu!.runnableLooks = { tid: 7, share: 1, looks: 10, busyThreads: 1 })],
    expected: ['thread-contention:critical'],
  },
  {
    name: 'two threads runnable at every look, the daemon at 1.9 cores: spreading, not single-thread bound',
    changes: [daemonCpu(190), (h) => void (h.facts.cpu!.runnableLooks = { tid: 7, share: 1, looks: 10, busyThreads: 2 })],
    expected: [],
  },
  {
    name: 'loaded machine: pmtad gets 22 % but one thread is runnable 81 % of the time (lab measurement)',
    changes: [daemonCpu(22), (h) => void (h.facts.cpu!.hottestThread = { tid: 17932, onCpuPercent: 22, runnablePercent: 81.3 })],
    expected: ['thread-contention:warn'],
  },
  {
    name: 'loaded machine: schedstat lags at 55 % but the thread was runnable (R) in 10 of 10 looks (lab measurement)',
    changes: [daemonCpu(12), (h) => void Object.assign(h.facts.cpu!, { hottestThread: { tid: 12467, onCpuPercent: 9, runnablePercent: 55 }, runnableLooks: { tid: 12467, share: 1, looks: 10, busyThreads: 1 } })],
    expected: ['thread-contention:critical'],
  },
  {
    name: 'a thread runnable in 4 of 10 looks is not thread-bound',
    changes: [(h) => void Object.assign(h.facts.cpu!, { hottestThread: { tid: 17900, onCpuPercent: 4.7, runnablePercent: 40 }, runnableLooks: { tid: 17900, share: 0.4, looks: 10, busyThreads: 0 } })],
    expected: [],
  },
  {
    name: 'a thread waiting on disk and run queue half the time is not thread-bound (lab spool-io host)',
    changes: [(h) => void (h.facts.cpu!.hottestThread = { tid: 17900, onCpuPercent: 4.7, runnablePercent: 47 })],
    expected: [],
  },
  {
    name: 'loaded machine: spool device 58 % busy and pmtad blocked on disk in 60 % of looks (lab measurement)',
    changes: [spoolUtil(58.5), (h) => void (h.facts.cpu!.ioBlockedShare = 0.6)],
    expected: ['spool-io:warn'],
  },
  { name: 'a 58 % busy spool device the daemon does not wait on', changes: [spoolUtil(58.5), (h) => void (h.facts.cpu!.ioBlockedShare = 0.1)], expected: [] },
  {
    name: 'heavier machine load: spool device 39.6 % busy, pmtad blocked on disk in 55 % of looks (lab measurement)',
    changes: [spoolUtil(39.6), (h) => void (h.facts.cpu!.ioBlockedShare = 0.55)],
    expected: ['spool-io:warn'],
  },
  { name: 'daemon blocked on disk but the spool device is nearly idle: not the spool', changes: [spoolUtil(12), (h) => void (h.facts.cpu!.ioBlockedShare = 0.8)], expected: [] },
  {
    name: 'connections full on every IP but no ISP pushback (1 % deferrals): not an ISP limit',
    changes: [gmailThrottled, (h) => void (h.facts.accounting = healthy().facts.accounting)],
    expected: [],
  },
  { name: 'ISP limit: connections full on every IP, uniform deferrals folded in', changes: [gmailThrottled], expected: ['isp-limit:critical'] },
  { name: 'deferrals concentrated on two IPs: reputation, not configuration', changes: [badIps], expected: ['ip-reputation:critical'] },
  { name: 'uniform 8 % deferrals without full connections', changes: [uniformDeferrals(0.08)], expected: ['deferrals:warn'] },
  { name: 'uniform 20 % deferrals', changes: [uniformDeferrals(0.2)], expected: ['deferrals:critical'] },
  {
    name: 'too few records say nothing',
    changes: [(h) => void (h.facts.accounting = accounting({ 'tiny.example': counts(20, 20) }, { '203.0.113.1': counts(20, 20) }))],
    expected: [],
  },
  { name: 'two bottlenecks: fd-limit (critical) ranks above spool-io (warn)', changes: [spoolUtil(85), tooManyOpenFiles], expected: ['fd-limit:critical', 'spool-io:warn'] },
  { name: 'two criticals ranked by how far they exceed the threshold', changes: [spoolUtil(92), narrowPorts], expected: ['port-exhaustion:critical', 'spool-io:critical'] },
];

describe('diagnose: facts in, findings out', () => {
  it.each(TABLE)('$name', ({ changes, expected }) => {
    expect(kinds(diagnose(host(...changes)))).toEqual(expected);
  });

  it('is pure: the same facts give the same findings and are not modified', () => {
    const facts = host(gmailThrottled, tooManyOpenFiles);
    const before = JSON.stringify(facts);
    expect(diagnose(facts)).toEqual(diagnose(facts));
    expect(JSON.stringify(facts)).toBe(before);
  });
});

describe('finding contents', () => {
  it('spool-io quotes the device, its %util and source, and names the NVMe playbook', () => {
    const [f] = diagnose(host(spoolUtil(97.2)), { hostVars: { lab_nvme_device: '/dev/loop7' } });
    expect(f.evidence[0]).toBe('loop3 %util 97.2 (iostat -x) holding spool /var/spool/pmta');
    expect(f.evidence).toContain('loop3 rotational=1 (/sys/block/loop3/queue/rotational)');
    expect(f.remedy).toBe('playbooks/spool-migrate-nvme.yaml');
    expect(f.remedyVars).toEqual({ device: '/dev/loop7', spool_dir: '/var/spool/pmta' });
    expect(diagnose(host(spoolUtil(97.2)))[0].remedyVars?.device).toBe('?');
  });

  it('fd-limit quotes the log count and the limits', () => {
    const [f] = diagnose(host(tooManyOpenFiles));
    expect(f.evidence[0]).toBe('17 "Too many open files" lines in recent /var/log/pmta/pmta.log');
    expect(f.evidence).toContain('pmtad (pid 4242) has 250 open files of soft limit 256 (97.7 %; /proc/4242/fd, /proc/4242/limits)');
    expect(f.remedy).toBe('playbooks/fd-limit.yaml');
  });

  it('port-exhaustion relates the sockets to the port range', () => {
    const [f] = diagnose(host(narrowPorts));
    expect(f.evidence).toContain('ip_local_port_range 40000 40500 = 501 ports; sockets hold 135.7 % of them (sysctl)');
    expect(f.remedyVars).toEqual({ port_range: '10240 65535' });
  });

  it('thread-contention passes the core count to the threads playbook', () => {
    const [f] = diagnose(host(daemonCpu(99)));
    expect(f.remedy).toBe('playbooks/pmta-threads.yaml');
    expect(f.remedyVars).toEqual({ threads: '2' });
    expect(f.evidence[1]).toBe('queue-processing-threads not set < 2 cores (/etc/pmta/config, nproc)');
  });

  it('isp-limit computes the ceiling and the IPs needed; the deferrals are evidence, not a second finding', () => {
    const findings = diagnose(host(gmailThrottled));
    expect(findings.map((f) => f.kind)).not.toContain('deferrals');
    expect(findings.map((f) => f.kind)).not.toContain('ip-reputation');
    const f = findings[0];
    expect(f.kind).toBe('isp-limit');
    expect(f.evidence[0]).toBe('gmail.com: 8 connections open = <domain gmail.com> max-smtp-out 2 (/etc/pmta/config:30) × 4 source IPs (pmta show domains, virtual-mta smtp-source-host)');
    expect(f.evidence[1]).toBe('ceiling 2 connections × 150 msgs/session × 4 IPs = 1,200 msgs/cycle = 72,000 msgs/h at one cycle per minute');
    expect(f.evidence.some((e) => e.startsWith('gmail.com deferral rate 34.8 %'))).toBe(true);
    expect(f.evidence.some((e) => /uniform, so not an IP reputation problem/.test(e))).toBe(true);
    // 2600 delivered / 24 h = 108/h; target = 108 + 1800 queued = 1908/h at 27/h per IP -> 71 IPs.
    expect(f.remedyVars).toMatchObject({ domain: 'gmail.com', profile: 'medium', ips_needed: '71' });
    expect(f.remedy).toBe('playbooks/isp-limits.yaml');
  });

  it('isp-limit names the domain\'s queues in backoff mode (pmta show queues --mode=backoff)', () => {
    const facts = host(gmailThrottled, (h) => {
      h.facts.pmtaStatus!.backoffQueues = [
        { queue: 'gmail.com/vmta1', domain: 'gmail.com', vmta: 'vmta1', rcpts: 300, kbytes: 1200, connections: 2, lastError: '' },
        { queue: 'gmail.com/vmta2', domain: 'gmail.com', vmta: 'vmta2', rcpts: 200, kbytes: 800, connections: 2, lastError: '' },
        { queue: 'yahoo.com/vmta1', domain: 'yahoo.com', vmta: 'vmta1', rcpts: 9, kbytes: 9, connections: 0, lastError: '' },
      ];
    });
    const f = diagnose(facts).find((x) => x.kind === 'isp-limit')!;
    expect(f.evidence).toContain('2 gmail.com queues in backoff mode holding 500 recipients: gmail.com/vmta1, gmail.com/vmta2 (pmta show queues --mode=backoff)');
    expect(diagnose(host(gmailThrottled)).find((x) => x.kind === 'isp-limit')!.evidence.some((e) => /backoff/.test(e))).toBe(false);
  });

  it('reproduces the article\'s Gmail example: 8 × 150 × 10 IPs = 12,000 per cycle = 720,000/h', () => {
    const ten = Array.from({ length: 10 }, (_, i) => `<virtual-mta v${i}>\n smtp-source-host 198.51.100.${i + 10} h\n</virtual-mta>`).join('\n');
    const facts = host(withConfig(`${ten}\n<domain gmail.com>\n max-smtp-out 8\n max-msg-per-connection 150\n</domain>\n`), (h) => {
      h.facts.pmtaStatus!.domains = [{ domain: 'gmail.com', rcpts: 0, kbytes: 0, connections: 80, lastError: '' }];
      h.facts.pmtaStatus!.vmtas = Array.from({ length: 10 }, (_, i) => ({ name: `v${i}`, domains: 1, rcpts: 1, kbytes: 1, connections: 8 }));
    });
    const f = diagnose(facts, { profile: 'high', targetPerHour: { 'gmail.com': 1_000_000 } }).find((x) => x.kind === 'isp-limit')!;
    expect(f.evidence[1]).toBe('ceiling 8 connections × 150 msgs/session × 10 IPs = 12,000 msgs/cycle = 720,000 msgs/h at one cycle per minute');
    expect(f.evidence).toContain('high reputation profile for gmail.com: 8 connections × 150 msgs/session per IP');
  });

  it('full connections without pushback stay an info finding that points below', () => {
    const facts = host(gmailThrottled, (h) => void (h.facts.accounting = healthy().facts.accounting));
    const f = diagnose(facts).find((x) => x.kind === 'isp-limit');
    expect(f?.severity).toBe('info');
    expect(f?.title).toMatch(/not pushing back: look at the layers below first/);
  });

  it('connections below the max on some IP are not an ISP limit', () => {
    const facts = host(gmailThrottled, (h) => void (h.facts.pmtaStatus!.vmtas[0].connections = 0));
    expect(diagnose(facts).map((f) => f.kind)).toEqual(['deferrals']);
  });

  it('ip-reputation names the outlying IPs against the median of the others and has no playbook', () => {
    const [f] = diagnose(host(badIps));
    expect(f.kind).toBe('ip-reputation');
    expect(f.title).toMatch(/2 of 4 source IPs/);
    expect(f.evidence[0]).toMatch(/^203\.0\.113\.3 deferral rate 46\.6 % \(880 of 1,888 records\) vs 2\.\d % median of the other IPs/);
    expect(f.evidence[1]).toMatch(/^203\.0\.113\.4 deferral rate 25\.4 %/);
    expect(f.remedy).toBeNull();
  });

  it('without t records the deferral rate is unknown, not 0 %', () => {
    const facts = host((h) => void (h.facts.accounting = { ...h.facts.accounting!, hasTransientRecords: false }));
    const findings = diagnose(facts);
    expect(serious(findings)).toEqual([]);
    expect(findings).toContainEqual(expect.objectContaining({ kind: 'deferrals', severity: 'info', title: 'Deferral rate unknown: the accounting file has no t records' }));
  });

  it('per-ISP limits come from the chosen profile and can be overridden', () => {
    const f = (profile: 'warming' | 'high') => diagnose(host(gmailThrottled), { profile }).find((x) => x.kind === 'isp-limit')!.remedyVars;
    expect(f('warming')?.max_smtp_out).toBe('2');
    expect(f('high')?.max_smtp_out).toBe('8');
    const custom = diagnose(host(gmailThrottled), { ispLimits: { 'gmail.com': { maxSmtpOut: 3, maxMsgPerConnection: 40 } } }).find((x) => x.kind === 'isp-limit');
    expect(custom?.remedyVars).toMatchObject({ max_smtp_out: '3', max_msg_per_connection: '40' });
  });
});
