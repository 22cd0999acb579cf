/**
 * The work done on one host inside a batch. One execution path: `run` plans the host and
 * applies that plan in memory; `apply` checks that the host has not drifted since the plan
 * and applies the plan file's. Each task is planned against the state the earlier ones leave;
 * after it is applied its resources are re-observed and compared with that projection.
 */
import { STEP_KINDS } from '../steps/registry.js';
import type { HostConnection } from '../transport/types.js';
import { MtafleetError, RefusedError, StepError, outcomeOfError } from '../util/errors.js';
import type { FailureOutcome } from '../util/outcome.js';
import { HostApplier, type Judge, type UndoProblem } from './applier.js';
import { judgeResult } from '../playbook/result-conditions.js';
import { describeDrift, describeFactDrift } from './drift.js';
import { ansibleFactSource } from './facts.js';
import { observationFingerprint, stableObservations } from './volatile.js';
import type { EngineListener } from './events.js';
import type { Journal } from './journal.js';
import { remoteLock, type HostLock } from './lock.js';
import { HostUndoCopy, type HostUndoStore } from './host-undo.js';
import { planFromRecord, planHost, reobserve, type HostPlan, type PlannedTask, type StepKinds } from './plan-host.js';
import { projectionMismatch } from './projection.js';
import type { PreparedHost } from './prepare.js';
import type { FactSource } from './facts.js';
import { outcomeOnly, type HostOutcome, type IgnoredFailure } from './run-record.js';

export interface HostWorkOptions {
  runId: string;
  user: string;
  journal: Journal;
  autoRollback: boolean;
  emit: EngineListener;
  kinds?: StepKinds;
  lock?: HostLock;
  facts?: FactSource;
  /** Where hosts keep their own copy of the undo records (default: on the host, host-undo.ts). */
  undoStore?: HostUndoStore;
}

export interface HostWorkResult extends HostOutcome {
  undoProblems: UndoProblem[];
}

interface Failure {
  error: MtafleetError | Error;
  /** Decided by the error's class where it was raised (util/errors.ts), never by its text. */
  outcome: FailureOutcome;
}

function failureOf(err: unknown): Failure {
  const error = err instanceof Error ? err : new Error(String(err));
  return { error, outcome: outcomeOfError(err) };
}

/** Lock, work, unlock; the outcome says what happened. */
async function withLock(
  conn: HostConnection,
  lockPath: string,
  become: boolean,
  opts: HostWorkOptions,
  work: (applier: HostApplier) => Promise<HostWork>,
): Promise<HostWorkResult> {
  const lock = opts.lock ?? remoteLock;
  const copy = new HostUndoCopy(conn, { lockPath, become }, opts.runId, opts.user, opts.undoStore);
  const applier = new HostApplier(conn, opts.journal, opts.emit, copy);
  try {
    await lock.acquire(conn, lockPath, { run: opts.runId, time: new Date().toISOString(), user: opts.user }, { become });
  } catch (err) {
    const f = failureOf(err);
    return { name: conn.name, status: f.outcome, changes: 0, error: f.error.message, undoProblems: [] };
  }
  let failure: Failure | undefined;
  let undoProblems: UndoProblem[] = [];
  let changes = 0;
  let ignored: IgnoredFailure[] = [];
  try {
    const r = await work(applier);
    ignored = r.ignored ?? []; // the same list: handlers' ignored failures are added to it
    failure = r.failure;
    if (failure && opts.autoRollback) undoProblems = await applier.rollback();
    // Handlers run for what changed even when a later task failed (after the rollback, so a
    // reload picks up the restored configuration).
    const handlerFailure = await r.notifiedHandlers();
    if (handlerFailure && !failure) {
      failure = handlerFailure;
      if (opts.autoRollback) undoProblems = await applier.rollback();
    }
  } catch (err) {
    failure = failureOf(err);
  } finally {
    changes = applier.doneCount;
    // The records after the last intent (done, failed, undone): the host's copy stays
    // rollback-safe without them (an undo of what is already undone restores the same state).
    await copy.flush().catch((err: Error) => {
      failure ??= failureOf(new StepError(`${err.message} (the last records of this run on the host; the local journal has them)`));
    });
    await lock.release(conn, lockPath, opts.runId, { become }).catch((err: Error) => {
      failure ??= failureOf(err);
    });
  }
  const failedUndo = undoProblems.filter((p) => p.kind === 'failed');
  // The journal still holds what was not undone: say how to retry (e.g. once the host is back).
  const undoNote =
    failedUndo.length > 0
      ? `; could not undo: ${failedUndo.map((p) => `${p.change} (${p.reason})`).join('; ')}; to retry: mtafleet rollback ${opts.runId}`
      : '';
  const withIgnored = ignored.length > 0 ? { ignored } : {};
  if (failure) {
    return {
      name: conn.name,
      status: failure.outcome,
      changes,
      error: failure.error.message + undoNote,
      ...withIgnored,
      undoProblems,
    };
  }
  return { name: conn.name, status: changes > 0 ? 'changed' : 'ok', changes, error: null, ...withIgnored, undoProblems };
}

/** What a host's work leaves: the failure that stopped it, failures it ignored, its handlers to run. */
interface HostWork {
  failure?: Failure;
  ignored?: IgnoredFailure[];
  notifiedHandlers: () => Promise<Failure | undefined>;
}

/** changed_when / failed_when of a planned command, as a judge of its result. */
function judgeOf(planned: PlannedTask): Judge | undefined {
  const check = planned.result;
  return check ? (r) => judgeResult(check, r) : undefined;
}

/**
 * Whether a task's failure is ignored (`ignore_errors: true`): a failure of the task's own
 * work only. A refusal (safety check, drift), an unreachable host and an internal error
 * stop the host as always.
 */
function ignorable(planned: PlannedTask, f: Failure): boolean {
  return planned.ignoreErrors === true && f.outcome === 'failed' && f.error instanceof MtafleetError;
}

/**
 * Applies one planned task. A predicted task is re-planned first against the host as it is
 * now (the earlier tasks applied); an exact one is applied as planned, then its resources are
 * re-observed and must be what the plan projected.
 */
async function applyPlanned(applier: HostApplier, conn: HostConnection, planned: PlannedTask, prefix: string, ctx: ApplyContext, replan?: string): Promise<boolean> {
  const step = ctx.kinds[planned.kind];
  const observeNow = async () => (await step.observe(conn, planned.params, { become: planned.become ?? ctx.become, ...(ctx.facts ? { facts: ctx.facts } : {}) })) as Record<string, unknown>;
  // After an ignored failure the host is not what the plan projected: later tasks are re-planned.
  const fresh = planned.predicted !== undefined || replan !== undefined;
  const plan = !fresh ? planned.plan : planFromRecord(step, { params: planned.params, observations: await observeNow(), become: planned.become, predicted: planned.predicted ?? replan });
  ctx.emit({ type: 'task-planned', host: applier.host, task: planned.name, plan });
  if (plan.kind === 'refused') throw new RefusedError(`${applier.host}: task "${planned.name}" refused: ${plan.reason}`);
  if (plan.kind !== 'changes') return false;
  const changes = plan.changes;
  const judge = judgeOf(planned);
  let changed = false;
  for (let i = 0; i < changes.length; i++) changed = (await applier.apply(`${prefix}-c${i}`, planned.name, changes[i], judge)) || changed;
  if (!fresh && planned.projected) {
    const differs = projectionMismatch(planned.projected, { ...planned.observations, ...(planned.basis ?? {}) }, await observeNow());
    if (differs.length > 0) {
      throw new MtafleetError(`${applier.host}: task "${planned.name}": after applying, the host is not as planned: ${differs.join('; ')}`);
    }
  }
  return changed;
}

interface ApplyContext {
  kinds: StepKinds;
  become: boolean;
  playIndex: number;
  emit: EngineListener;
  facts?: Record<string, unknown>;
}

/** A plan that refused a task is not applied in part: nothing runs on the host. */
function refusedInPlan(plan: HostPlan): { failure: Failure; notifiedHandlers: () => Promise<undefined> } | undefined {
  const t = plan.tasks.find((x) => x.plan.kind === 'refused');
  if (!t) return undefined;
  const error = new RefusedError(`${plan.host}: task "${t.name}" was refused in the plan: ${(t.plan as { reason: string }).reason}`);
  return { failure: failureOf(error), notifiedHandlers: async () => undefined };
}

/**
 * The one execution path (`run` and `apply`): the planned tasks in order, then the handlers
 * notified by tasks that changed something. A plan that refused a task is not applied in part.
 */
function applyHostPlan(conn: HostConnection, plan: HostPlan, ctx: ApplyContext) {
  return async (applier: HostApplier): Promise<HostWork> => {
    const refused = refusedInPlan(plan);
    if (refused) return refused;
    const notified = new Set<string>();
    const ignored: IgnoredFailure[] = [];
    let replan: string | undefined;
    let failure: Failure | undefined;
    // A failure of a task with ignore_errors is recorded and the host goes on (no rollback for
    // it; what it and earlier tasks changed stays journalled, so `rollback` can undo it).
    const attempt = async (t: PlannedTask, prefix: string): Promise<Failure | undefined> => {
      const doneBefore = applier.doneCount;
      try {
        if (await applyPlanned(applier, conn, t, prefix, ctx, replan)) for (const n of t.notify) notified.add(n);
        return undefined;
      } catch (err) {
        const f = failureOf(err);
        if (!ignorable(t, f)) {
          // It may have changed part of what it set out to (as before ignore_errors existed).
          if (applier.applied.some((a) => a.task === t.name)) for (const n of t.notify) notified.add(n);
          return f;
        }
        // An ignored failure notifies for the changes it completed only (Ansible: a failed task notifies nothing).
        if (applier.doneCount > doneBefore) for (const n of t.notify) notified.add(n);
        ignored.push({ task: t.name, error: f.error.message });
        ctx.emit({ type: 'task-ignored', host: applier.host, task: t.name, error: f.error.message });
        replan = `re-planned after task "${t.name}" failed (ignore_errors)`;
        return undefined;
      }
    };
    const tasks = plan.tasks.filter((t) => !t.handler);
    for (let t = 0; t < tasks.length && !failure; t++) {
      if (tasks[t].skipped) continue;
      failure = await attempt(tasks[t], `p${ctx.playIndex}-t${t}`);
    }
    const notifiedHandlers = async (): Promise<Failure | undefined> => {
      const handlers = plan.tasks.filter((t) => t.handler);
      for (let h = 0; h < handlers.length; h++) {
        if (!notified.has(handlers[h].name)) continue;
        const f = await attempt(handlers[h], `p${ctx.playIndex}-h${h}`);
        if (f) return f;
      }
      return undefined;
    };
    return { failure, ignored, notifiedHandlers };
  };
}

/** `run`: plan the host (as `plan` does), then apply that plan in memory (as `apply` does). */
export async function runHost(conn: HostConnection, host: PreparedHost, playIndex: number, opts: HostWorkOptions): Promise<HostWorkResult> {
  const kinds = opts.kinds ?? STEP_KINDS;
  opts.emit({ type: 'host-start', host: host.name });
  const result = await withLock(conn, host.lockPath, host.become, opts, async (applier) => {
    let plan: HostPlan;
    try {
      plan = await planHost(conn, host, kinds, opts.facts);
    } catch (err) {
      return { failure: failureOf(err), notifiedHandlers: async () => undefined };
    }
    return applyHostPlan(conn, plan, { kinds, become: host.become, playIndex, emit: opts.emit, ...(host.facts ? { facts: host.facts } : {}) })(applier);
  });
  opts.emit({ type: 'host-done', host: host.name, outcome: strip(result) });
  return result;
}

/** `apply`: refuse on drift, else apply the planned changes (the same path as `run`). */
export async function applyHost(
  conn: HostConnection,
  plan: HostPlan,
  opts: HostWorkOptions & { lockPath: string; become: boolean; playIndex: number },
): Promise<HostWorkResult> {
  const kinds = opts.kinds ?? STEP_KINDS;
  opts.emit({ type: 'host-start', host: plan.host });
  const result = await withLock(conn, opts.lockPath, opts.become, opts, async (applier) => {
    const refused = refusedInPlan(plan);
    if (refused) return refused;
    // Facts the plan's tasks read (params rendered from them) are part of what must not drift.
    const [now, factsNow] = await Promise.all([
      reobserve(conn, plan, opts.become, kinds),
      plan.facts ? (opts.facts ?? ansibleFactSource)(conn, opts.become, { mounts: Object.hasOwn(plan.facts, 'ansible_mounts') }) : Promise.resolve(undefined),
    ]);
    const factDrift = plan.facts && factsNow ? describeFactDrift(plan.facts, factsNow) : [];
    if (observationFingerprint(now) !== plan.fingerprint || factDrift.length > 0) {
      const drift = [...factDrift, ...(observationFingerprint(now) !== plan.fingerprint ? describeDrift(stableObservations(plan.observations), stableObservations(now)) : [])];
      const error = new RefusedError(`${plan.host}: drifted since the plan was made: ${drift.join('; ') || 'observations differ'}`);
      return { failure: failureOf(error), notifiedHandlers: async () => undefined };
    }
    return applyHostPlan(conn, plan, { kinds, become: opts.become, playIndex: opts.playIndex, emit: opts.emit })(applier);
  });
  opts.emit({ type: 'host-done', host: plan.host, outcome: strip(result) });
  return result;
}

function strip(r: HostWorkResult): HostOutcome {
  return outcomeOnly(r);
}
