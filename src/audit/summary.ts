/**
 * Pure helpers over an audit report: the fleet summary, each host's top finding, and the
 * exit code (DESIGN.md: 0 all good, 2 a host failed, 4 a host unreachable, 6 both).
 */
import { exitCodeFor, type Outcome } from '../util/outcome.js';
import type { AuditHost, AuditSummary, FailOn, Finding, Severity } from './types.js';

const RANK: Record<Severity, number> = { info: 0, warn: 1, critical: 2 };

export function severityRank(severity: Severity): number {
  return RANK[severity] ?? 0;
}

/** True for the findings that count as a problem (a healthy host has none). */
export function isProblem(finding: Finding): boolean {
  return finding.severity === 'warn' || finding.severity === 'critical';
}

/**
 * The finding to show first: the most severe one; among equals, the first one, because
 * diagnose() ranks findings (the constraining layer first).
 */
export function topFinding(findings: readonly Finding[]): Finding | undefined {
  let best: Finding | undefined;
  for (const f of findings) {
    if (!best || severityRank(f.severity) > severityRank(best.severity)) best = f;
  }
  return best;
}

/** Worst severity of a host's findings, or undefined when it has none. */
export function worstSeverity(findings: readonly Finding[]): Severity | undefined {
  return topFinding(findings)?.severity;
}

export function summarize(hosts: readonly AuditHost[]): AuditSummary {
  const byKind: Record<string, number> = {};
  for (const host of hosts) {
    for (const f of host.findings) {
      if (isProblem(f)) byKind[f.kind] = (byKind[f.kind] ?? 0) + 1;
    }
  }
  return { hosts: hosts.length, reachable: hosts.filter((h) => h.reachable).length, byKind };
}

/** Reachable but not fully probed: the connection dropped or the probe batch failed. */
export function hostFailed(host: AuditHost): boolean {
  return host.reachable && host.error !== null;
}

/**
 * The audit's exit code. Findings do not change it by default: an audit that found
 * bottlenecks did its job. `failOn` opts in (like terraform plan -detailed-exitcode): a
 * finding at that severity or worse counts as a failed host (exit 2).
 */
export function auditExitCode(report: { hosts: readonly AuditHost[] }, failOn?: FailOn): number {
  return exitCodeFor(report.hosts.map((h) => auditOutcome(h, failOn)));
}

/**
 * A host's outcome in an audit: unreachable when no session was made (`reachable` false, set
 * from the connection error's class), failed when reached but not fully probed or diagnosed,
 * or (with `failOn`) when it has a finding at that severity or worse; else ok.
 */
export function auditOutcome(host: AuditHost, failOn?: FailOn): Outcome {
  if (!host.reachable) return 'unreachable';
  if (hostFailed(host)) return 'failed';
  if (failOn && host.findings.some((f) => severityRank(f.severity) >= severityRank(failOn))) return 'failed';
  return 'ok';
}
