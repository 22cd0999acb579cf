/** The fleet audit: probe every host, diagnose, summarise (rendering is in src/report/). */
import type { InventoryHost } from '../inventory/types.js';
import { ensureCursorDir, loadAccountingCursor, makeProbeRunner, saveAccountingCursor } from '../probes/index.js';
import { diagnose } from '../diagnose/index.js';
import { auditFleetWith, type AuditOptions } from './fleet.js';
import { checkThreadDirectives } from './thread-check.js';
import type { AuditReport } from './types.js';

export interface AuditFleetOptions extends AuditOptions {
  /**
   * Runner state dir holding each host's accounting cursor (inode, offset, hourly totals), so a
   * repeated audit reads only what was appended to the log. The host is never written.
   * Unset: every audit analyses the whole window.
   */
  cursorStateDir?: string;
}

/** Audit hosts with the real probes and diagnosis: read-only, one connection per host. */
export function auditFleet(hosts: InventoryHost[], options: AuditFleetOptions): Promise<AuditReport> {
  // One probe script for the whole audit, not one per host.
  const probe = makeProbeRunner();
  const stateDir = options.cursorStateDir;
  // Every cursor is read (and its privacy checked) before any host is touched.
  if (stateDir) ensureCursorDir(stateDir);
  const cursors = new Map(stateDir ? hosts.map((h) => [h.name, loadAccountingCursor(stateDir, h.name)]) : []);
  const runProbes: typeof probe = stateDir
    ? async (conn, probeOptions = {}) => {
        const accountingCursor = cursors.get(conn.name);
        const facts = await probe(conn, { ...probeOptions, ...(accountingCursor ? { accountingCursor } : {}) });
        if (facts.accountingCursor) saveAccountingCursor(stateDir, conn.name, facts.accountingCursor);
        return facts;
      }
    : probe;
  return auditFleetWith({ runProbes, diagnose: (facts, { hostVars }) => diagnose(facts, { hostVars }), followUp: checkThreadDirectives }, hosts, options);
}

export { auditFleetWith, type AuditOptions, type AuditDeps, type AuditProgress } from './fleet.js';
export { auditExitCode, auditOutcome, summarize, topFinding, worstSeverity, isProblem, severityRank, hostFailed } from './summary.js';
export type { AuditReport, AuditHost, AuditSummary, FailOn, Finding, HostFacts, Severity } from './types.js';
