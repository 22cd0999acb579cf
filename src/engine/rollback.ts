/**
 * `rollback RUN_ID`: replays, per host and newest first, the undo actions of every intent in
 * the run's journal not yet undone (an intent without `done` included: the runner may have
 * died mid-change, and restoring observed state is safe either way). Records `undone`, and
 * reports by name what could not be restored with the command that would restore it.
 * The undo records come from the local journal here, or from the hosts' own copies
 * (rollback-hosts.ts); both go through undoHosts().
 */
import type { Inventory, InventoryHost } from '../inventory/types.js';
import { selectHosts } from '../inventory/pattern.js';
import type { ConnectionSpec, HostConnection } from '../transport/types.js';
import type { ResolveOptions } from '../transport/spec.js';
import { InputError } from '../util/errors.js';
import { undoChange, type UndoProblem } from './applier.js';
import { manualCommand } from './execute.js';
import { silent } from './events.js';
import { eachHost, specsFor, type EngineDeps } from './fleet.js';
import { HostUndoCopy, teeJournal } from './host-undo.js';
import { Journal, pendingUndos, type JournalWriter, type PendingUndo } from './journal.js';
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
  /** Where the undo records came from: the local journal, the history store, or the hosts' own copies. */
  source: 'local' | 'store' | 'hosts';
  /** Hosts that had no records of the run (rollback from the hosts only). */
  noRecords?: string[];
}

export async function rollbackRun(opts: RollbackOptions, deps: EngineDeps = {}): Promise<RollbackResult> {
  const record = readRunRecord(opts.stateDir, opts.runId);
  const limitHosts = opts.limit ? new Set(selectHosts(opts.inventory, opts.limit).map((h) => h.name)) : undefined;
  // Every record is checked against the run's chain before any undo runs; the journal is
  // then kept open to record what was undone.
  const { journal, records } = Journal.resume(opts.stateDir, opts.runId, record.journal);
  const byHost = new Map<string, PendingUndo[]>();
  for (const p of pendingUndos(records, limitHosts)) byHost.set(p.host, [...(byHost.get(p.host) ?? []), p]);
  const missing = [...byHost.keys()].find((host) => !opts.inventory.hosts.has(host));
  if (missing !== undefined) {
    journal.close();
    throw new InputError(`host ${missing} of run ${opts.runId} is not in ${opts.inventory.file}; give the inventory with -i`);
  }
  const hosts = [...byHost.keys()].map((h) => opts.inventory.hosts.get(h)!);
  let done: { outcomes: HostOutcome[]; problems: UndoProblem[] };
  try {
    done = await undoHosts(hosts, opts, deps, journal, async (conn) => byHost.get(conn.name) ?? [], byHost);
  } finally {
    journal.close();
  }
  const rollbacks = [...(record.rollbacks ?? []), { at: new Date().toISOString(), user: currentUser(), hosts: done.outcomes }];
  writeRunRecord(opts.stateDir, { ...record, rollbacks, journal: journal.anchor });
  return { runId: opts.runId, check: false, hosts: done.outcomes, summary: summarize(done.outcomes), notRun: [], problems: done.problems, source: 'local' };
}

/** Where a host's lock (and its records) live: its mtafleet_lock_path, else the default. */
export function lockPathOf(inventory: Inventory, host: string): string {
  const lockVar = inventory.hosts.get(host)?.vars.mtafleet_lock_path;
  return typeof lockVar === 'string' && lockVar.startsWith('/') ? lockVar : DEFAULT_LOCK_PATH;
}

/**
 * Undoes, host by host, the changes `pendingFor` gives (newest first), under the host's lock,
 * recording each undo in `journal` and in the host's own copy. `pendingFor` runs on the open
 * connection: it may read the host's records first, and throws to refuse the host.
 */
export async function undoHosts(
  hosts: InventoryHost[],
  opts: RollbackOptions,
  deps: EngineDeps,
  journal: JournalWriter,
  pendingFor: (conn: HostConnection, spec: ConnectionSpec) => Promise<PendingUndo[]>,
  /** Each host's pending changes as far as known before connecting (for the hosts not reached). */
  known = new Map<string, PendingUndo[]>(),
): Promise<{ outcomes: HostOutcome[]; problems: UndoProblem[] }> {
  const emit = deps.emit ?? silent;
  const lock = deps.lock ?? remoteLock;
  const problems: UndoProblem[] = [];
  const reached = new Set<string>();
  const specs = specsFor(hosts, { inventory: opts.inventory, forks: opts.forks, resolve: opts.resolve });
  const results = await eachHost(specs, opts.forks, { ...deps, emit }, async (conn, spec) => {
    emit({ type: 'host-start', host: conn.name });
    const pending = await pendingFor(conn, spec);
    known.set(conn.name, pending);
    if (pending.length === 0) {
      reached.add(conn.name);
      const outcome: HostOutcome = { name: conn.name, status: 'ok', changes: 0, error: null };
      emit({ type: 'host-done', host: conn.name, outcome });
      return outcome;
    }
    const lockPath = lockPathOf(opts.inventory, conn.name);
    // The lock is taken as the undo actions run: as root when any of them uses become.
    const become = pending.some((p) => p.undo.some((a) => a.become === true));
    const copy = new HostUndoCopy(conn, { lockPath, become: become || spec.become }, opts.runId, currentUser(), deps.undoStore, true);
    const writer = teeJournal(journal, copy);
    // The rollback acts as the run it undoes: it may take over that run's (stale) lock only.
    await lock.acquire(conn, lockPath, { run: opts.runId, time: new Date().toISOString(), user: currentUser() }, { takeOverFrom: opts.runId, become });
    reached.add(conn.name);
    const mine: UndoProblem[] = [];
    let undone = 0;
    let copyError: string | null = null;
    try {
      for (const p of pending) {
        const problem = await undoChange(conn, writer, p.changeId, p.summary, p.undo, emit);
        if (problem) mine.push(problem);
        else undone++;
      }
    } finally {
      // What was undone, on the host too (a later rollback from the hosts then skips it).
      await copy.flush().catch((err: Error) => {
        copyError = `the host's copy of the undo records was not updated: ${err.message}`;
      });
      await lock.release(conn, lockPath, opts.runId, { become });
    }
    problems.push(...mine);
    // A change without undo (a command) is reported, but only a failed undo fails the host.
    const failed = mine.filter((m) => m.kind === 'failed');
    const errors = [...failed.map((m) => `could not undo "${m.change}": ${m.reason}`), ...(copyError ? [copyError] : [])];
    const outcome: HostOutcome = failed.length
      ? { name: conn.name, status: 'failed', changes: undone, error: errors.join('; ') }
      : { name: conn.name, status: undone > 0 ? 'changed' : 'ok', changes: undone, error: errors.length ? errors.join('; ') : null };
    emit({ type: 'host-done', host: conn.name, outcome });
    return outcome;
  });
  const outcomes = results.map(({ name, status, changes, error }) => ({ name, status, changes, error }));
  // A host never reached (or whose lock was refused) kept every change: name each one.
  for (const o of outcomes) {
    if (reached.has(o.name)) continue;
    problems.push(...notReached(known.get(o.name) ?? [], o.error ?? o.status, opts.runId));
  }
  return { outcomes, problems };
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
