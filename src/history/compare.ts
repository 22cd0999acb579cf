/**
 * `audit --compare`: what changed between an earlier audit and this one (pure). New and
 * resolved findings by (host, kind, subject); the hosts whose delivery rate or deferral rate
 * moved most. A host unreachable or not fully probed in either audit resolves nothing.
 */
import type { AuditSnapshot, FindingRow, HostRow } from './types.js';

export interface FindingRef {
  host: string;
  kind: string;
  subject: string;
  severity: string;
  title: string;
}

export interface Move {
  host: string;
  before: number;
  after: number;
  change: number;
}

export interface Comparison {
  against: { auditId: string; at: string };
  newFindings: FindingRef[];
  resolvedFindings: FindingRef[];
  /** Findings still there whose severity changed. */
  severityChanged: Array<FindingRef & { before: string }>;
  /** Largest relative rate changes first (at most `top`). */
  rateMoves: Move[];
  /** Largest deferral-rate changes (percentage points, as fractions) first. */
  deferralMoves: Move[];
  hostsAdded: string[];
  hostsGone: string[];
}

const key = (f: { host: string; kind: string; subject: string }): string => `${f.host}\u0000${f.kind}\u0000${f.subject}`;
const ref = (f: FindingRow): FindingRef => ({ host: f.host, kind: f.kind, subject: f.subject, severity: f.severity, title: f.title });

export function compareAudits(before: AuditSnapshot, after: AuditSnapshot, top = 5): Comparison {
  const observed = (h: HostRow): boolean => h.reachable && !h.failed;
  const beforeHosts = new Map(before.hosts.map((h) => [h.host, h]));
  const afterHosts = new Map(after.hosts.map((h) => [h.host, h]));
  const bothSeen = (host: string): boolean => {
    const b = beforeHosts.get(host);
    const a = afterHosts.get(host);
    return b !== undefined && a !== undefined && observed(b) && observed(a);
  };
  const was = new Map(before.findings.map((f) => [key(f), f]));
  const now = new Map(after.findings.map((f) => [key(f), f]));
  const newFindings = after.findings.filter((f) => !was.has(key(f)) && bothSeen(f.host)).map(ref);
  const resolvedFindings = before.findings.filter((f) => !now.has(key(f)) && bothSeen(f.host)).map(ref);
  const severityChanged = after.findings.flatMap((f) => {
    const b = was.get(key(f));
    return b && b.severity !== f.severity ? [{ ...ref(f), before: b.severity }] : [];
  });
  const moves = (pick: (h: HostRow) => number | null, relative: boolean): Move[] =>
    [...afterHosts.values()]
      .flatMap((a) => {
        const b = beforeHosts.get(a.host);
        const x = b ? pick(b) : null;
        const y = pick(a);
        return x === null || y === null || x === y ? [] : [{ host: a.host, before: x, after: y, change: y - x }];
      })
      .sort((m, n) => weight(n, relative) - weight(m, relative) || (m.host < n.host ? -1 : 1))
      .slice(0, top);
  return {
    against: { auditId: before.auditId, at: new Date(before.at).toISOString() },
    newFindings,
    resolvedFindings,
    severityChanged,
    rateMoves: moves((h) => h.rate, true),
    deferralMoves: moves((h) => h.deferralRate, false),
    hostsAdded: [...afterHosts.keys()].filter((h) => !beforeHosts.has(h)).sort(),
    hostsGone: [...beforeHosts.keys()].filter((h) => !afterHosts.has(h)).sort(),
  };
}

/** How much a move counts: relative for rates (100 -> 50 outranks 10,000 -> 9,000), absolute for shares. */
function weight(m: Move, relative: boolean): number {
  if (!relative) return Math.abs(m.change);
  return Math.abs(m.change) / Math.max(Math.abs(m.before), 1);
}
