/**
 * `rollback RUN_ID -i INV` when this machine has no journal of the run (another machine ran
 * it, or the runner's machine is gone): each host's undo records — the history store's copy of
 * the run's journal when a shared store has it, else the host's own copy — are read, validated
 * as hostile input (host-undo-record.ts; a host whose records fail is refused and nothing is
 * undone there), copied into a local journal of the run, and undone by the same code as a
 * local rollback (rollback.ts undoHosts), newest first.
 */
import { selectHosts } from '../inventory/pattern.js';
import type { Inventory } from '../inventory/types.js';
import type { ResolveOptions } from '../transport/spec.js';
import type { HostConnection } from '../transport/types.js';
import { InputError, RefusedError } from '../util/errors.js';
import { eachHost, specsFor, type EngineDeps } from './fleet.js';
import { HostRecordError, parseHostRecords } from './host-undo-record.js';
import { remoteUndoStore, type HostRunSummary, type HostUndoStore } from './host-undo.js';
import { Journal, pendingUndos, type JournalEntry, type JournalWriter } from './journal.js';
import { findRunRecord, currentUser, summarize, writeRunRecord, type HostOutcome, type RunRecord } from './run-record.js';
import { lockPathOf, undoHosts, type RollbackOptions, type RollbackResult } from './rollback.js';

/**
 * The run's local journal, opened at the first record a host gives: a run id no host knows
 * leaves nothing behind in the state dir. A run rolled back from the hosts before is resumed
 * (without its anchor: records copied from hosts may follow a rollback killed half-way).
 */
class LocalCopy implements JournalWriter {
  journal: Journal | undefined;
  constructor(
    private readonly opts: RollbackOptions,
    private readonly record: RunRecord,
    private readonly earlier: boolean,
  ) {}

  write(entry: JournalEntry): void {
    if (!this.journal) {
      if (this.earlier) this.journal = Journal.resume(this.opts.stateDir, this.opts.runId).journal;
      else {
        writeRunRecord(this.opts.stateDir, this.record);
        this.journal = Journal.open(this.opts.stateDir, this.opts.runId);
      }
    }
    this.journal.write(entry);
  }
}

/** The host's copy of the run, read where the run kept it (as the inventory's become says, then through sudo). */
async function readCopy(conn: HostConnection, lockPath: string, become: boolean, runId: string, store: HostUndoStore): Promise<Buffer | null> {
  const first = await store.read(conn, { lockPath, become }, runId);
  if (first !== null || become) return first;
  // A play with `become: true` kept its records as root although the inventory does not become.
  return store.read(conn, { lockPath, become: true }, runId).catch(() => null);
}

/**
 * The history store's copy of a run's journal, per host (read before any host is touched): a
 * host's lines as a host copy holds them, or why the store's records of it are refused.
 */
export type StoreRecords = Map<string, { text: string } | { refused: string }>;

export async function rollbackFromHosts(opts: RollbackOptions, deps: EngineDeps = {}, fromStore?: StoreRecords): Promise<RollbackResult> {
  const source = fromStore ? 'store' : 'hosts';
  const earlier = findRunRecord(opts.stateDir, opts.runId);
  if (earlier && earlier.source === undefined) throw new InputError(`run ${opts.runId} has a local journal in ${opts.stateDir}: roll it back from there`);
  const store = deps.undoStore ?? remoteUndoStore;
  const startedAt = new Date().toISOString();
  const record: RunRecord = earlier ?? {
    runId: opts.runId,
    command: 'rollback',
    source,
    check: false,
    startedAt,
    finishedAt: null,
    user: currentUser(),
    playbook: null,
    inventory: opts.inventory.file,
    hosts: [],
    summary: summarize([]),
    notRun: [],
  };
  const local = new LocalCopy(opts, record, earlier !== undefined);
  const noRecords: string[] = [];
  const hosts = fromStore ? storeHosts(opts, fromStore) : selectHosts(opts.inventory, opts.limit);
  const whose = fromStore ? "the history store's undo records" : 'its undo records';
  let done: Awaited<ReturnType<typeof undoHosts>>;
  try {
    done = await undoHosts(hosts, opts, deps, local, async (conn, spec) => {
      const kept = fromStore?.get(conn.name);
      if (kept && 'refused' in kept) throw new RefusedError(`${conn.name}: refusing ${whose} of run ${opts.runId}: ${kept.refused}; nothing was undone on this host`);
      const data = fromStore ? (kept?.text ?? null) : await readCopy(conn, lockPathOf(opts.inventory, conn.name), spec.become, opts.runId, store);
      if (data === null) {
        noRecords.push(conn.name);
        return [];
      }
      let records;
      try {
        records = parseHostRecords(data, { host: conn.name, runId: opts.runId });
      } catch (err) {
        if (!(err instanceof HostRecordError)) throw err;
        throw new RefusedError(`${conn.name}: refusing ${whose} of run ${opts.runId}: ${err.message}; nothing was undone on this host`);
      }
      // The host's records, kept locally: the rollback's own journal continues from them.
      for (const { at: _at, ...entry } of records) local.write(entry as JournalEntry);
      return pendingUndos(records);
    });
  } finally {
    local.journal?.close();
  }
  const failed = done.outcomes.some((o) => o.status !== 'ok' && o.status !== 'changed');
  if (!local.journal && !failed) {
    throw new InputError(
      fromStore
        ? `the history store has no undo records of run ${opts.runId} for the hosts of ${opts.inventory.file}${opts.limit ? ` (--limit ${opts.limit})` : ''}`
        : `no host of ${opts.inventory.file}${opts.limit ? ` (--limit ${opts.limit})` : ''} has undo records of run ${opts.runId}, and this machine has no journal of it`,
    );
  }
  if (local.journal) {
    const rollbacks = [...(record.rollbacks ?? []), { at: new Date().toISOString(), user: currentUser(), hosts: done.outcomes }];
    writeRunRecord(opts.stateDir, { ...record, hosts: mergeHosts(record.hosts, done.outcomes), summary: summarize(mergeHosts(record.hosts, done.outcomes)), finishedAt: new Date().toISOString(), rollbacks, journal: local.journal.anchor });
  }
  return { runId: opts.runId, check: false, hosts: done.outcomes, summary: summarize(done.outcomes), notRun: [], problems: done.problems, source, noRecords };
}

/** The hosts the store has records of (within --limit), each one the inventory must name. */
function storeHosts(opts: RollbackOptions, fromStore: StoreRecords) {
  const selected = new Set(selectHosts(opts.inventory, opts.limit).map((h) => h.name));
  const names = [...fromStore.keys()].filter((h) => opts.limit === undefined || selected.has(h));
  const missing = names.find((h) => !opts.inventory.hosts.has(h));
  if (missing !== undefined) throw new InputError(`host ${JSON.stringify(missing.slice(0, 80))} of run ${opts.runId} (in the history store) is not in ${opts.inventory.file}; give the run's inventory with -i`);
  return names.map((h) => opts.inventory.hosts.get(h)!);
}

function mergeHosts(before: HostOutcome[], now: HostOutcome[]): HostOutcome[] {
  const byName = new Map(before.map((h) => [h.name, h]));
  for (const h of now) byName.set(h.name, h);
  return [...byName.values()];
}

export interface HostRuns {
  host: string;
  runs: HostRunSummary[];
  status: 'ok' | 'failed' | 'unreachable' | 'refused';
  /** Why the host's records could not be listed (unreachable, refused directory...). */
  error: string | null;
}

/** `runs --from-hosts -i INV`: the runs each host keeps undo records of. */
export async function listHostRuns(
  opts: { inventory: Inventory; limit?: string; forks: number; resolve?: ResolveOptions },
  deps: EngineDeps = {},
): Promise<HostRuns[]> {
  const store = deps.undoStore ?? remoteUndoStore;
  const specs = specsFor(selectHosts(opts.inventory, opts.limit), opts);
  const lists = new Map<string, HostRunSummary[]>();
  const results = await eachHost(specs, opts.forks, deps, async (conn, spec) => {
    lists.set(conn.name, await store.list(conn, { lockPath: lockPathOf(opts.inventory, conn.name), become: spec.become }));
    return { name: conn.name, status: 'ok' as const, changes: 0, error: null };
  });
  return results.map((r) => ({ host: r.name, runs: lists.get(r.name) ?? [], status: r.status === 'changed' ? 'ok' : r.status, error: r.status === 'ok' ? null : (r.error ?? r.status) }));
}
