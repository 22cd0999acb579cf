import type { EffectiveSettings } from '../pmta/settings.js';
import { connectionCeiling, DEFAULT_MAX_SMTP_OUT, domainSetting, type Ceiling, type Limit } from '../pmta/effective.js';
import type { AccountingFacts, Facts } from '../probes/index.js';
import { own } from '../util/dict.js';
import { fmt, median, pct } from './format.js';
import { ispLimit } from './profiles.js';
import { deferralSeverity, ipReputationFinding, ispDeferralEvidence, ispDeferrals } from './isp-findings.js';
import { ispLabel } from './isp.js';
import { reputationByIsp } from './reputation.js';
import type { DiagnoseOptions, Finding } from './types.js';

import { DEFERRAL_CRITICAL, DEFERRAL_WARN } from './reputation.js';

export { DEFERRAL_CRITICAL, DEFERRAL_WARN } from './reputation.js';
/** Fewer d/t/b records than this say nothing reliable about a rate. */
export const MIN_RECORDS = 50;
/** Connections at or above this share of the configured maximum count as "at max". */
export const AT_MAX_SHARE = 0.9;

const total = (c: { delivered: number; deferred: number; bounced: number }): number => c.delivered + c.deferred + c.bounced;


/** Per-IP rates compared to the median of the OTHER IPs, so two bad IPs of four cannot hide each other. */
export function reputationOutliers(acc: AccountingFacts): {
  outliers: Array<{ ip: string; rate: number; baseline: number; records: number; deferred: number }>;
  rates: Array<{ ip: string; rate: number }>;
} {
  const ips = Object.entries(acc.bySourceIp)
    .filter(([ip, c]) => ip !== '(none)' && total(c) >= MIN_RECORDS)
    .map(([ip, c]) => ({ ip, rate: c.deferred / total(c), records: total(c), deferred: c.deferred }));
  if (ips.length < 2) return { outliers: [], rates: ips };
  const outliers = ips
    .map((entry) => ({ ...entry, baseline: median(ips.filter((o) => o.ip !== entry.ip).map((o) => o.rate)) }))
    .filter((e) => e.rate > DEFERRAL_WARN && e.rate >= 2 * e.baseline && e.rate - e.baseline >= DEFERRAL_WARN);
  // "One or a few" IPs: when most of the pool is affected the pool-wide cause is not the IPs.
  if (outliers.length > Math.floor(ips.length / 2)) return { outliers: [], rates: ips };
  return { outliers: outliers.sort((a, b) => b.rate - a.rate), rates: ips };
}

function domainLines(acc: AccountingFacts, domain: string): string[] {
  const c = own(acc.byDomain, domain)!;
  const lines = [`${domain} deferral rate ${pct(c.deferralRate)} (${fmt(c.deferred, 0)} t of ${fmt(total(c), 0)} d/t/b records, accounting ${acc.windowHours} h)`];
  for (const d of acc.topDiagnostics.filter((t) => t.domain === domain).slice(0, 2)) {
    lines.push(`${domain} dsnDiag ×${fmt(d.count, 0)}: ${d.pattern}`);
  }
  return lines;
}

function ipSpread(rates: Array<{ ip: string; rate: number }>): string | null {
  if (rates.length < 2) return null;
  const values = rates.map((r) => r.rate);
  return `per-IP deferral rates ${pct(Math.min(...values))} to ${pct(Math.max(...values))} across ${rates.length} source IPs: uniform, so not an IP reputation problem (accounting dlvSourceIp)`;
}

/** Source virtual MTAs: the config's (with a source IP), else `pmta show vmtas`, else accounting's IPs. */
function sourceVmtas(facts: Facts): { names: string[]; count: number; source: string } {
  const fromConfig = facts.config?.settings.virtualMtas.filter((v) => v.sourceIp).map((v) => v.name) ?? [];
  if (fromConfig.length > 0) return { names: fromConfig, count: fromConfig.length, source: 'virtual-mta smtp-source-host' };
  const vmtas = facts.pmtaStatus?.vmtas.map((v) => v.name) ?? [];
  if (vmtas.length > 0) return { names: vmtas, count: vmtas.length, source: 'pmta show vmtas' };
  const ips = Object.keys(facts.accounting?.bySourceIp ?? {}).filter((ip) => ip !== '(none)').length;
  return { names: [], count: Math.max(1, ips), source: 'accounting dlvSourceIp' };
}

/** The queue's connection ceiling; without a readable config, PowerMTA's default per source IP. */
function ceilingOf(settings: EffectiveSettings | undefined, queue: string, vmtas: { names: string[]; count: number }): Ceiling {
  if (settings) return connectionCeiling(settings, queue, vmtas.names);
  const domain = { value: DEFAULT_MAX_SMTP_OUT, at: 'PowerMTA default', source: 'default max-smtp-out (config not read)' };
  const perVmta = Array.from({ length: vmtas.count }, (_, i) => ({ vmta: vmtas.names[i] ?? `ip${i + 1}`, domain, value: domain.value }));
  return { queue, perVmta, value: domain.value * vmtas.count };
}

const limitText = (l: Limit): string => `${l.source} ${l.value} (${l.at})`;

/** The limit that decides one vmta's share: its own max-smtp-out when lower than the queue's. */
const deciding = (v: Ceiling['perVmta'][number]): Limit => (v.vmtaCap && v.vmtaCap.value < v.domain.value ? v.vmtaCap : v.domain);

/** "<domain gmail.com> max-smtp-out 2 (file:line) × 4 source IPs", or each vmta's limit when they differ. */
function ceilingText(c: Ceiling): string {
  const limits = c.perVmta.map(deciding);
  const first = limits[0]!;
  const same = limits.every((l) => l.value === first.value);
  let text: string;
  if (same && limits.every((l) => l.at === first.at)) text = `${limitText(first)} × ${limits.length} source IPs`;
  else if (same && c.perVmta.every((v) => deciding(v) === v.vmtaCap))
    text = `max-smtp-out ${first.value} in each <virtual-mta> (${limits.map((l) => l.at).join(', ')}) × ${limits.length} source IPs`;
  else text = `${c.perVmta.map((v) => `${v.vmta} ${v.value} (${limitText(deciding(v))})`).join(' + ')}`;
  if (c.boundBy) text += `, capped at ${c.boundBy.value} by ${c.boundBy.source} (${c.boundBy.at})`;
  return text;
}

/** Queues of the domain that PowerMTA (or its operator) put in backoff mode, as one evidence line. */
export function backoffLines(facts: Facts, domain: string): string[] {
  const queues = (facts.pmtaStatus?.backoffQueues ?? []).filter((q) => q.domain === domain);
  if (queues.length === 0) return [];
  const rcpts = queues.reduce((a, q) => a + q.rcpts, 0);
  const names = queues.slice(0, 4).map((q) => q.queue).join(', ');
  return [`${queues.length} ${domain} queue${queues.length > 1 ? 's' : ''} in backoff mode holding ${fmt(rcpts, 0)} recipients: ${names}${queues.length > 4 ? ', …' : ''} (pmta show queues --mode=backoff)`];
}

function windowSpanHours(acc: AccountingFacts | undefined): number {
  return Math.max(1, Math.min(acc?.windowHours ?? 24, acc?.hourly.length ?? 1));
}

interface IspLimitResult {
  finding: Finding;
  domain: string;
}

/** Seed: "All connections full, low rate"; ceiling = connections × msgs/session × IPs per cycle. */
function ispLimits(facts: Facts, options: DiagnoseOptions): IspLimitResult[] {
  const status = facts.pmtaStatus;
  if (!status) return [];
  const acc = facts.accounting;
  const settings = facts.config?.settings;
  const profile = options.profile ?? 'medium';
  const vmtas = sourceVmtas(facts);
  const ips = { value: vmtas.count, source: vmtas.source };
  const out: IspLimitResult[] = [];
  for (const row of status.domains) {
    const ceiling = ceilingOf(settings, row.domain, vmtas);
    const cap = ceiling.value;
    if (row.connections === 0 || row.connections < AT_MAX_SHARE * cap) continue;
    // "On all source IPs": no virtual MTA may have fewer connections than its share of this
    // queue (its own limit; the smallest one for vmtas the config does not name). A pool or
    // server-wide cap splits the connections unevenly, so then only the queue total counts.
    const smallest = Math.min(...ceiling.perVmta.map((v) => v.value));
    const share = (name: string): number => ceiling.perVmta.find((v) => v.vmta === name)?.value ?? smallest;
    if (!ceiling.boundBy && status.vmtas.some((v) => v.connections < AT_MAX_SHARE * share(v.name))) continue;
    const limit = ispLimit(profile, row.domain, options.ispLimits);
    const configured = settings ? Number(domainSetting(settings, row.domain, 'max-msg-per-connection', vmtas.names[0])?.value) : NaN;
    const perSession = configured > 0 ? configured : limit.maxMsgPerConnection;
    const perCycle = cap * perSession;
    const ceilingPerHour = perCycle * 60;
    const byDomain = acc ? own(acc.byDomain, row.domain) : undefined;
    const delivered = byDomain?.delivered;
    const ratePerHour = delivered !== undefined ? delivered / windowSpanHours(acc) : undefined;
    const lowRate = ratePerHour === undefined || ratePerHour < 0.5 * ceilingPerHour;
    // The ISP pushing back (deferrals) is what tells an ISP limit from connections kept
    // busy by a slow layer below (a saturated spool makes every session slow, too).
    const pushback = acc?.hasTransientRecords && byDomain && total(byDomain) >= MIN_RECORDS ? byDomain.deferralRate : undefined;
    const severity: Finding['severity'] =
      pushback === undefined ? (lowRate ? 'warn' : 'info') : (deferralSeverity(pushback) ?? 'info');
    const uniform = !ceiling.boundBy && ceiling.perVmta.every((v) => v.value === smallest);
    const evidence = [
      `${row.domain}: ${fmt(row.connections, 0)} connections open = ${ceilingText(ceiling)} (pmta show domains, ${ips.source})`,
      uniform
        ? `ceiling ${smallest} connections × ${perSession} msgs/session × ${ips.value} IPs = ${fmt(perCycle, 0)} msgs/cycle = ${fmt(ceilingPerHour, 0)} msgs/h at one cycle per minute`
        : `ceiling ${fmt(cap, 0)} connections × ${perSession} msgs/session = ${fmt(perCycle, 0)} msgs/cycle = ${fmt(ceilingPerHour, 0)} msgs/h at one cycle per minute`,
      ...backoffLines(facts, row.domain),
    ];
    if (ratePerHour !== undefined) {
      evidence.push(`delivered ${fmt(ratePerHour, 0)} msgs/h to ${row.domain} (accounting, ${windowSpanHours(acc)} h average) = ${pct(ratePerHour / ceilingPerHour)} of that ceiling`);
    }
    const given = options.targetPerHour ? own(options.targetPerHour, row.domain) : undefined;
    const target = given ?? (ratePerHour ?? 0) + row.rcpts;
    const perIp = ratePerHour && ratePerHour > 0 ? ratePerHour / ips.value : (limit.maxSmtpOut * limit.maxMsgPerConnection * 60);
    const needed = Math.max(ips.value, Math.ceil(target / perIp));
    evidence.push(
      `target ${fmt(target, 0)} msgs/h (${given !== undefined ? 'given' : `delivered + ${fmt(row.rcpts, 0)} queued`}) needs ${needed} warmed IPs at ${fmt(perIp, 0)} msgs/h per IP (${ips.value} now)`,
    );
    evidence.push(`${profile} reputation profile for ${row.domain}: ${limit.maxSmtpOut} connections × ${limit.maxMsgPerConnection} msgs/session per IP`);
    // The server-wide cap (licence / total-max-smtp-out) is not the ISP's: more IPs would not help.
    const serverWide = ceiling.boundBy?.kind === 'total';
    out.push({
      domain: row.domain,
      finding: {
        kind: 'isp-limit',
        severity: serverWide ? 'warn' : severity,
        title: serverWide
          ? `${row.domain} connections are held by the server-wide total-max-smtp-out ${cap} (${ceiling.boundBy!.at}), not by an ISP limit`
          : severity === 'info'
            ? `${row.domain} connections are full on every IP but ${row.domain} is not pushing back: look at the layers below first`
            : `${row.domain} connections are full on every IP with a low rate: the ISP caps throughput, add warmed IPs`,
        evidence,
        remedy: serverWide ? null : 'playbooks/isp-limits.yaml',
        remedyVars: {
          domain: row.domain,
          profile,
          max_smtp_out: String(limit.maxSmtpOut),
          max_msg_per_connection: String(limit.maxMsgPerConnection),
          ips_needed: String(needed),
        },
        strength: row.connections / cap,
      },
    });
  }
  return out;
}

/**
 * isp-limit, ip-reputation and deferrals, layered: deferrals concentrated on a few IPs are
 * an ip-reputation finding; uniform deferrals at a domain whose connections are full are
 * part of its isp-limit finding; only what is left is a plain `deferrals` finding.
 */
export function deliveryFindings(facts: Facts, options: DiagnoseOptions): Finding[] {
  const acc = facts.accounting;
  const limits = ispLimits(facts, options);
  if (!acc) return limits.map((l) => l.finding);
  if (!acc.hasTransientRecords && acc.records > 0) {
    return [
      ...limits.map((l) => l.finding),
      {
        kind: 'deferrals',
        severity: 'info',
        title: 'Deferral rate unknown: the accounting file has no t records',
        evidence: [`${fmt(acc.records, 0)} d/b records and no t records in ${acc.file} (${acc.windowHours} h); add t to the acct-file "records" directive`],
        remedy: null,
        strength: 0,
      },
    ];
  }
  const domains = Object.entries(acc.byDomain)
    .filter(([domain, c]) => domain !== '(none)' && total(c) >= MIN_RECORDS && deferralSeverity(c.deferralRate))
    .sort((a, b) => b[1].deferralRate - a[1].deferralRate)
    .map(([domain]) => domain);
  // Per source IP and ISP first (deferrals and policy/spam bounces); the pool-wide per-IP
  // comparison only when the facts have no per-IP-per-domain counts or it finds nothing.
  const byIsp = reputationByIsp(acc);
  const ispOutliers = byIsp?.outliers ?? [];
  const global = reputationOutliers(acc);
  const { rates } = global;
  const outliers = ispOutliers.length > 0 ? [] : global.outliers;
  const findings: Finding[] = [];
  if (byIsp && ispOutliers.length > 0) findings.push(ipReputationFinding(ispOutliers, byIsp.stats));
  if (outliers.length > 0) {
    const worst = outliers[0];
    findings.push({
      kind: 'ip-reputation',
      severity: deferralSeverity(worst.rate) ?? 'warn',
      title: `Deferrals concentrate on ${outliers.length} of ${rates.length} source IPs: an IP reputation problem, not configuration`,
      evidence: [
        ...outliers.map(
          (o) => `${o.ip} deferral rate ${pct(o.rate)} (${fmt(o.deferred, 0)} of ${fmt(o.records, 0)} records) vs ${pct(o.baseline)} median of the other IPs (accounting dlvSourceIp)`,
        ),
        ...domains.flatMap((d) => domainLines(acc, d).slice(0, 2)),
      ],
      remedy: null,
      strength: worst.rate / DEFERRAL_WARN,
    });
  }
  const anyOutliers = outliers.length > 0 || ispOutliers.length > 0;
  for (const { domain, finding } of limits) {
    const c = own(acc.byDomain, domain);
    if (c && total(c) >= MIN_RECORDS && !anyOutliers) {
      if (deferralSeverity(c.deferralRate)) {
        finding.evidence.push(...domainLines(acc, domain));
        const spread = ipSpread(rates);
        if (spread) finding.evidence.push(spread);
      }
    }
    findings.push(finding);
  }
  const limited = new Set(limits.map((l) => l.domain));
  if (byIsp && outliers.length === 0) {
    // At the ISP's layer: what is left once the outlier IPs are set aside.
    for (const d of ispDeferrals(acc, byIsp.stats, ispOutliers, limited, MIN_RECORDS)) {
      const label = ispLabel(d.isp, d.domains);
      const action = d.rate > DEFERRAL_CRITICAL ? 'reduce volume now and review' : 'investigate';
      const shown = d.domains.filter((x) => own(acc.byDomain, x)).sort((a, b) => total(own(acc.byDomain, b)!) - total(own(acc.byDomain, a)!)).slice(0, 3);
      findings.push({
        kind: 'deferrals',
        severity: deferralSeverity(d.rate) ?? 'warn',
        title: d.uniform
          ? `${label} defers ${pct(d.rate)} of messages on every source IP: the ISP defers everyone, ${action} volume and content for ${d.isp}`
          : `${label} defers ${pct(d.rate)} of messages: ${action} the ${label} configuration`,
        evidence: [
          `${d.isp}: ${fmt(d.counts.deferred, 0)} t of ${fmt(total(d.counts), 0)} d/t/b records (accounting ${acc.windowHours} h)`,
          ...shown.flatMap((x) => domainLines(acc, x).slice(0, shown.length > 1 ? 1 : 3)),
          ...shown.flatMap((x) => backoffLines(facts, x)),
          ...ispDeferralEvidence(d, byIsp.stats),
        ],
        remedy: null,
        strength: d.rate / DEFERRAL_WARN,
      });
    }
  } else if (!anyOutliers) {
    for (const domain of domains.filter((d) => !limited.has(d))) {
      const rate = own(acc.byDomain, domain)!.deferralRate;
      const spread = ipSpread(rates);
      findings.push({
        kind: 'deferrals',
        severity: deferralSeverity(rate) ?? 'warn',
        title: `${domain} defers ${pct(rate)} of messages: ${rate > DEFERRAL_CRITICAL ? 'reduce volume now and review' : 'investigate'} the ${domain} configuration`,
        evidence: [...domainLines(acc, domain), ...backoffLines(facts, domain), ...(spread ? [spread] : [])],
        remedy: null,
        strength: rate / DEFERRAL_WARN,
      });
    }
  }
  return findings;
}
