/**
 * The audit report: exactly DESIGN.md's audit JSON contract. Renderers (src/report/) read
 * only this; `--format json` prints it as it is.
 */
import type { HostFacts } from '../probes/index.js';
import type { Finding } from '../diagnose/index.js';

export type { HostFacts, Finding };
export type Severity = Finding['severity'];

export interface AuditHost {
  name: string;
  /** false only when the connection could not be made (exit code 4). */
  reachable: boolean;
  /** Why the host could not be reached or probed; null when all went well. */
  error: string | null;
  /** Typed facts per probe (empty when the host was not probed). */
  facts: HostFacts['facts'];
  /** Ranked as diagnose() returned them: the first warn/critical finding is the top one. */
  findings: Finding[];
  /** Probes whose tool was missing on the host, with the reason (additive to the contract). */
  unavailable: Record<string, string>;
  /** Output the probes did not understand (additive to the contract). */
  warnings: string[];
  /** Wall time to connect, probe and diagnose, in seconds (additive to the contract). */
  probeSeconds?: number;
}

export interface AuditSummary {
  hosts: number;
  reachable: number;
  /** Warn and critical findings counted by kind (info findings are not counted). */
  byKind: Record<string, number>;
}

export interface AuditReport {
  hosts: AuditHost[];
  summary: AuditSummary;
}

/** --fail-on: a finding at this severity or above makes the audit exit 2 (off by default). */
export type FailOn = 'warn' | 'critical';
