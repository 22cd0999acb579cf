/**
 * Facts for playbooks and the health gate come from the audit's probes (one round trip per
 * host) and its diagnosis; the engine never parses host output itself.
 */
import { diagnose } from '../diagnose/index.js';
import { runProbes } from '../probes/index.js';
import type { HostConnection } from '../transport/types.js';

export type FactSource = (conn: HostConnection, become: boolean) => Promise<Record<string, unknown>>;
export type CriticalSource = (conn: HostConnection) => Promise<string[]>;

export const probeFacts: FactSource = async (conn, become) => {
  const r = await runProbes(conn, { become });
  return r.facts as Record<string, unknown>;
};

/** The host's critical findings, as "kind: title" lines. */
export const criticalFindings: CriticalSource = async (conn) => {
  const facts = await runProbes(conn);
  return diagnose(facts)
    .filter((f) => f.severity === 'critical')
    .map((f) => `${f.kind}: ${f.title}`);
};
