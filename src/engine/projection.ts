/**
 * Projected state while a host's tasks are planned in order (Terraform's planned values): what
 * each resource will hold once the earlier tasks are applied, and which resources cannot be
 * known before they run. Pure bookkeeping; plan-host.ts drives it, apply checks against it.
 */
import { EVERYTHING } from '../steps/resources.js';
import { UNKNOWN_FIELD, type StepKind, type StepPlan } from '../steps/types.js';
import { canonicalJson } from './canonical.js';
import { describeDrift } from './drift.js';

export class ProjectedState {
  /** resource key -> value once the earlier tasks are applied (only resources they write). */
  private readonly written = new Map<string, { value: unknown; by: string }>();
  /** resource key -> the task whose effect on it is unknown until it runs. */
  private readonly unknown = new Map<string, string>();
  private everythingBy: string | undefined;

  /** The observed values of `observed` that earlier tasks will have changed: the task's basis. */
  basisFor(observed: Record<string, unknown>): Record<string, unknown> {
    const basis: Record<string, unknown> = {};
    for (const k of Object.keys(observed)) {
      const w = this.written.get(k);
      if (w) basis[k] = w.value;
    }
    return basis;
  }

  /** Why a task reading `observed` cannot be planned exactly now, or undefined. */
  unknownReason(observed: Record<string, unknown>): string | undefined {
    if (this.everythingBy !== undefined) {
      return `planned against the host as observed, but task "${this.everythingBy}" runs before it and may change anything (re-planned at apply time against the real host)`;
    }
    const key = Object.keys(observed).find((k) => this.unknown.has(k));
    if (key === undefined) return undefined;
    return `reads ${key}, which task "${this.unknown.get(key)}" changes in a way known only once it ran (re-planned at apply time against the real host)`;
  }

  /** Records what a planned task leaves behind. */
  record(task: string, projection: { written: Record<string, unknown>; unknown: string[] }): void {
    for (const [k, v] of Object.entries(projection.written)) {
      this.written.set(k, { value: v, by: task });
      this.unknown.delete(k);
    }
    for (const k of projection.unknown) {
      if (k === EVERYTHING) this.everythingBy ??= task;
      else {
        this.unknown.set(k, task);
        this.written.delete(k);
      }
    }
  }
}

/**
 * What a task's plan writes (resources whose projected value differs from its basis) and what
 * it leaves unknown. A kind without project() and a change labelled predicted leave every
 * resource the task observed unknown once it changes anything; a task planned as predicted
 * does so even when it plans nothing now (it is re-planned at apply).
 */
export function projectTask(
  step: StepKind<any, any>,
  state: Record<string, unknown>,
  params: unknown,
  plan: StepPlan,
  predicted: boolean,
): { written: Record<string, unknown>; unknown: string[] } {
  // Re-planned at apply, a predicted task may change anything it observed, even if it plans nothing now.
  if (predicted) return { written: {}, unknown: Object.keys(state) };
  if (plan.kind !== 'changes') return { written: {}, unknown: [] };
  const p = step.project?.(state, params, plan);
  if (!p || plan.changes.some((c) => c.label === 'predicted')) {
    return { written: {}, unknown: [...new Set([...Object.keys(state), ...(p?.unknown ?? [])])] };
  }
  const written: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p.state)) {
    if (!p.unknown.includes(k) && canonicalJson(v) !== canonicalJson(state[k])) written[k] = v;
  }
  return { written, unknown: p.unknown };
}

/** Every change of a plan labelled predicted (it was planned against a state not yet known). */
export function asPredicted(plan: StepPlan): StepPlan {
  if (plan.kind !== 'changes') return plan;
  return { kind: 'changes', changes: plan.changes.map((c) => ({ ...c, label: 'predicted' as const })) };
}

/**
 * Where the host, re-observed after a task was applied, is not what the plan projected, in
 * words (`KEY: projected -> found`). Only what the task changes is compared (fields equal in
 * `before` and the projection may have moved for other reasons, e.g. a PID after a restart),
 * and fields the projection could not know are skipped. Empty when it matches.
 */
export function projectionMismatch(projected: Record<string, unknown>, before: Record<string, unknown>, now: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [key, want] of Object.entries(projected)) {
    const got = now[key];
    if (changedAsPlanned(want, before[key], got)) continue;
    out.push(...describeDrift({ [key]: filled(want, before[key], got) }, { [key]: got }));
  }
  return out;
}

function changedAsPlanned(want: unknown, before: unknown, got: unknown): boolean {
  if (canonicalJson(want) === canonicalJson(before)) return true;
  if (isRecord(want) && isRecord(before) && isRecord(got)) {
    const keys = new Set([...Object.keys(want), ...Object.keys(before), ...Object.keys(got)]);
    return [...keys].every((k) => changedAsPlanned(want[k], before[k], got[k]));
  }
  return matches(want, got);
}

/** The projected value with what it does not decide (unknown, or left as it was) taken from what was found. */
function filled(want: unknown, before: unknown, got: unknown): unknown {
  if (want === UNKNOWN_FIELD) return got;
  if (canonicalJson(want) === canonicalJson(before)) return got;
  if (!isRecord(want) || !isRecord(got)) return want;
  const b = isRecord(before) ? before : {};
  return Object.fromEntries(Object.entries(want).map(([k, v]) => [k, filled(v, b[k], got[k])]));
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function matches(want: unknown, got: unknown): boolean {
  if (want === UNKNOWN_FIELD) return true;
  if (isRecord(want) && isRecord(got)) {
    const keys = new Set([...Object.keys(want), ...Object.keys(got)]);
    return [...keys].every((k) => matches(want[k], got[k]));
  }
  return canonicalJson(want) === canonicalJson(got);
}
