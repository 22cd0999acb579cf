/** Helpers shared by run, apply and rollback: host selection, connections, outcomes, gates. */
import type { Inventory, InventoryHost } from '../inventory/types.js';
import { patternHosts, selectHosts } from '../inventory/pattern.js';
import type { HealthGate } from '../playbook/types.js';
import { forEachHost, type FleetHooks } from '../transport/fleet.js';
import { resolveConnectionSpec, type ResolveOptions } from '../transport/spec.js';
import { healthGateCommand } from './health-gate.js';
import type { ConnectionSpec, HostConnection } from '../transport/types.js';
import type { EngineListener } from './events.js';
import type { HostLock } from './lock.js';
import type { HostUndoStore } from './host-undo.js';
import type { StepKinds } from './plan-host.js';
import { criticalFindings, type CriticalSource, type FactSource } from './facts.js';
import type { HostOutcome, HostStatus } from './run-record.js';
import type { FailureOutcome } from '../util/outcome.js';

/** What tests (and callers holding connections) may replace. */
export interface EngineDeps {
  connect?: (spec: ConnectionSpec) => Promise<HostConnection>;
  kinds?: StepKinds;
  lock?: HostLock;
  /** Where hosts keep their own copy of the undo records (default: on the host itself). */
  undoStore?: HostUndoStore;
  emit?: EngineListener;
  /** Facts for `gather_facts: true` (default: the audit probes). */
  facts?: FactSource;
  /** Critical findings for `health_gate: { no_new_critical: true }` (default: probes + diagnose). */
  critical?: CriticalSource;
}

export interface FleetOptions {
  inventory: Inventory;
  limit?: string;
  forks: number;
  resolve?: ResolveOptions;
}

/** The play's hosts, narrowed by --limit, in inventory order. */
export function playHosts(inventory: Inventory, pattern: string, limit?: string): InventoryHost[] {
  const hosts = patternHosts(inventory, pattern);
  if (limit === undefined) return hosts;
  const allowed = new Set(selectHosts(inventory, limit).map((h) => h.name));
  return hosts.filter((h) => allowed.has(h.name));
}

export function specsFor(hosts: InventoryHost[], fleet: FleetOptions): ConnectionSpec[] {
  return hosts.map((h) => resolveConnectionSpec(h, { ...(fleet.resolve ?? {}), inventory: fleet.inventory }));
}

/** forEachHost where the work returns a HostOutcome; connection failures become outcomes. */
export async function eachHost<T extends HostOutcome>(
  specs: ConnectionSpec[],
  forks: number,
  deps: EngineDeps,
  work: (conn: HostConnection, spec: ConnectionSpec) => Promise<T>,
): Promise<Array<T | HostOutcome>> {
  const hooks: FleetHooks<T> = deps.connect ? { connect: deps.connect } : {};
  const results = await forEachHost(specs, forks, work, hooks);
  return results.map((r) => {
    if (r.status === 'ok' && r.value) return r.value;
    // The outcome was decided where the error was raised (its class); only ok is ours to check.
    const status = r.status === 'ok' ? 'failed' : r.status;
    const outcome: HostOutcome = { name: r.name, status, changes: 0, error: r.error?.message ?? `${r.name}: the host's work returned nothing` };
    deps.emit?.({ type: 'host-done', host: r.name, outcome });
    return outcome;
  });
}

const RANK: Record<HostStatus, number> = { ok: 0, changed: 1, refused: 2, failed: 3, unreachable: 4 };

/** A host seen in several plays: changes add up, the worst status wins. */
export function mergeOutcome(a: HostOutcome | undefined, b: HostOutcome): HostOutcome {
  if (!a) return { ...b };
  const worse = RANK[b.status] > RANK[a.status] ? b : a;
  const ignored = [...(a.ignored ?? []), ...(b.ignored ?? [])];
  return { name: a.name, status: worse.status, changes: a.changes + b.changes, error: worse.error ?? a.error ?? b.error, ...(ignored.length > 0 ? { ignored } : {}) };
}

export function isFailure(o: HostOutcome): o is HostOutcome & { status: FailureOutcome } {
  return o.status === 'failed' || o.status === 'unreachable' || o.status === 'refused';
}

/** Critical findings per host (the baseline of `no_new_critical`); unreadable hosts are left out. */
export async function criticalByHost(specs: ConnectionSpec[], forks: number, deps: EngineDeps): Promise<Map<string, string[]>> {
  const source = deps.critical ?? criticalFindings;
  const hooks = deps.connect ? { connect: deps.connect } : {};
  const results = await forEachHost(specs, forks, (conn) => source(conn), hooks);
  return new Map(results.filter((r) => r.status === 'ok').map((r) => [r.name, r.value ?? []]));
}

/**
 * Runs the health gate on hosts that finished well; a failing gate fails that host. With
 * no_new_critical, `baseline` holds each host's critical findings from before the batch.
 */
export async function runHealthGate(
  gate: HealthGate,
  outcomes: HostOutcome[],
  specs: ConnectionSpec[],
  forks: number,
  deps: EngineDeps,
  baseline?: Map<string, string[]>,
): Promise<HostOutcome[]> {
  const healthy = new Set(outcomes.filter((o) => !isFailure(o)).map((o) => o.name));
  const targets = specs.filter((s) => healthy.has(s.name));
  if (targets.length === 0) return outcomes;
  if (gate.noNewCritical) {
    const after = await criticalByHost(targets, forks, deps);
    outcomes = outcomes.map((o) => {
      if (!healthy.has(o.name)) return o;
      const now = after.get(o.name);
      if (now === undefined) return { ...o, status: 'failed' as const, error: 'health gate: the host could not be probed after the batch' };
      const before = new Set(baseline?.get(o.name) ?? []);
      const fresh = now.filter((f) => !before.has(f));
      return fresh.length > 0 ? { ...o, status: 'failed' as const, error: `health gate: new critical finding: ${fresh.join('; ')}` } : o;
    });
    if (!gate.cmd && !gate.argv) return outcomes;
  }
  const command = healthGateCommand(gate);
  if (!command) return outcomes;
  const stillHealthy = new Set(outcomes.filter((o) => !isFailure(o)).map((o) => o.name));
  const hooks = deps.connect ? { connect: deps.connect } : {};
  const results = await forEachHost(
    targets.filter((t) => stillHealthy.has(t.name)),
    forks,
    async (conn) => {
      // Only the exit code decides; the last lines of output are shown.
      const r = await conn.exec(command, { timeoutMs: gate.timeoutSeconds ? gate.timeoutSeconds * 1000 : undefined, partialOutput: true, label: 'the health gate' });
      return r.exitCode === 0 ? null : `health gate failed (exit ${r.exitCode}): ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join('; ')}`;
    },
    hooks,
  );
  const problems = new Map(results.map((r) => [r.name, r.status === 'ok' ? r.value : `health gate could not run: ${r.error?.message}`]));
  return outcomes.map((o) => {
    const problem = problems.get(o.name);
    return problem ? { ...o, status: 'failed' as const, error: problem } : o;
  });
}
