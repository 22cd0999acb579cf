/**
 * Finding episodes (pure): a finding is open from the first audit that saw it until the first
 * later audit of that host, fully probed, that did not (resolved then). An audit in which the
 * host was unreachable or not fully probed neither continues nor resolves anything: nothing was
 * seen either way.
 */
import type { FindingRow } from './types.js';

export interface Span {
  host: string;
  kind: string;
  subject: string;
  firstMs: number;
  firstAudit: string;
  lastMs: number;
  lastAudit: string;
  resolvedMs: number | null;
  resolvedAudit: string | null;
  severity: string;
  title: string;
}

/** One audit of one host, as the span logic needs it. */
export interface HostObservation {
  auditId: string;
  at: number;
  /** Reached and fully probed: its findings (or their absence) count. */
  observed: boolean;
  findings: Array<Pick<FindingRow, 'kind' | 'subject' | 'severity' | 'title'>>;
}

export const spanKey = (s: { kind: string; subject: string }): string => `${s.kind}\u0000${s.subject}`;

/**
 * The spans after one more observation of `host`, given its open spans: returns the spans to
 * write (updated or new). Open spans are keyed by spanKey.
 */
export function advanceSpans(host: string, open: ReadonlyMap<string, Span>, obs: HostObservation): Span[] {
  if (!obs.observed) return [];
  const out: Span[] = [];
  const seen = new Set<string>();
  for (const f of obs.findings) {
    const key = spanKey(f);
    seen.add(key);
    const span = open.get(key);
    out.push(
      span
        ? { ...span, lastMs: obs.at, lastAudit: obs.auditId, severity: worse(span.severity, f.severity), title: f.title }
        : { host, kind: f.kind, subject: f.subject, firstMs: obs.at, firstAudit: obs.auditId, lastMs: obs.at, lastAudit: obs.auditId, resolvedMs: null, resolvedAudit: null, severity: f.severity, title: f.title },
    );
  }
  for (const [key, span] of open) if (!seen.has(key)) out.push({ ...span, resolvedMs: obs.at, resolvedAudit: obs.auditId });
  return out;
}

/** All spans of a host from its whole timeline (oldest first): used when audits arrive out of order. */
export function spansOf(host: string, timeline: readonly HostObservation[]): Span[] {
  const all: Span[] = [];
  const open = new Map<string, Span>();
  for (const obs of [...timeline].sort((a, b) => a.at - b.at || (a.auditId < b.auditId ? -1 : 1))) {
    for (const span of advanceSpans(host, open, obs)) {
      const key = spanKey(span);
      if (span.resolvedMs !== null) {
        open.delete(key);
        all.push(span);
      } else open.set(key, span);
    }
  }
  return [...all, ...open.values()];
}

function worse(a: string, b: string): string {
  return a === 'critical' || b === 'critical' ? 'critical' : a === 'warn' || b === 'warn' ? 'warn' : b;
}
