/**
 * One hour bucket's partial aggregate of the accounting analysis (the runner's side, see
 * accounting-merge.ts): its maps, how partials add up, and how one "x" line of the host's
 * output adds into one. Pure functions.
 */
import { dict } from '../util/dict.js';
import type { Counts, IpDomainCounts } from './accounting.js';

/** The maps are keyed by host text (hours, IPs, domains, diagnostics): null-prototype (util/dict). */
export interface BucketPartial {
  /** Smallest instant in the bucket and its text as written (for `since`). */
  minE: number;
  minText: string;
  hours: Record<string, Counts>;
  ips: Record<string, Counts>;
  domains: Record<string, Counts>;
  /** "domain\tpattern" -> count of t and b records. */
  diags: Record<string, number>;
  /** "ip\tdomain" -> d/t/b counts, policy/spam bounces and tq failures (rates per source IP at one ISP). */
  pairs: Record<string, IpDomainCounts>;
  /** "type\tdomain\tbounceCat\tstatus\tpattern" -> count of t, b, tq and rb records. */
  fails: Record<string, number>;
}

const zero = (): Counts => ({ delivered: 0, deferred: 0, bounced: 0 });

export function emptyPartial(): BucketPartial {
  return { minE: Number.MAX_SAFE_INTEGER, minText: '', hours: dict(), ips: dict(), domains: dict(), diags: dict(), pairs: dict(), fails: dict() };
}

export function addOne(into: Record<string, Counts>, key: string, c: Counts): void {
  const t = (into[key] ??= zero());
  t.delivered += c.delivered;
  t.deferred += c.deferred;
  t.bounced += c.bounced;
}

// The maps are null-prototype: for-in sees only their own keys (and makes no entry arrays).
function addCounts(into: Record<string, Counts>, from: Record<string, Counts>): void {
  for (const k in from) addOne(into, k, from[k]!);
}

function addNumbers(into: Record<string, number>, from: Record<string, number>): void {
  for (const k in from) into[k] = (into[k] ?? 0) + from[k]!;
}

/** Adds `from` into `into`; on equal minimum instants the earlier partial (into) wins. */
export function mergePartial(into: BucketPartial, from: BucketPartial): void {
  if (from.minE < into.minE) {
    into.minE = from.minE;
    into.minText = from.minText;
  }
  addCounts(into.hours, from.hours);
  addCounts(into.ips, from.ips);
  addCounts(into.domains, from.domains);
  addNumbers(into.diags, from.diags);
  for (const k in from.pairs) {
    const c = from.pairs[k]!;
    const t = (into.pairs[k] ??= { delivered: 0, deferred: 0, bounced: 0, policy: 0, queueFailures: 0 });
    t.delivered += c.delivered;
    t.deferred += c.deferred;
    t.bounced += c.bounced;
    t.policy += c.policy;
    t.queueFailures += c.queueFailures;
  }
  addNumbers(into.fails, from.fails);
}

/**
 * An "x" line (bucket ip domain d t b policy tq) into the partial: the (IP, domain) pair, and
 * the per-IP and per-domain sums of d, t and b (the host prints only the pairs).
 */
export function addPair(p: BucketPartial, line: string): void {
  // The most frequent line kind: read by tab positions (a split makes nine strings).
  const tab: number[] = [];
  for (let i = line.indexOf('\t'); i >= 0 && tab.length < 8; i = line.indexOf('\t', i + 1)) tab.push(i);
  while (tab.length < 8) tab.push(line.length);
  const num = (k: number): number => int(line.slice(tab[k]! + 1, k + 1 < 8 ? tab[k + 1] : line.length));
  const ip = line.slice(tab[1]! + 1, tab[2]);
  const domain = line.slice(tab[2]! + 1, tab[3]);
  const c = { delivered: num(3), deferred: num(4), bounced: num(5) };
  const key = line.slice(tab[1]! + 1, tab[3]);
  const t = (p.pairs[key] ??= { delivered: 0, deferred: 0, bounced: 0, policy: 0, queueFailures: 0 });
  t.delivered += c.delivered;
  t.deferred += c.deferred;
  t.bounced += c.bounced;
  t.policy += num(6);
  t.queueFailures += num(7);
  // A pair of tq records only (no d, t or b) names no IP or domain in the counts.
  if (c.delivered + c.deferred + c.bounced === 0) return;
  addOne(p.ips, ip, c);
  addOne(p.domains, domain, c);
}

export const int = (t: string | undefined): number => {
  const n = Number(t);
  return Number.isFinite(n) ? n : 0;
};
