/**
 * `rollback RUN_ID`: replays, per host and newest first, the undo actions of every intent in
 * the run's journal not yet undone (an intent without `done` included: the runner may have
 * died mid-change, and restoring observed state is safe either way). Records `undone`, and
 * reports by name what could not be restored with the command that would restore it.
 */
import type { Inventory } from '../inventory/types.js';
import { selectHosts } from '../inventory/pattern.js';
import type { ResolveOptions } from '../transport/spec.js';
import { InputError } from '../util/errors.js';
import { undoChange, type UndoProblem } from './applier.js';
import { manualCommand } from './execute.js';
import { silent } from './events.js';
import { eachHost, specsFor, type EngineDeps } from './fleet.js';
import { Journal, pendingUndos, type PendingUndo } from './journal.js';
import { DEFAULT_LOCK_PATH, remoteLock } from './lock.js';
import { currentUser, readRunRecord, summarize, writeRunRecord, type HostOutcome, type RunResult } from './run-record.js';

export interface RollbackOptions {
  runId: string;
  stateDir: string;
  inventory: Inventory;
  limit?: string;
  forks: number;
  resolve?: ResolveOptions;
}

export interface RollbackResult extends RunResult {
  problems: UndoProblem[];
}

export async function rollbackRun(opts: RollbackOptions, deps: EngineDeps = {}): Promise<RollbackResult> {
  const emit = deps.emit ?? silent;
  const record = readRunRecord(opts.stateDir, opts.runId);
  const limitHosts = opts.limit ? new Set(selectHosts(opts.inventory, opts.limit).map((h) => h.name)) : undefined;
  // Every record is checked against the run's chain before any undo runs; the journal is
  // then kept open to record what was undone.
  const { journal, records } = Journal.resume(opts.stateDir, opts.runId, record.journal);
  const pending = pendingUndos(records, limitHosts);
  const byHost = new Map<string, PendingUndo[]>();
  for (const p of pending) byHost.set(p.host, [...(byHost.get(p.host) ?? []), p]);
  const missing = [...byHost.keys()].find((host) => !opts.inventory.hosts.has(host));
  if (missing !== undefined) {
    journal.close();
    throw new InputError(`host ${missing} of run ${opts.runId} is not in ${opts.inventory.file}; give the inventory with -i`);
  }
  const hosts = [...byHost.keys()].map((h) => opts.inventory.hosts.get(h)!);
  const problems: UndoProblem[] = [];
  const lock = deps.lock ?? remoteLock;
  let outcomes: HostOutcome[];
  const reached = new Set<string>();
  try {
    const specs = specsFor(hosts, { inventory: opts.inventory, forks: opts.forks, resolve: opts.resolve });
    const results = await eachHost(specs, opts.forks, { ...deps, emit }, async (conn) => {
      emit({ type: 'host-start', host: conn.name });
      const lockVar = opts.inventory.hosts.get(conn.name)!.vars.mtafleet_lock_path;
      const lockPath = typeof lockVar === 'string' && lockVar.startsWith('/') ? lockVar : DEFAULT_LOCK_PATH;
      // The lock is taken as the undo actions run: as root when any of them uses become.
      const become = (byHost.get(conn.name) ?? []).some((p) => p.undo.some((a) => a.become === true));
      // The rollback acts as the run it undoes: it may take over that run's (stale) lock only.
      await lock.acquire(conn, lockPath, { run: opts.runId, time: new Date().toISOString(), user: currentUser() }, { takeOverFrom: opts.runId, become });
      reached.add(conn.name);
      const mine: UndoProblem[] = [];
      let undone = 0;
      try {
        for (const p of byHost.get(conn.name) ?? []) {
          const problem = await undoChange(conn, journal, p.changeId, p.summary, p.undo, emit);
          if (problem) mine.push(problem);
          else undone++;
        }
      } finally {
        await lock.release(conn, lockPath, opts.runId, { become });
      }
      problems.push(...mine);
      // A change without undo (a command) is reported, but only a failed undo fails the host.
      const failed = mine.filter((m) => m.kind === 'failed');
      const outcome: HostOutcome = failed.length
        ? { name: conn.name, status: 'failed', changes: undone, error: failed.map((m) => `could not undo "${m.change}": ${m.reason}`).join('; ') }
        : { name: conn.name, status: undone > 0 ? 'changed' : 'ok', changes: undone, error: null };
      emit({ type: 'host-done', host: conn.name, outcome });
      return outcome;
    });
    outcomes = results.map(({ name, status, changes, error }) => ({ name, status, changes, error }));
    // A host never reached (or whose lock was refused) kept every change: name each one.
    for (const o of outcomes) {
      if (reached.has(o.name)) continue;
      problems.push(...notReached(byHost.get(o.name) ?? [], o.error ?? o.status, opts.runId));
    }
  } finally {
    journal.close();
  }
  const rollbacks = [...((record as { rollbacks?: unknown[] }).rollbacks ?? []), { at: new Date().toISOString(), user: currentUser(), hosts: outcomes }];
  writeRunRecord(opts.stateDir, { ...record, rollbacks, journal: journal.anchor } as typeof record);
  return { runId: opts.runId, check: false, hosts: outcomes, summary: summarize(outcomes), notRun: [], problems };
}

/** The problems of a host the rollback could not work on: each pending change, with its undo by hand. */
function notReached(pending: PendingUndo[], why: string, runId: string): UndoProblem[] {
  return pending.map((p) => ({
    kind: p.undo.length > 0 ? ('failed' as const) : ('irreversible' as const),
    host: p.host,
    change: p.summary,
    reason:
      p.undo.length > 0
        ? `not rolled back: ${why}; run \`mtafleet rollback ${runId}\` again once the host is reachable, or restore by hand`
        : 'has no undo (a command step cannot be reversed by mtafleet)',
    manual: p.undo.map(manualCommand),
  }));
}
