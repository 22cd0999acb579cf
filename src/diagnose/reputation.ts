/**
 * Reputation per source IP AND receiving ISP (issue #12): an IP whose deferrals or policy/spam
 * bounces at one ISP stand out against the other IPs at that ISP is that IP's reputation there;
 * the same rate on every IP is the ISP deferring everyone (a `deferrals` finding at the ISP,
 * see delivery.ts). Pure: accounting facts in, rates and outliers out.
 */
import type { AccountingFacts, AccountingFailure } from '../probes/accounting.js';
import { median } from './format.js';
import { groupByIsp } from './isp.js';

/** Seed FAQ: over 5 % at one ISP warrants investigation, over 15 % needs volume reduced now. */
export const DEFERRAL_WARN = 0.05;
export const DEFERRAL_CRITICAL = 0.15;
/** The same threshold per IP at one ISP. */
export const REPUTATION_WARN = DEFERRAL_WARN;
/** Fewer d/t/b records than this for one IP at one ISP say nothing reliable about its rate. */
export const MIN_IP_ISP_RECORDS = 50;
/**
 * Bounce categories (UG §11.2.3 bounceCat) that mean the receiver refused the SENDER, not the
 * recipient or the message: policy-related (blocks, rate policies) and spam-related (the
 * Guide's own b sample, "554 5.7.1 Denied - Spam Suspected"). With any 5.7.x status (RFC 3463
 * security or policy status) they are the hard form of a reputation deferral.
 */
export const POLICY_CATEGORIES = new Set(['policy-related', 'spam-related']);

export const isPolicyBounce = (f: Pick<AccountingFailure, 'type' | 'bounceCat' | 'dsnStatus'>): boolean =>
  f.type === 'b' && (POLICY_CATEGORIES.has(f.bounceCat) || f.dsnStatus.startsWith('5.7.'));

export interface IpAtIsp {
  ip: string;
  isp: string;
  /** d + t + b records of this IP at the ISP's domains. */
  total: number;
  deferred: number;
  /** b records refused for policy or spam (bounceCat) or with a 5.7.x status. */
  policy: number;
  /** tq records (UG §11.2.5): failed attempts at whole queues, not counted in the rate. */
  queueFailures: number;
  /** (deferred + policy) / total. */
  rate: number;
}

export interface IspStats {
  isp: string;
  domains: string[];
  ips: IpAtIsp[];
  /** The most frequent failure groups at this ISP, most frequent first. */
  failures: AccountingFailure[];
}

export interface ReputationOutlier extends IpAtIsp {
  baseline: number;
}

/** Per ISP, each source IP's counts; null when the facts have no per-IP-per-domain counts. */
export function ispStats(acc: AccountingFacts): Map<string, IspStats> | null {
  if (!acc.byIpDomain) return null;
  const domains = new Set<string>();
  for (const perDomain of Object.values(acc.byIpDomain)) for (const d of Object.keys(perDomain)) domains.add(d);
  for (const f of acc.failures ?? []) domains.add(f.domain);
  domains.delete('(none)');
  const groups = groupByIsp(domains, acc.mxHosts ?? {});
  const ispOfDomain = new Map<string, string>();
  for (const [isp, list] of groups) for (const d of list) ispOfDomain.set(d, isp);
  const out = new Map<string, IspStats>();
  const entry = (isp: string, ip: string): IpAtIsp => {
    let s = out.get(isp);
    if (!s) out.set(isp, (s = { isp, domains: groups.get(isp) ?? [], ips: [], failures: [] }));
    let e = s.ips.find((x) => x.ip === ip);
    if (!e) s.ips.push((e = { ip, isp, total: 0, deferred: 0, policy: 0, queueFailures: 0, rate: 0 }));
    return e;
  };
  for (const [ip, perDomain] of Object.entries(acc.byIpDomain)) {
    if (ip === '(none)') continue;
    for (const [domain, c] of Object.entries(perDomain)) {
      const isp = ispOfDomain.get(domain);
      if (!isp) continue;
      const e = entry(isp, ip);
      e.total += c.delivered + c.deferred + c.bounced;
      e.deferred += c.deferred;
      e.policy += c.policy ?? 0;
      e.queueFailures += c.queueFailures ?? 0;
    }
  }
  for (const f of acc.failures ?? []) {
    const isp = ispOfDomain.get(f.domain);
    if (isp) out.get(isp)?.failures.push(f);
  }
  for (const s of out.values()) {
    for (const e of s.ips) e.rate = e.total > 0 ? (e.deferred + e.policy) / e.total : 0;
    s.ips.sort((a, b) => b.rate - a.rate || (a.ip < b.ip ? -1 : 1));
  }
  return out;
}

/**
 * IPs that stand out at one ISP: over the threshold, at least twice the median of the OTHER
 * IPs there (so two bad IPs of four cannot hide each other) and at least the threshold above
 * it. When most IPs at the ISP are affected, the cause is the ISP (or the content), not IPs.
 */
export function ispOutliers(stats: IspStats): ReputationOutlier[] {
  const ips = stats.ips.filter((e) => e.total >= MIN_IP_ISP_RECORDS);
  if (ips.length < 2) return [];
  const outliers = ips
    .map((e) => ({ ...e, baseline: median(ips.filter((o) => o.ip !== e.ip).map((o) => o.rate)) }))
    .filter((e) => e.rate > REPUTATION_WARN && e.rate >= 2 * e.baseline && e.rate - e.baseline >= REPUTATION_WARN);
  if (outliers.length > Math.floor(ips.length / 2)) return [];
  return outliers.sort((a, b) => b.rate - a.rate);
}

/** Every ISP's outliers, worst first. */
export function reputationByIsp(acc: AccountingFacts): { stats: Map<string, IspStats>; outliers: ReputationOutlier[] } | null {
  const stats = ispStats(acc);
  if (!stats) return null;
  const outliers = [...stats.values()].flatMap(ispOutliers).sort((a, b) => b.rate - a.rate || b.total - a.total);
  return { stats, outliers };
}
