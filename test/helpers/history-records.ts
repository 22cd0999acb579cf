/** Audit records for history tests, made through the real extraction (auditRecord) from small audit reports. */
import { auditRecord, type AuditRecord } from '../../src/history/index.js';
import type { AuditHost, AuditReport, Finding } from '../../src/audit/index.js';
import { summarize } from '../../src/audit/index.js';

export interface HostSpec {
  name: string;
  rate?: number;
  queue?: number;
  reachable?: boolean;
  failed?: boolean;
  /** kind or kind:subject (a domain), severity warn unless kind ends in '!' (critical). */
  findings?: string[];
  deferred?: number;
}

export function finding(spec: string): Finding {
  const critical = spec.endsWith('!');
  const [kind, subject] = spec.replace(/!$/, '').split(':') as [Finding['kind'], string | undefined];
  return {
    kind,
    severity: critical ? 'critical' : 'warn',
    title: `${subject ?? kind} title ${Math.random().toString(36).slice(2, 6)}`,
    evidence: [`evidence of ${kind}`],
    remedy: null,
    strength: 1,
    ...(subject ? { remedyVars: { domain: subject } } : {}),
  };
}

export function auditHost(h: HostSpec): AuditHost {
  const reachable = h.reachable ?? true;
  const facts = reachable && !h.failed
    ? ({
        pmtaStatus: { sources: ['cli'], traffic: {}, connections: { smtpOut: { active: 10, top: 12, max: 20 } }, queue: { smtp: { rcpts: h.queue ?? 100, domains: 3, kbytes: 9 } }, spool: { filesInUse: 50 }, deliveredLastHour: h.rate ?? 1000, vmtas: [], domains: [], backoffQueues: [] },
        accounting: {
          file: '/var/log/pmta/acct.csv', records: 1000, since: '', until: '', windowHours: 24, hasTransientRecords: true,
          hourly: [], bySourceIp: { '198.51.100.10': { delivered: 900, deferred: h.deferred ?? 50, bounced: 50 } },
          byDomain: { 'gmail.com': { delivered: 900, deferred: h.deferred ?? 50, bounced: 50, deferralRate: 0.05 } },
          topDiagnostics: [],
        },
      } as unknown as AuditHost['facts'])
    : {};
  return {
    name: h.name,
    reachable,
    error: reachable && !h.failed ? null : `${h.name}: ${reachable ? 'probe batch failed' : 'connection refused'}`,
    facts,
    findings: (h.findings ?? []).map(finding),
    unavailable: {},
    warnings: [],
  };
}

export function report(hosts: HostSpec[]): AuditReport {
  const list = hosts.map(auditHost);
  return { hosts: list, summary: summarize(list) };
}

export function record(auditId: string, at: number, hosts: HostSpec[]): AuditRecord {
  return auditRecord(report(hosts), {
    auditId,
    at,
    who: 'tester@test',
    params: { inventory: 'inv.yaml', limit: null, forks: 5, windowHours: 24, benchmarkDisk: false, incremental: true },
  });
}
