/**
 * Planning one host: each task observes (read-only) and plans (pure). Used by `plan`,
 * `run --check`, and by `run` one task at a time right before applying it.
 */
import { whenHolds } from '../playbook/when.js';
import { WhenError } from '../playbook/when.js';
import type { Vars } from '../playbook/template.js';
import { STEP_KINDS } from '../steps/registry.js';
import type { Action, StepKind, StepPlan } from '../steps/types.js';
import type { HostConnection } from '../transport/types.js';
import { PlaybookError } from '../util/errors.js';
import { canonicalJson, fingerprint } from './canonical.js';
import { taskVars, type PreparedHost, type PreparedTask } from './prepare.js';
import { probeFacts, type FactSource } from './facts.js';
import { dict } from '../util/dict.js';

export type StepKinds = Record<string, StepKind<any, any>>;

export interface PlannedTask {
  name: string;
  kind: string;
  handler: boolean;
  params: unknown;
  notify: string[];
  become?: boolean;
  /** Set when `when` was false: the task was not observed. */
  skipped?: string;
  observations: Record<string, unknown>;
  plan: StepPlan;
}

export interface HostPlan {
  host: string;
  /** sha256 over the canonical JSON of every observation (drift detection). */
  fingerprint: string;
  observations: Record<string, unknown>;
  tasks: PlannedTask[];
}

export interface RegisteredResult {
  changed: boolean;
  skipped: boolean;
  failed: boolean;
  refused: boolean;
}

/** Evaluates `when`; a bad condition or variable becomes a PlaybookError naming the task. */
export function conditionHolds(host: PreparedHost, task: PreparedTask, registered: Vars): boolean {
  if (task.def.when.length === 0) return true;
  try {
    return whenHolds(task.def.when, taskVars(host, task.def, registered));
  } catch (err) {
    if (err instanceof WhenError) {
      throw new PlaybookError(`task "${task.def.name}" (line ${task.def.line}) on ${host.name}: when: ${err.message}`);
    }
    throw err;
  }
}

/**
 * Where the planner gets a task's observations: the host (plan, run), or the record of a plan
 * file when apply replays the planner to check the plan (plan-source.ts). `at` is the task's
 * position in the host's plan.
 */
export type Observe = (task: PreparedTask, become: boolean, at: number) => Promise<Record<string, unknown>>;
/** Whether a task's `when` holds; replaced by the same replay for conditions it cannot evaluate. */
export type Decide = (host: PreparedHost, task: PreparedTask, registered: Vars, at: number) => boolean;

export function observeOn(conn: HostConnection, host: PreparedHost, kinds: StepKinds = STEP_KINDS): Observe {
  return async (task, become) =>
    (await kinds[task.def.kind].observe(conn, task.params, { become, ...(host.facts ? { facts: host.facts } : {}) })) as Record<string, unknown>;
}

/** Observe + plan one task whose condition holds. */
export async function planTask(conn: HostConnection, host: PreparedHost, task: PreparedTask, kinds: StepKinds = STEP_KINDS): Promise<PlannedTask> {
  return planObserved(observeOn(conn, host, kinds), host, task, kinds, 0);
}

async function planObserved(observe: Observe, host: PreparedHost, task: PreparedTask, kinds: StepKinds, at: number): Promise<PlannedTask> {
  if (task.deferredError) throw task.deferredError;
  const step = kinds[task.def.kind];
  const become = task.def.become ?? host.become;
  const observations = await observe(task, become, at);
  return {
    name: task.def.name,
    kind: task.def.kind,
    handler: task.handler,
    params: task.params,
    notify: task.def.notify,
    ...(task.def.become !== undefined ? { become: task.def.become } : {}),
    observations,
    plan: task.def.become === undefined ? step.plan(observations, task.params) : withBecome(step.plan(observations, task.params), task.def.become),
  };
}

/** A task's `become:` applies to every action of its plan that does not say otherwise. */
export function withBecome(plan: StepPlan, become: boolean): StepPlan {
  if (plan.kind !== 'changes') return plan;
  const set = (actions: Action[]): Action[] => actions.map((a) => (a.become === undefined ? { ...a, become } : a));
  return {
    kind: 'changes',
    changes: plan.changes.map((c) => ({ ...c, do: set(c.do), undo: set(c.undo), ...(c.verify ? { verify: set(c.verify) } : {}) })),
  };
}

export function skippedTask(task: PreparedTask): PlannedTask {
  const reason = `skipped: when ${task.def.whenText.join(' and ')} is false`;
  return {
    name: task.def.name,
    kind: task.def.kind,
    handler: task.handler,
    params: task.params ?? null,
    notify: task.def.notify,
    skipped: reason,
    observations: {},
    plan: { kind: 'noop', reason },
  };
}

export function registeredFrom(t: PlannedTask): RegisteredResult {
  return { changed: t.plan.kind === 'changes', skipped: t.skipped !== undefined, failed: false, refused: t.plan.kind === 'refused' };
}

/** Gathers facts once per host when the play asks for them. */
export async function ensureFacts(conn: HostConnection, host: PreparedHost, source: FactSource = probeFacts): Promise<void> {
  if (host.gatherFacts && !host.facts) host.facts = await source(conn, host.become);
}

/**
 * Plans every task of a host against the state observed now (nothing is applied). Handlers
 * notified by a task with changes are planned after the tasks. A task whose observation
 * overlaps an earlier task that changes the same thing is refused: its plan would be stale
 * once the earlier change is applied (use `run`, which re-plans each task before applying).
 */
export async function planHost(conn: HostConnection, host: PreparedHost, kinds: StepKinds = STEP_KINDS, facts?: FactSource): Promise<HostPlan> {
  await ensureFacts(conn, host, facts);
  return planHostWith(observeOn(conn, host, kinds), host, kinds);
}

/** planHost with the observations (and, for replay, the `when` decisions) from elsewhere. */
export async function planHostWith(observe: Observe, host: PreparedHost, kinds: StepKinds = STEP_KINDS, decide: Decide = conditionHolds): Promise<HostPlan> {
  const tasks: PlannedTask[] = [];
  const registered: Vars = dict(); // `register: __proto__` is a valid variable name
  const changedKeys = new Map<string, string>();
  const notified = new Set<string>();
  const observations: Record<string, unknown> = {};

  const planOne = async (task: PreparedTask): Promise<void> => {
    if (!decide(host, task, registered, tasks.length)) {
      const skipped = skippedTask(task);
      tasks.push(skipped);
      if (task.def.register) registered[task.def.register] = registeredFrom(skipped);
      return;
    }
    const planned = await planObserved(observe, host, task, kinds, tasks.length);
    const overlap = Object.keys(planned.observations).find((k) => changedKeys.has(k));
    if (overlap && planned.plan.kind === 'changes') {
      planned.plan = {
        kind: 'refused',
        reason: `depends on task "${changedKeys.get(overlap)}", which changes ${overlap} earlier in this plan; merge the two tasks or use \`mtafleet run\` (it re-plans each task after the previous one)`,
      };
    }
    for (const [k, v] of Object.entries(planned.observations)) {
      if (k in observations && canonicalJson(observations[k]) !== canonicalJson(v)) continue;
      observations[k] = v;
    }
    if (planned.plan.kind === 'changes') {
      for (const k of Object.keys(planned.observations)) if (!changedKeys.has(k)) changedKeys.set(k, planned.name);
      for (const n of planned.notify) notified.add(n);
    }
    tasks.push(planned);
    if (task.def.register) registered[task.def.register] = registeredFrom(planned);
  };

  for (const task of host.tasks) await planOne(task);
  for (const handler of host.handlers) if (notified.has(handler.def.name)) await planOne(handler);
  return { host: host.name, fingerprint: fingerprint(observations), observations, tasks };
}

/** Re-observes what a plan observed (same params), for drift detection on apply. */
export async function reobserve(conn: HostConnection, plan: HostPlan, hostBecome: boolean, kinds: StepKinds = STEP_KINDS): Promise<Record<string, unknown>> {
  const observations: Record<string, unknown> = {};
  for (const t of plan.tasks) {
    if (t.skipped) continue;
    const obs = (await kinds[t.kind].observe(conn, t.params, { become: t.become ?? hostBecome })) as Record<string, unknown>;
    for (const [k, v] of Object.entries(obs)) if (!(k in observations)) observations[k] = v;
  }
  return observations;
}
