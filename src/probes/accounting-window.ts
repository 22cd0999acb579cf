/**
 * The DESIGN.md accounting facts of the window's merged partial (accounting-merge.ts). Pure.
 */
import { dict } from '../util/dict.js';
import type { AccountingFacts } from './accounting.js';
import type { BucketPartial } from './accounting-merge.js';

/** At most this many failure groups go into the facts (most frequent first). */
export const TOP_FAILURES = 500;

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The DESIGN.md facts of the window's merged partial. */
export function windowFacts(
  window: BucketPartial,
  newest: { e: number; text: string } | null,
  files: string[],
  windowHours: number,
  topN: number,
  oldest: { e: number; text: string } | null = null,
  mx: Record<string, string> = dict(),
): Omit<AccountingFacts, 'acctFiles' | 'pipes' | 'pending'> {
  const hourly = Object.entries(window.hours)
    .map(([hour, c]) => ({ hour, ...c }))
    .sort((a, b) => cmp(a.hour, b.hour));
  const records = hourly.reduce((n, h) => n + h.delivered + h.deferred + h.bounced, 0);
  const byDomain: AccountingFacts['byDomain'] = dict();
  for (const [d, c] of Object.entries(window.domains)) {
    const total = c.delivered + c.deferred + c.bounced;
    byDomain[d] = { ...c, deferralRate: total > 0 ? c.deferred / total : 0 };
  }
  const topDiagnostics = Object.entries(window.diags)
    .map(([key, count]) => {
      const tab = key.indexOf('\t');
      return { domain: key.slice(0, tab), pattern: key.slice(tab + 1), count };
    })
    .sort((a, b) => b.count - a.count || cmp(a.domain, b.domain) || cmp(a.pattern, b.pattern))
    .slice(0, topN);
  const byIpDomain: AccountingFacts['byIpDomain'] = dict();
  for (const [key, c] of Object.entries(window.pairs)) {
    const tab = key.indexOf('\t');
    (byIpDomain[key.slice(0, tab)] ??= dict())[key.slice(tab + 1)] = { ...c };
  }
  const failures = Object.entries(window.fails)
    .map(([key, count]) => {
      const [type = '', domain = '', bounceCat = '', dsnStatus = '', ...pattern] = key.split('\t');
      return { type, domain, bounceCat, dsnStatus, pattern: pattern.join('\t'), count };
    })
    .sort((a, b) => b.count - a.count || cmp(a.domain, b.domain) || cmp(a.type, b.type) || cmp(a.bounceCat, b.bounceCat) || cmp(a.dsnStatus, b.dsnStatus) || cmp(a.pattern, b.pattern))
    .slice(0, TOP_FAILURES);
  return {
    file: files[0] ?? '',
    files,
    records,
    since: records > 0 ? window.minText : null,
    until: newest?.text ?? null,
    windowHours,
    hourly,
    bySourceIp: dict(Object.entries(window.ips)),
    byDomain,
    topDiagnostics,
    byIpDomain,
    failures,
    mxHosts: dict(Object.entries(mx)),
    hasTransientRecords: hourly.some((h) => h.deferred > 0),
    // From the oldest record read to the newest: less than the window when older files were
    // moved away, deleted or never read.
    coveredHours: newest && oldest ? Math.round(Math.min(windowHours, Math.max(0, newest.e - oldest.e) / 3600) * 100) / 100 : 0,
  };
}
