/**
 * The findings of reputation per source IP and ISP (reputation.ts): one `ip-reputation`
 * finding naming each IP and the ISP where it stands out, and one `deferrals` finding per ISP
 * whose deferrals are left once those IPs are set aside (uniform across its IPs: the ISP
 * defers everyone). Pure.
 */
import type { AccountingFacts, AccountingFailure, Counts } from '../probes/accounting.js';
import { own } from '../util/dict.js';
import { fmt, pct } from './format.js';
import { ispLabel } from './isp.js';
import { DEFERRAL_CRITICAL, DEFERRAL_WARN, isPolicyBounce, type IspStats, type ReputationOutlier } from './reputation.js';
import type { Finding } from './types.js';

/** At most this many (IP, ISP) lines in one finding's evidence. */
const MAX_OUTLIER_LINES = 8;

const total = (c: Counts): number => c.delivered + c.deferred + c.bounced;

export function deferralSeverity(rate: number): Finding['severity'] | null {
  return rate > DEFERRAL_CRITICAL ? 'critical' : rate > DEFERRAL_WARN ? 'warn' : null;
}

function failureLine(prefix: string, f: AccountingFailure): string {
  const what = f.type === 'b' ? 'bounced' : f.type === 't' ? 'deferred' : f.type === 'tq' ? 'queue failures (tq)' : 'remote bounces (rb)';
  const cat = f.bounceCat ? ` ${f.bounceCat}` : '';
  return `${prefix}: ${fmt(f.count, 0)} ${what}${cat}${f.dsnStatus ? ` ${f.dsnStatus}` : ''}: ${f.pattern || '(no dsnDiag)'} (accounting bounceCat, dsnStatus, dsnDiag)`;
}

/** The ip-reputation finding for the outliers (worst first), naming IP and ISP. */
export function ipReputationFinding(outliers: ReputationOutlier[], stats: Map<string, IspStats>): Finding {
  const worst = outliers[0]!;
  const ips = [...new Set(outliers.map((o) => o.ip))];
  const isps = [...new Set(outliers.map((o) => o.isp))];
  const label = (isp: string): string => ispLabel(isp, stats.get(isp)?.domains ?? [isp]);
  const pool = Math.max(...[...stats.values()].map((s) => s.ips.length));
  const refused = worst.policy > worst.deferred;
  let title: string;
  if (outliers.length === 1) {
    title = refused
      ? `${worst.ip} is refused by ${label(worst.isp)}: ${pct(worst.policy / worst.total)} of its messages bounce for policy/spam (vs ${pct(worst.baseline)} on the other IPs): an IP reputation problem`
      : `${worst.ip} is deferred by ${label(worst.isp)}: ${pct(worst.rate)} (vs ${pct(worst.baseline)} on the other IPs): an IP reputation problem, not configuration`;
  } else {
    title = `Deferrals and policy bounces concentrate on ${ips.length} of ${pool} source IPs (${ips.slice(0, 3).join(', ')}) at ${isps.slice(0, 4).join(', ')}${isps.length > 4 ? ', …' : ''}: an IP reputation problem, not configuration`;
  }
  const evidence = outliers.slice(0, MAX_OUTLIER_LINES).map(
    (o) =>
      `${o.ip} at ${label(o.isp)}: ${pct(o.rate)} deferred or refused (${fmt(o.deferred, 0)} t + ${fmt(o.policy, 0)} policy/spam b of ${fmt(o.total, 0)} d/t/b records${o.queueFailures ? `, ${fmt(o.queueFailures, 0)} tq queue failures` : ''}) vs ${pct(o.baseline)} median of the other IPs there (accounting dlvSourceIp, bounceCat, dsnStatus)`,
  );
  if (outliers.length > MAX_OUTLIER_LINES) evidence.push(`… and ${outliers.length - MAX_OUTLIER_LINES} more (IP, ISP) pairs`);
  // What each ISP said: its most frequent refusal (when the outliers there were refused) or deferral text.
  for (const isp of isps.slice(0, 4)) {
    const here = outliers.filter((o) => o.isp === isp);
    const refusedHere = here.some((o) => o.policy > o.deferred);
    const top = sumByText(stats.get(isp)?.failures.filter((f) => (refusedHere ? isPolicyBounce(f) : f.type === 't')) ?? [])[0];
    if (top) evidence.push(failureLine(isp, top));
  }
  return { kind: 'ip-reputation', severity: deferralSeverity(worst.rate) ?? 'warn', title, evidence, remedy: null, strength: worst.rate / DEFERRAL_WARN };
}

/** Counts of an ISP's domains without the given IPs (the outliers there). */
function ispCounts(acc: AccountingFacts, domains: string[], without: Set<string>): Counts {
  const c: Counts = { delivered: 0, deferred: 0, bounced: 0 };
  for (const d of domains) {
    const all = own(acc.byDomain, d);
    if (!all) continue;
    c.delivered += all.delivered;
    c.deferred += all.deferred;
    c.bounced += all.bounced;
    for (const ip of without) {
      const x = own(acc.byIpDomain, ip);
      const part = x ? own(x, d) : undefined;
      if (!part) continue;
      c.delivered -= part.delivered;
      c.deferred -= part.deferred;
      c.bounced -= part.bounced;
    }
  }
  return c;
}

export interface IspDeferral {
  isp: string;
  domains: string[];
  rate: number;
  counts: Counts;
  /** Per-IP deferral rates at the ISP (IPs with enough records), highest first. */
  perIp: Array<{ ip: string; rate: number }>;
  /** Every IP with enough records is over the threshold: the ISP defers everyone. */
  uniform: boolean;
}

/** ISPs whose deferral rate is over the threshold once their outlier IPs are set aside. */
export function ispDeferrals(acc: AccountingFacts, stats: Map<string, IspStats>, outliers: ReputationOutlier[], skip: Set<string>, minRecords: number): IspDeferral[] {
  const out: IspDeferral[] = [];
  for (const s of stats.values()) {
    const domains = s.domains.filter((d) => !skip.has(d));
    if (domains.length === 0) continue;
    const bad = new Set(outliers.filter((o) => o.isp === s.isp).map((o) => o.ip));
    const counts = ispCounts(acc, domains, bad);
    if (total(counts) < minRecords) continue;
    const rate = counts.deferred / total(counts);
    if (!deferralSeverity(rate)) continue;
    const perIp = s.ips
      .filter((e) => !bad.has(e.ip) && e.total >= minRecords / 2)
      .map((e) => ({ ip: e.ip, rate: e.total > 0 ? e.deferred / e.total : 0 }))
      .sort((a, b) => b.rate - a.rate);
    out.push({ isp: s.isp, domains, rate, counts, perIp, uniform: perIp.length >= 2 && perIp.every((p) => p.rate > DEFERRAL_WARN) });
  }
  return out.sort((a, b) => b.rate - a.rate);
}

/** The evidence of one ISP's deferrals: per-IP spread and what the ISP said. */
export function ispDeferralEvidence(d: IspDeferral, stats: Map<string, IspStats>): string[] {
  const lines: string[] = [];
  if (d.perIp.length >= 2) {
    const list = d.perIp.slice(0, 6).map((p) => `${p.ip} ${pct(p.rate)}`).join(', ');
    lines.push(
      `per-IP deferral rates at ${d.isp}: ${list}${d.perIp.length > 6 ? ', …' : ''}${d.uniform ? ': uniform, so not an IP reputation problem (accounting dlvSourceIp)' : ' (accounting dlvSourceIp)'}`,
    );
  }
  const top = stats.get(d.isp)?.failures.filter((f) => f.type === 't' && d.domains.includes(f.domain)) ?? [];
  for (const f of sumByText(top).slice(0, 2)) lines.push(failureLine(d.isp, f));
  return lines;
}

/** One line per text across the ISP's domains (the same error at hotmail.com and outlook.com), most frequent first. */
function sumByText(failures: AccountingFailure[]): AccountingFailure[] {
  const byText = new Map<string, AccountingFailure>();
  for (const f of failures) {
    const key = `${f.type}\t${f.bounceCat}\t${f.dsnStatus}\t${f.pattern}`;
    const had = byText.get(key);
    byText.set(key, had ? { ...had, count: had.count + f.count } : { ...f });
  }
  return [...byText.values()].sort((a, b) => b.count - a.count || (a.pattern < b.pattern ? -1 : 1));
}
