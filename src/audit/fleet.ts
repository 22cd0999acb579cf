/**
 * auditFleet(): one connection per host, all probes over it, then the pure diagnosis.
 * Read-only by construction: it only calls runProbes(), which only runs probe commands.
 * A host that cannot be reached or probed becomes an entry with its error; the others go on.
 */
import { isSecretVar } from '../inventory/index.js';
import type { InventoryHost } from '../inventory/types.js';
import { forEachHost, resolveConnectionSpec, type FleetHooks, type HostOutcome } from '../transport/index.js';
import type { ConnectionSpec, HostConnection } from '../transport/types.js';
import { dict } from '../util/dict.js';
import { detachStrings } from './detach.js';
import { summarize } from './summary.js';
import type { AuditHost, AuditReport, Finding, HostFacts } from './types.js';

export interface AuditProgress {
  /** Hosts finished so far (reachable or not). */
  done: number;
  total: number;
  host: string;
  status: HostOutcome<unknown>['status'];
}

export interface AuditOptions {
  forks: number;
  /** Accounting window in hours (DESIGN.md: 24 by default). */
  windowHours?: number;
  /** Run the fio benchmark of the spool disk (writes load: off by default). */
  benchmarkDisk?: boolean;
  connection: { knownHostsFile?: string; acceptNewHostKeys?: boolean; sshConfigFile?: string; maxOutputBytes?: number };
  onProgress?: (progress: AuditProgress) => void;
}

/** What auditFleet needs from the layers below; tests replace them, the CLI uses the real ones. */
export interface AuditDeps {
  runProbes: (conn: HostConnection, options?: { windowHours?: number; benchmarkDisk?: boolean }) => Promise<HostFacts>;
  diagnose: (facts: HostFacts, options: { hostVars: Record<string, string> }) => Finding[];
  connect?: FleetHooks<unknown>['connect'];
  /** Read-only checks after the batch that some findings need (adds to the facts). */
  followUp?: (conn: HostConnection, facts: HostFacts) => Promise<void>;
}

/**
 * auditFleet with its probes and diagnosis passed in (src/audit/index.ts wires the real ones).
 * Each host is diagnosed as soon as its probes return, and only its AuditHost is kept: the
 * batch output, the parse state and the accounting cursor (tens of KB per host) are dropped
 * then, not held until the last of 1000 hosts finishes.
 */
export async function auditFleetWith(deps: AuditDeps, hosts: InventoryHost[], options: AuditOptions): Promise<AuditReport> {
  const specs = hosts.map((h) => resolveConnectionSpec(h, options.connection));
  const hostOf = new Map(specs.map((spec, i) => [spec, hosts[i]!]));
  const probeOptions = {
    ...(options.windowHours !== undefined ? { windowHours: options.windowHours } : {}),
    ...(options.benchmarkDisk ? { benchmarkDisk: true } : {}),
  };
  let done = 0;
  // Per host from its turn in the pool (connect included) to its diagnosis or failure.
  const started = new Map<string, number>();
  const seconds = new Map<string, number>();
  const hooks: FleetHooks<AuditHost> = {
    onStart: (spec) => started.set(spec.name, performance.now()),
    onDone: (outcome) => {
      seconds.set(outcome.name, (performance.now() - (started.get(outcome.name) ?? performance.now())) / 1000);
      done += 1;
      options.onProgress?.({ done, total: specs.length, host: outcome.name, status: outcome.status });
    },
  };
  if (deps.connect) hooks.connect = deps.connect;
  const probeAndDiagnose = async (conn: HostConnection, spec: ConnectionSpec): Promise<AuditHost> => {
    const hostFacts = await deps.runProbes(conn, probeOptions);
    if (deps.followUp) await deps.followUp(conn, hostFacts);
    const hostVars = scalarVars(hostOf.get(spec)!);
    return probedHost(spec.name, hostFacts, (facts) => deps.diagnose(facts, { hostVars }));
  };
  const outcomes = await forEachHost(specs, options.forks, probeAndDiagnose, hooks);
  const auditHosts = outcomes.map((outcome) => {
    const host = outcome.status === 'ok' && outcome.value ? outcome.value : failedHost(outcome);
    const took = seconds.get(outcome.name);
    return took === undefined ? host : { ...host, probeSeconds: Math.round(took * 1000) / 1000 };
  });
  return { hosts: auditHosts, summary: summarize(auditHosts) };
}

/**
 * The host's scalar inventory variables, for remedy variables (e.g. lab_nvme_device).
 * Secrets are left out: findings end up in reports.
 */
export function scalarVars(host: InventoryHost): Record<string, string> {
  const out = dict<string>(); // variable names are inventory text
  for (const [key, value] of Object.entries(host.vars)) {
    if (isSecretVar(key)) continue;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') out[key] = String(value);
  }
  return out;
}

function failedHost(outcome: HostOutcome<AuditHost>): AuditHost {
  return {
    name: outcome.name,
    reachable: outcome.status !== 'unreachable',
    error: outcome.error?.message ?? `${outcome.name}: ${outcome.status}`,
    facts: {},
    findings: [],
    unavailable: {},
    warnings: [],
  };
}

/** A host whose probe batch ran: its facts (only those: no cursor) and their diagnosis. */
function probedHost(name: string, hostFacts: HostFacts, diagnose: (facts: HostFacts) => Finding[]): AuditHost {
  // Copied so that the strings kept do not pin this host's whole batch output in memory.
  const probed = detachStrings({ facts: hostFacts.facts, unavailable: hostFacts.unavailable, warnings: hostFacts.warnings });
  if (Object.keys(hostFacts.facts).length === 0) {
    // Nothing measured must not read as "healthy": the host counts as failed (exit 2).
    const why = Object.entries(hostFacts.unavailable).map(([p, r]) => `${p}: ${r}`).join('; ') || 'no probe output';
    return { name, reachable: true, error: `${name}: no probe produced facts (${why})`, ...probed, findings: [] };
  }
  try {
    return { name, reachable: true, error: null, ...probed, findings: detachStrings(diagnose(hostFacts)) };
  } catch (err) {
    // Diagnosis is pure, but a bug in one rule must neither hide the other hosts nor make
    // this host look healthy: it counts as a failed host (exit 2), facts kept.
    const why = err instanceof Error ? err.message : String(err);
    return { name, reachable: true, error: `${name}: diagnosis failed: ${why}`, ...probed, findings: [] };
  }
}
