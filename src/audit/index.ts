/** The fleet audit: probe every host, diagnose, summarise (rendering is in src/report/). */
import type { InventoryHost } from '../inventory/types.js';
import { makeProbeRunner } from '../probes/index.js';
import { diagnose } from '../diagnose/index.js';
import { auditFleetWith, type AuditOptions } from './fleet.js';
import type { AuditReport } from './types.js';

/** Audit hosts with the real probes and diagnosis: read-only, one connection per host. */
export function auditFleet(hosts: InventoryHost[], options: AuditOptions): Promise<AuditReport> {
  // One probe script for the whole audit, not one per host.
  const runProbes = makeProbeRunner();
  return auditFleetWith({ runProbes, diagnose: (facts, { hostVars }) => diagnose(facts, { hostVars }) }, hosts, options);
}

export { auditFleetWith, type AuditOptions, type AuditDeps, type AuditProgress } from './fleet.js';
export { auditExitCode, summarize, topFinding, worstSeverity, isProblem, severityRank, hostFailed } from './summary.js';
export type { AuditReport, AuditHost, AuditSummary, FailOn, Finding, HostFacts, Severity } from './types.js';
