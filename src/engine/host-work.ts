/**
 * The work done on one host inside a batch, for `run` (observe+plan+apply task by task, so
 * each task sees the state left by the previous one) and for `apply` (exactly the planned
 * changes, after checking that the host has not drifted since the plan).
 */
import type { Vars } from '../playbook/template.js';
import { STEP_KINDS } from '../steps/registry.js';
import type { HostConnection } from '../transport/types.js';
import { MtafleetError, RefusedError, outcomeOfError } from '../util/errors.js';
import type { FailureOutcome } from '../util/outcome.js';
import { HostApplier, type UndoProblem } from './applier.js';
import { fingerprint } from './canonical.js';
import { describeDrift } from './drift.js';
import type { EngineListener } from './events.js';
import type { Journal } from './journal.js';
import { remoteLock, type HostLock } from './lock.js';
import { conditionHolds, ensureFacts, planTask, reobserve, registeredFrom, type HostPlan, type PlannedTask, type StepKinds } from './plan-host.js';
import type { PreparedHost } from './prepare.js';
import type { FactSource } from './facts.js';
import type { HostOutcome } from './run-record.js';
import { dict } from '../util/dict.js';

export interface HostWorkOptions {
  runId: string;
  user: string;
  journal: Journal;
  autoRollback: boolean;
  emit: EngineListener;
  kinds?: StepKinds;
  lock?: HostLock;
  facts?: FactSource;
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
  work: (applier: HostApplier) => Promise<{ failure?: Failure; notifiedHandlers: () => Promise<Failure | undefined> }>,
): Promise<HostWorkResult> {
  const lock = opts.lock ?? remoteLock;
  const applier = new HostApplier(conn, opts.journal, opts.emit);
  try {
    await lock.acquire(conn, lockPath, { run: opts.runId, time: new Date().toISOString(), user: opts.user }, { become });
  } catch (err) {
    const f = failureOf(err);
    return { name: conn.name, status: f.outcome, changes: 0, error: f.error.message, undoProblems: [] };
  }
  let failure: Failure | undefined;
  let undoProblems: UndoProblem[] = [];
  let changes = 0;
  try {
    const r = await work(applier);
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
  if (failure) {
    return {
      name: conn.name,
      status: failure.outcome,
      changes,
      error: failure.error.message + undoNote,
      undoProblems,
    };
  }
  return { name: conn.name, status: changes > 0 ? 'changed' : 'ok', changes, error: null, undoProblems };
}

async function applyPlanned(applier: HostApplier, planned: PlannedTask, prefix: string): Promise<void> {
  if (planned.plan.kind === 'refused') {
    throw new RefusedError(`${applier.host}: task "${planned.name}" refused: ${planned.plan.reason}`);
  }
  if (planned.plan.kind !== 'changes') return;
  const changes = planned.plan.changes;
  for (let i = 0; i < changes.length; i++) await applier.apply(`${prefix}-c${i}`, planned.name, changes[i]);
}

/** `run`: per task, observe -> plan -> apply, then notified handlers. */
export async function runHost(conn: HostConnection, host: PreparedHost, playIndex: number, opts: HostWorkOptions): Promise<HostWorkResult> {
  const kinds = opts.kinds ?? STEP_KINDS;
  opts.emit({ type: 'host-start', host: host.name });
  const result = await withLock(conn, host.lockPath, host.become, opts, async (applier) => {
    const registered: Vars = dict(); // `register: __proto__` is a valid variable name
    const notified = new Set<string>();
    let failure: Failure | undefined;
    try {
      await ensureFacts(conn, host, opts.facts);
    } catch (err) {
      failure = failureOf(err);
    }
    for (let t = 0; t < host.tasks.length && !failure; t++) {
      const task = host.tasks[t];
      try {
        if (!conditionHolds(host, task, registered)) {
          if (task.def.register) registered[task.def.register] = { changed: false, skipped: true, failed: false, refused: false };
          continue;
        }
        const planned = await planTask(conn, host, task, kinds);
        opts.emit({ type: 'task-planned', host: host.name, task: planned.name, plan: planned.plan });
        if (task.def.register) registered[task.def.register] = registeredFrom(planned);
        await applyPlanned(applier, planned, `p${playIndex}-t${t}`);
        if (planned.plan.kind === 'changes') for (const n of planned.notify) notified.add(n);
      } catch (err) {
        failure = failureOf(err);
        if (applier.applied.some((a) => a.task === task.def.name)) for (const n of task.def.notify) notified.add(n);
      }
    }
    const notifiedHandlers = async (): Promise<Failure | undefined> => {
      for (let h = 0; h < host.handlers.length; h++) {
        const handler = host.handlers[h];
        if (!notified.has(handler.def.name)) continue;
        try {
          const planned = await planTask(conn, host, handler, kinds);
          opts.emit({ type: 'task-planned', host: host.name, task: planned.name, plan: planned.plan });
          await applyPlanned(applier, planned, `p${playIndex}-h${h}`);
        } catch (err) {
          return failureOf(err);
        }
      }
      return undefined;
    };
    return { failure, notifiedHandlers };
  });
  opts.emit({ type: 'host-done', host: host.name, outcome: strip(result) });
  return result;
}

/** `apply`: refuse on drift, else apply exactly the planned changes, then planned handlers. */
export async function applyHost(
  conn: HostConnection,
  plan: HostPlan,
  opts: HostWorkOptions & { lockPath: string; become: boolean; playIndex: number },
): Promise<HostWorkResult> {
  const kinds = opts.kinds ?? STEP_KINDS;
  opts.emit({ type: 'host-start', host: plan.host });
  const result = await withLock(conn, opts.lockPath, opts.become, opts, async (applier) => {
    // A plan that refused a task is not applied in part.
    const refusedTask = plan.tasks.find((t) => t.plan.kind === 'refused');
    if (refusedTask) {
      const error = new RefusedError(`${plan.host}: task "${refusedTask.name}" was refused in the plan: ${(refusedTask.plan as { reason: string }).reason}`);
      return { failure: failureOf(error), notifiedHandlers: async () => undefined };
    }
    const now = await reobserve(conn, plan, opts.become, kinds);
    if (fingerprint(now) !== plan.fingerprint) {
      const drift = describeDrift(plan.observations, now);
      const error = new RefusedError(`${plan.host}: drifted since the plan was made: ${drift.join('; ') || 'observations differ'}`);
      return { failure: failureOf(error), notifiedHandlers: async () => undefined };
    }
    const notified = new Set<string>();
    let failure: Failure | undefined;
    const tasks = plan.tasks.filter((t) => !t.handler);
    for (let t = 0; t < tasks.length && !failure; t++) {
      try {
        await applyPlanned(applier, tasks[t], `p${opts.playIndex}-t${t}`);
        if (tasks[t].plan.kind === 'changes') for (const n of tasks[t].notify) notified.add(n);
      } catch (err) {
        failure = failureOf(err);
        if (applier.applied.some((a) => a.task === tasks[t].name)) for (const n of tasks[t].notify) notified.add(n);
      }
    }
    const notifiedHandlers = async (): Promise<Failure | undefined> => {
      const handlers = plan.tasks.filter((t) => t.handler);
      for (let h = 0; h < handlers.length; h++) {
        if (!notified.has(handlers[h].name)) continue;
        try {
          await applyPlanned(applier, handlers[h], `p${opts.playIndex}-h${h}`);
        } catch (err) {
          return failureOf(err);
        }
      }
      return undefined;
    };
    return { failure, notifiedHandlers };
  });
  opts.emit({ type: 'host-done', host: plan.host, outcome: strip(result) });
  return result;
}

function strip(r: HostWorkResult): HostOutcome {
  return { name: r.name, status: r.status, changes: r.changes, error: r.error };
}
