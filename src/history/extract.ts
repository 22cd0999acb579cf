/**
 * Audit report -> history record (pure). Reads the facts defensively, as the renderers do: a
 * probe that did not run leaves its figures null. Host text (IPs, domains, errors) is bounded
 * here: at most 8 IPs and ISPs per host, errors cut to 500 characters.
 */
import { hostFailed, isProblem, type AuditReport, type AuditHost, type Finding } from '../audit/index.js';
import { groupByIsp } from '../diagnose/isp.js';
import { hostView } from '../report/view.js';
import type { AuditParams, AuditRecord, FindingRow, FleetAggregate, HostDetail, HostRow, RateEntry } from './types.js';

const MAX_KEYS = 8;
const MAX_TEXT = 500;

interface Counts { delivered: number; deferred: number; bounced: number }

export function auditRecord(report: AuditReport, meta: { auditId: string; at: number; who: string; params: AuditParams }): AuditRecord {
  const hosts = report.hosts.map(hostRow);
  const findings = report.hosts.flatMap(findingRows);
  return { ...meta, fleet: fleetAggregate(hosts, findings), hosts, findings };
}

export function hostRow(host: AuditHost): HostRow {
  const view = hostView(host);
  const f = host.facts;
  const acc = f.accounting;
  const known = acc !== undefined && acc.hasTransientRecords && acc.records > 0;
  const all = acc ? sum(Object.values(acc.byDomain)) : undefined;
  const out = f.pmtaStatus?.connections.smtpOut;
  return {
    host: host.name,
    reachable: host.reachable,
    failed: hostFailed(host),
    rate: num(view.rate),
    queue: num(view.queue),
    spoolFiles: num(f.pmtaStatus?.spool.filesInUse),
    connOut: num(out?.active),
    connOutMax: num(out?.max),
    deferralRate: known && all ? ratio(all.deferred, all) : null,
    bounceRate: acc && all && acc.records > 0 ? ratio(all.bounced, all) : null,
    detail: hostDetail(host, known),
  };
}

function hostDetail(host: AuditHost, deferralsKnown: boolean): HostDetail {
  const f = host.facts;
  const acc = f.accounting;
  let perIp: RateEntry[] = [];
  let perIsp: RateEntry[] = [];
  if (acc) {
    perIp = top(Object.entries(acc.bySourceIp)).map(([ip, c]) => rates(ip, c, deferralsKnown));
    const byIsp = new Map<string, Counts>();
    for (const [isp, domains] of groupByIsp(Object.keys(acc.byDomain).filter((d) => d !== '(none)'), acc.mxHosts ?? {})) {
      byIsp.set(isp, sum(domains.flatMap((d) => (Object.hasOwn(acc.byDomain, d) ? [acc.byDomain[d]!] : []))));
    }
    perIsp = top([...byIsp]).map(([isp, c]) => rates(isp, c, deferralsKnown));
  }
  const utils = Object.values(f.spool?.io ?? {}).flatMap((r) => (typeof r.util === 'number' ? [r.util] : []));
  return {
    error: host.error === null ? null : host.error.slice(0, MAX_TEXT),
    unavailable: Object.keys(host.unavailable).slice(0, MAX_KEYS),
    perIp,
    perIsp,
    spoolUtil: utils.length > 0 ? Math.max(...utils) : null,
    fdOpen: num(f.fd?.openFds),
    fdLimit: num(f.fd?.softLimit),
    timeWait: num(f.ports?.timeWait),
    localPorts: num(f.ports?.localPorts),
    cpuBusy: num(f.cpu?.totalBusyPercent),
  };
}

/** Findings of warn or critical severity (info is not a problem and not tracked over time). */
export function findingRows(host: AuditHost): FindingRow[] {
  const seen = new Set<string>();
  const out: FindingRow[] = [];
  for (const f of host.findings.filter(isProblem)) {
    let subject = findingSubject(f);
    // Two findings of one kind about the same thing: keep both, apart.
    for (let n = 2; seen.has(`${f.kind}\u0000${subject}`); n++) subject = `${findingSubject(f)}#${n}`;
    seen.add(`${f.kind}\u0000${subject}`);
    out.push({
      host: host.name,
      kind: f.kind,
      subject,
      severity: f.severity,
      title: f.title.slice(0, MAX_TEXT),
      evidence: f.evidence.slice(0, 8).map((e) => e.slice(0, MAX_TEXT)),
      remedy: f.remedy,
    });
  }
  return out;
}

/**
 * What a finding is about, stable from one audit to the next (titles carry figures): the
 * domain, spool dir or device of its remedy variables, else the ISP a deferrals title names, else ''.
 */
export function findingSubject(f: Pick<Finding, 'kind' | 'title' | 'remedyVars'>): string {
  const vars = f.remedyVars;
  // spool_dir before device: spool-io's device is the remedy's target disk, which may be '?'.
  const named = vars ? [vars.domain, vars.spool_dir, vars.device].find((v) => v !== undefined && v !== '?') : undefined;
  if (named !== undefined) return named.slice(0, 200);
  if (f.kind === 'deferrals' || f.kind === 'isp-limit') {
    const m = / defers | connections /.exec(f.title);
    if (m) return f.title.slice(0, m.index).slice(0, 200);
  }
  return '';
}

export function fleetAggregate(hosts: readonly HostRow[], findings: readonly FindingRow[]): FleetAggregate {
  const rates = hosts.flatMap((h) => (h.rate === null ? [] : [h.rate]));
  const queues = hosts.flatMap((h) => (h.queue === null ? [] : [h.queue]));
  const deferrals = hosts.flatMap((h) => (h.deferralRate === null ? [] : [h.deferralRate])).sort((a, b) => a - b);
  const severities = new Map<string, string>();
  for (const f of findings) if (severities.get(f.host) !== 'critical') severities.set(f.host, f.severity);
  const worst = [...severities.values()];
  return {
    hosts: hosts.length,
    reachable: hosts.filter((h) => h.reachable).length,
    failed: hosts.filter((h) => h.failed).length,
    rate: rates.length > 0 ? rates.reduce((a, b) => a + b, 0) : null,
    queue: queues.length > 0 ? queues.reduce((a, b) => a + b, 0) : null,
    deferralRate: deferrals.length > 0 ? deferrals[Math.floor((deferrals.length - 1) / 2)]! : null,
    critical: worst.filter((w) => w === 'critical').length,
    warn: worst.filter((w) => w === 'warn').length,
  };
}

function top(entries: Array<[string, Counts]>): Array<[string, Counts]> {
  return entries
    .filter(([key]) => key !== '(none)')
    .sort((a, b) => total(b[1]) - total(a[1]) || (a[0] < b[0] ? -1 : 1))
    .slice(0, MAX_KEYS)
    .map(([key, c]) => [key.slice(0, 200), c]);
}

function rates(name: string, c: Counts, deferralsKnown: boolean): RateEntry {
  return [name, deferralsKnown ? bp(ratio(c.deferred, c)) : null, bp(ratio(c.bounced, c)), total(c)];
}

function sum(list: readonly Counts[]): Counts {
  const out = { delivered: 0, deferred: 0, bounced: 0 };
  for (const c of list) {
    out.delivered += c.delivered;
    out.deferred += c.deferred;
    out.bounced += c.bounced;
  }
  return out;
}

const total = (c: Counts): number => c.delivered + c.deferred + c.bounced;
const ratio = (n: number, c: Counts): number => (total(c) > 0 ? n / total(c) : 0);
const bp = (x: number): number => Math.round(x * 10_000);

function num(x: number | null | undefined): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}
