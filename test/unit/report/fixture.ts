/**
 * A hand-built audit report: two hosts with findings, one healthy, one unreachable, with
 * hostile strings (HTML, Markdown, terminal escapes) where hosts could put them.
 */
import type { AuditHost, AuditReport } from '../../../src/audit/types.js';
import { summarize } from '../../../src/audit/summary.js';

export const HOSTILE = '<script>alert("x")</script>';
export const ESC = '\u001b[2J';

/** `count` consecutive hours ending at 2026-11-28 10, with one hour missing (a gap). */
export function hourly(count: number, perHour: (i: number) => number, gapAt = 5): Array<{ hour: string; delivered: number; deferred: number; bounced: number }> {
  const end = Date.UTC(2026, 10, 28, 10);
  const rows = [];
  for (let i = count - 1; i >= 0; i--) {
    if (i === gapAt) continue;
    const d = new Date(end - i * 3_600_000);
    const hour = `${d.toISOString().slice(0, 10)} ${String(d.getUTCHours()).padStart(2, '0')}`;
    rows.push({ hour, delivered: perHour(i), deferred: 3, bounced: 1 });
  }
  return rows;
}

function accounting(perHour: (i: number) => number, bySourceIp: Record<string, { delivered: number; deferred: number; bounced: number }>, hasTransientRecords = true) {
  return {
    file: '/var/log/pmta/acct.csv',
    files: ['/var/log/pmta/acct.csv'],
    records: 1000,
    windowHours: 24,
    hasTransientRecords,
    since: '2026-11-27 10:00:00+0000',
    until: '2026-11-28 10:59:00+0000',
    hourly: hourly(24, perHour),
    bySourceIp,
    byDomain: { 'gmail.com': { delivered: 900, deferred: 90, bounced: 10, deferralRate: 0.09 } },
    topDiagnostics: [{ domain: 'gmail.com', pattern: `421 4.7.0 ${HOSTILE}`, count: 12 }],
  };
}

export function sampleReport(): AuditReport {
  const hosts: AuditHost[] = [
    {
      name: 'mta01',
      reachable: true,
      error: null,
      facts: {
        pmtaStatus: { sources: ['http'], deliveredLastHour: 98_000, traffic: {}, connections: {}, queue: { smtp: { rcpts: 250_000, domains: 12, kbytes: 900 } }, spool: {}, vmtas: [], domains: [] },
        accounting: accounting((i) => 4000 + i * 10, { '198.51.100.10': { delivered: 900, deferred: 50, bounced: 5 } }),
      } as AuditHost['facts'],
      findings: [
        {
          kind: 'spool-io',
          severity: 'critical',
          title: 'Spool disk saturated',
          evidence: ['sdb %util 99.8 (iostat)', 'rotational disk at 98,000 msgs/h'],
          remedy: 'playbooks/spool-migrate-nvme.yaml',
          remedyVars: { spool_device: '/dev/nvme0n1', note: "it's quoted" },
          strength: 3,
        },
        { kind: 'deferrals', severity: 'warn', title: 'gmail.com deferring', evidence: ['gmail.com 9.0% deferred'], remedy: null, strength: 1.8 },
      ],
      unavailable: { fio: 'fio not installed' },
      warnings: [`unparsed iostat line: ${HOSTILE}`],
    },
    {
      name: 'mta02',
      reachable: true,
      error: null,
      facts: {
        accounting: accounting((i) => (i === 0 ? 0 : 1200), {
          '198.51.100.20': { delivered: 100, deferred: 400, bounced: 0 },
          '198.51.100.21': { delivered: 950, deferred: 30, bounced: 20 },
          [`${HOSTILE}`]: { delivered: 10, deferred: 10, bounced: 0 },
        }),
      } as AuditHost['facts'],
      findings: [
        {
          kind: 'ip-reputation',
          severity: 'critical',
          title: 'Deferrals concentrated on 198.51.100.20',
          evidence: [`198.51.100.20 deferral rate 80.0% vs pool 20%`, `top dsnDiag: 421 ${HOSTILE} | *bold* ${ESC}`],
          remedy: 'Rest or re-warm the IP; this is not a configuration problem',
          strength: 4,
        },
      ],
      unavailable: {},
      warnings: [],
    },
    {
      name: 'mta03',
      reachable: true,
      error: null,
      facts: { accounting: accounting(() => 500, { '198.51.100.30': { delivered: 500, deferred: 0, bounced: 0 } }, false) } as AuditHost['facts'],
      findings: [{ kind: 'spool-io', severity: 'info', title: 'Spool on NVMe', evidence: ['nvme0n1 %util 3.1'], remedy: null, strength: 0 }],
      unavailable: {},
      warnings: [],
    },
    {
      name: 'mta04',
      reachable: false,
      error: `mta04 (10.0.0.4:22): connection refused ${HOSTILE}`,
      facts: {} as AuditHost['facts'],
      findings: [],
      unavailable: {},
      warnings: [],
    },
  ];
  return { hosts, summary: summarize(hosts) };
}
