import { parsePmtaConfig } from '../../../src/pmta/config.js';
import { effectiveSettings } from '../../../src/pmta/settings.js';
import type { AccountingFacts, HostFacts } from '../../../src/probes/index.js';
import type { Counts } from '../../../src/probes/accounting.js';

/** A host like the lab's `healthy` one: 4 source IPs, gmail 8 × 150, a quiet spool disk, 1 % deferrals. */
export const CONFIG = `http-mgmt-port 8080
log-file /var/log/pmta/pmta.log
<acct-file /var/log/pmta/acct.csv>
    records d,b,t
</acct-file>
<spool /var/spool/pmta>
</spool>
<virtual-mta vmta1>
    smtp-source-host 203.0.113.1 mta1.lab.example
</virtual-mta>
<virtual-mta vmta2>
    smtp-source-host 203.0.113.2 mta2.lab.example
</virtual-mta>
<virtual-mta vmta3>
    smtp-source-host 203.0.113.3 mta3.lab.example
</virtual-mta>
<virtual-mta vmta4>
    smtp-source-host 203.0.113.4 mta4.lab.example
</virtual-mta>
<virtual-mta-pool default>
    virtual-mta vmta1
    virtual-mta vmta2
    virtual-mta vmta3
    virtual-mta vmta4
    <domain *>
        max-smtp-out 20
    </domain>
</virtual-mta-pool>
<domain gmail.com>
    max-smtp-out 8
    max-msg-per-connection 150
</domain>
`;

export function counts(delivered: number, deferred: number, bounced = 0): Counts {
  return { delivered, deferred, bounced };
}

export function accounting(byDomain: Record<string, Counts>, bySourceIp: Record<string, Counts>, hasT = true): AccountingFacts {
  const rated = Object.fromEntries(
    Object.entries(byDomain).map(([d, c]) => [d, { ...c, deferralRate: c.deferred / (c.delivered + c.deferred + c.bounced) }]),
  );
  const all = Object.values(byDomain).reduce((a, c) => a + c.delivered + c.deferred + c.bounced, 0);
  return {
    file: '/var/log/pmta/acct.csv',
    files: ['/var/log/pmta/acct.csv'],
    records: all,
    since: '2026-11-27 11:00:00+0000',
    until: '2026-11-28 10:59:00+0000',
    windowHours: 24,
    hourly: Array.from({ length: 24 }, (_, h) => ({ hour: `2026-11-28 ${String(h).padStart(2, '0')}`, delivered: 800, deferred: 8, bounced: 4 })),
    bySourceIp,
    byDomain: rated,
    topDiagnostics: [{ domain: 'gmail.com', pattern: 'smtp;421 4.7.0 [203.0.113.3] Our system has detected an unusual r', count: 40 }],
    hasTransientRecords: hasT,
  };
}

export function healthy(): HostFacts {
  const nodes = parsePmtaConfig(CONFIG, '/etc/pmta/config').nodes;
  return {
    unavailable: {},
    warnings: [],
    facts: {
      config: { file: '/etc/pmta/config', files: ['/etc/pmta/config'], nodes, errors: [], settings: effectiveSettings(nodes) },
      pmtaStatus: {
        sources: ['cli', 'http'],
        traffic: { lastHour: { in: { rcpts: 900, msgs: 900, kbytes: 1 }, out: { rcpts: 880, msgs: 880, kbytes: 1 } } },
        connections: { smtpOut: { active: 12, top: 40, max: 10000 } },
        queue: { smtp: { rcpts: 120, domains: 4, kbytes: 500 } },
        spool: { filesInUse: 120 },
        status: 'running',
        deliveredLastHour: 880,
        vmtas: [1, 2, 3, 4].map((i) => ({ name: `vmta${i}`, domains: 3, rcpts: 30, kbytes: 10, connections: 3 })),
        domains: [
          { domain: 'gmail.com', rcpts: 50, kbytes: 10, connections: 5, lastError: '' },
          { domain: 'outlook.com', rcpts: 30, kbytes: 10, connections: 4, lastError: '' },
        ],
      },
      accounting: accounting(
        { 'gmail.com': counts(8000, 80, 40), 'outlook.com': counts(5000, 50, 25), 'yahoo.com': counts(4000, 40, 20) },
        {
          '203.0.113.1': counts(4250, 43, 21),
          '203.0.113.2': counts(4250, 42, 21),
          '203.0.113.3': counts(4250, 43, 22),
          '203.0.113.4': counts(4250, 42, 21),
        },
      ),
      spool: {
        spools: [{ dir: '/var/spool/pmta', exists: true, source: '/dev/nvme0n1', device: 'nvme0n1', rotational: false, availableKb: 9e8, sizeKb: 1e9, usedPercent: 10 }],
        io: { nvme0n1: { device: 'nvme0n1', util: 6.4, writesPerSec: 232, readsPerSec: 2, writeAwaitMs: 0.1, source: 'iostat -x' } },
      },
      fd: { pid: 4242, softLimit: 65535, hardLimit: 65535, openFds: 180, logs: [{ file: '/var/log/pmta/pmta.log', tooManyOpenFiles: 0, lastLines: [] }] },
      ports: {
        sysctl: { ipLocalPortRange: [32768, 60999], tcpFinTimeout: 60, tcpTwReuse: 2, somaxconn: 4096 },
        localPorts: 28232,
        summary: { total: 60, estab: 20, closed: 30, orphaned: 0, timewait: 30 },
        timeWait: 30,
        closeWait: 0,
        source: 'ss',
      },
      cpu: {
        cores: 2,
        perCore: [
          { cpu: 'cpu0', busyPercent: 12, iowaitPercent: 0 },
          { cpu: 'cpu1', busyPercent: 9, iowaitPercent: 0 },
        ],
        totalBusyPercent: 10.5,
        iowaitPercent: 0.2,
        daemonCpuPercent: 4,
        daemonThreads: 11,
        sampleSeconds: 1,
      },
    },
  };
}
