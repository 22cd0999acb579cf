/**
 * Planning one host: each task observes (read-only) and plans (pure) against the state the
 * earlier tasks leave (projection.ts). Used by `plan`, `run --check` and `run` (which applies
 * the plan it just made, like `apply`: host-work.ts).
 */
import { whenHolds } from '../playbook/when.js';
import { WhenError } from '../playbook/when.js';
import type { Vars } from '../playbook/template.js';
import { STEP_KINDS } from '../steps/registry.js';
import type { Action, StepKind, StepPlan } from '../steps/types.js';
import type { HostConnection } from '../transport/types.js';
import { PlaybookError } from '../util/errors.js';
import { canonicalJson } from './canonical.js';
import { observationFingerprint } from './volatile.js';
import { factNamesOf, taskVars, type PreparedHost, type PreparedTask } from './prepare.js';
import { FACT_NAMES, ansibleFactSource, probeFacts, type FactSource } from './facts.js';
import { dict } from '../util/dict.js';
import { asPredicted, ProjectedState, projectTask } from './projection.js';
import { resultCheck, textsNeverChange, type ResultCheck } from '../playbook/result-conditions.js';

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
  /** What the task observed on the host (before anything of the plan is applied). */
  observations: Record<string, unknown>;
  /**
   * The observed resources that earlier tasks of the plan change, with their projected values:
   * the task is planned against { ...observations, ...basis }. Absent when empty.
   */
  basis?: Record<string, unknown>;
  /**
   * Set when the task reads a resource an earlier task leaves unknown (a command, a predicted
   * change): why. Its changes are labelled predicted and it is re-planned at apply time.
   */
  predicted?: string;
  /** The resources its changes write, with their values once applied (checked after apply). Absent when empty. */
  projected?: Record<string, unknown>;
  /** `ignore_errors: true`: a failure is reported and the host goes on with its next task. */
  ignoreErrors?: true;
  /** changed_when / failed_when of a command: judged on its result when it runs. */
  result?: ResultCheck;
  plan: StepPlan;
}

export interface HostPlan {
  host: string;
  /** sha256 over the canonical JSON of every observation (drift detection). */
  fingerprint: string;
  observations: Record<string, unknown>;
  /**
   * The gathered ansible_* facts the tasks read (params, when, changed_when, failed_when), as
   * gathered: apply re-gathers them and refuses a host whose facts differ (drift), and the
   * replay of a plan file renders fact-based params from them. Absent when no task reads one.
   */
  facts?: Record<string, unknown>;
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
      throw new PlaybookError(`task "${task.def.name}" (line ${task.def.line}) on ${host.name}: when: ${err.message}${runTimeHint(err.message, registered)}`);
    }
    throw err;
  }
}

/** A `when` on a registered command's rc or output: known only once it runs, after the plan is made. */
function runTimeHint(message: string, registered: Vars): string {
  const m = /undefined variable "([A-Za-z_][A-Za-z0-9_]*)\.(rc|stdout|stderr|stdout_lines|stderr_lines)"/.exec(message);
  if (!m || !Object.hasOwn(registered, m[1])) return '';
  return `; not supported by mtafleet: a when on a registered command's ${m[2]} — plans decide when before anything runs, so only ${m[1]}.changed / .skipped are known; judge the command itself with changed_when/failed_when, or guard the later task with unless:/creates:`;
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

/** Observe + plan one task whose condition holds, against the host as it is now. */
export async function planTask(conn: HostConnection, host: PreparedHost, task: PreparedTask, kinds: StepKinds = STEP_KINDS): Promise<PlannedTask> {
  return planObserved(observeOn(conn, host, kinds), host, task, kinds, 0, new ProjectedState());
}

async function planObserved(observe: Observe, host: PreparedHost, task: PreparedTask, kinds: StepKinds, at: number, projected: ProjectedState): Promise<PlannedTask> {
  if (task.deferredError) throw task.deferredError;
  const step = kinds[task.def.kind];
  const become = task.def.become ?? host.become;
  const observations = await observe(task, become, at);
  const declared = new Set(step.resources(task.params));
  const stray = Object.keys(observations).find((k) => !declared.has(k));
  if (stray !== undefined) throw new Error(`task "${task.def.name}": the ${task.def.kind} step observed ${stray}, which is not among the resources it declares`);
  const basis = projected.basisFor(observations);
  const predicted = projected.unknownReason(observations);
  const planned: PlannedTask = {
    name: task.def.name,
    kind: task.def.kind,
    handler: task.handler,
    params: task.params,
    notify: task.def.notify,
    ...(task.def.become !== undefined ? { become: task.def.become } : {}),
    ...(task.def.ignoreErrors ? { ignoreErrors: true as const } : {}),
    observations,
    ...(Object.keys(basis).length > 0 ? { basis } : {}),
    ...(predicted !== undefined ? { predicted } : {}),
    plan: planFromRecord(step, { params: task.params, observations, basis, predicted, become: task.def.become }),
  };
  const effect = projectTask(step, { ...observations, ...basis }, task.params, planned.plan, predicted !== undefined);
  if (Object.keys(effect.written).length > 0) planned.projected = effect.written;
  projected.record(planned.name, effect);
  return planned;
}

/**
 * The plan of a task from what a plan records of it (pure: plan-verify.ts re-derives recorded
 * plans with it): planned against its basis, predicted when it read an unknown resource.
 */
export function planFromRecord(
  step: StepKind<any, any>,
  t: { params: unknown; observations: Record<string, unknown>; basis?: Record<string, unknown>; predicted?: string; become?: boolean },
): StepPlan {
  let plan = step.plan({ ...t.observations, ...(t.basis ?? {}) }, t.params);
  if (t.predicted !== undefined) plan = asPredicted(plan);
  return t.become === undefined ? plan : withBecome(plan, t.become);
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
    ...(task.def.ignoreErrors ? { ignoreErrors: true as const } : {}),
    skipped: reason,
    observations: {},
    plan: { kind: 'noop', reason },
  };
}

export function registeredFrom(t: PlannedTask): RegisteredResult {
  return { changed: plansChange(t), skipped: t.skipped !== undefined, failed: false, refused: t.plan.kind === 'refused' };
}

/** Whether a planned task reports changes: `changed_when: false` runs its command but reports ok. */
export function plansChange(t: Pick<PlannedTask, 'plan' | 'result'>): boolean {
  return t.plan.kind === 'changes' && !textsNeverChange(t.result?.changedWhen);
}

/** changed_when / failed_when, with what they read captured for this host (a bad read names the task). */
function withResultCheck(planned: PlannedTask, host: PreparedHost, task: PreparedTask, registered: Vars): PlannedTask {
  // Also on a guarded command planned as no change: re-planned at apply (predicted), it may run.
  try {
    const check = resultCheck(task.def, taskVars(host, task.def, registered));
    return check ? { ...planned, result: check } : planned;
  } catch (err) {
    if (err instanceof WhenError) throw new PlaybookError(`task "${task.def.name}" (line ${task.def.line}) on ${host.name}: ${err.message}`);
    throw err;
  }
}

/** The default fact source: the ansible_* facts, with the audit's probes when the play reads `facts.*`. */
function defaultFacts(host: PreparedHost): FactSource {
  return host.probeFacts ? probeFacts : ansibleFactSource;
}

/**
 * Plans every task of a host (nothing is applied), each against the state the earlier tasks
 * leave: observed now, with what earlier tasks write projected over it. A task reading what an
 * earlier one leaves unknown is planned as predicted. Handlers notified by a task with changes
 * are planned after the tasks. Facts (gather_facts, on by default) are gathered on their own
 * channel of the connection while the first tasks observe, so they cost no round trip of their
 * own; a task that reads a fact waits for them.
 */
export async function planHost(conn: HostConnection, host: PreparedHost, kinds: StepKinds = STEP_KINDS, facts?: FactSource): Promise<HostPlan> {
  const gathering =
    host.gatherFacts && !host.facts
      ? (facts ?? defaultFacts(host))(conn, host.become, { mounts: host.factMounts }).then((f) => {
          host.facts = f;
        })
      : undefined;
  // Not awaited until a task reads a fact (or planning ends): no unhandled rejection meanwhile.
  gathering?.catch(() => undefined);
  const ready = async (task: PreparedTask): Promise<void> => {
    if (gathering && factNamesOf(task.def).size > 0) await gathering;
  };
  const plan = await planHostWith(observeOn(conn, host, kinds), host, kinds, conditionHolds, ready);
  await gathering;
  const facts_ = usedFacts(host);
  return facts_ ? { ...plan, facts: facts_ } : plan;
}

/** The facts a plan records: the ansible_* facts its tasks read (all of them for `ansible_facts`). */
export function usedFacts(host: PreparedHost): Record<string, unknown> | undefined {
  if (!host.facts) return undefined;
  const names = new Set<string>();
  for (const t of [...host.tasks, ...host.handlers]) for (const n of factNamesOf(t.def)) names.add(n);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(host.facts)) if (FACT_NAMES.has(k) && (names.has(k) || names.has('ansible_facts'))) out[k] = v;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** planHostWith with the observations (and, for replay, the `when` decisions) from elsewhere. */
export async function planHostWith(
  observe: Observe,
  host: PreparedHost,
  kinds: StepKinds = STEP_KINDS,
  decide: Decide = conditionHolds,
  ready: (task: PreparedTask) => Promise<void> = async () => undefined,
): Promise<HostPlan> {
  const tasks: PlannedTask[] = [];
  const registered: Vars = dict(); // `register: __proto__` is a valid variable name
  const projected = new ProjectedState();
  const notified = new Set<string>();
  const observations: Record<string, unknown> = {};

  const planOne = async (given: PreparedTask): Promise<void> => {
    await ready(given);
    const task = withFactParams(host, given);
    if (!decide(host, task, registered, tasks.length)) {
      const skipped = skippedTask(task);
      tasks.push(skipped);
      if (task.def.register) registered[task.def.register] = registeredFrom(skipped);
      return;
    }
    const planned = withResultCheck(await planObserved(observe, host, task, kinds, tasks.length, projected), host, task, registered);
    for (const [k, v] of Object.entries(planned.observations)) {
      if (k in observations && canonicalJson(observations[k]) !== canonicalJson(v)) continue;
      observations[k] = v;
    }
    if (plansChange(planned) || (planned.predicted !== undefined && !textsNeverChange(planned.result?.changedWhen))) for (const n of planned.notify) notified.add(n);
    tasks.push(planned);
    if (task.def.register) registered[task.def.register] = registeredFrom(planned);
  };

  for (const task of host.tasks) await planOne(task);
  for (const handler of host.handlers) if (notified.has(handler.def.name)) await planOne(handler);
  return { host: host.name, fingerprint: observationFingerprint(observations), observations, tasks };
}

/** A task whose params read facts, rendered with them (an error waits for its `when`, as at prepare). */
function withFactParams(host: PreparedHost, task: PreparedTask): PreparedTask {
  if (!task.renderWithFacts) return task;
  try {
    return { ...task, params: task.renderWithFacts(host.facts ?? {}) };
  } catch (err) {
    if (err instanceof PlaybookError && task.def.when.length > 0) return { ...task, deferredError: err };
    throw err;
  }
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
