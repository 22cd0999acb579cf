/**
 * The CLI's side of the history store: record an audit or a run after it ended, and find the
 * audit `--compare` names before any host is touched. A store that is down never changes a
 * command's outcome (src/history/open.ts keeps the record pending and says so once).
 */
import { findRunRecord, newRunId, type RunResult } from '../engine/run-record.js';
import { currentUser } from '../engine/run-record.js';
import { journalPath, readJournal } from '../engine/journal.js';
import { hostRecordRows } from '../engine/host-undo-record.js';
import { compareAudits, describeTarget, openStore, runRow, saveHistory, storeError, storeNamed, storeTarget, whoAmI, type AuditSnapshot, type Comparison, type AuditRecord, type RunExtras, type RunRow, type StoredJournal } from '../history/index.js';
import { InputError } from '../util/errors.js';
import { safeLine } from '../util/sanitize.js';
import type { HistoryCliOptions } from './common.js';

interface Opts extends HistoryCliOptions {
  stateDir: string;
}

export function newAuditId(now = new Date()): string {
  return newRunId(now);
}

export function who(): string {
  return whoAmI(currentUser());
}

/**
 * The audit `--compare` asks for, read before the audit: an unknown id is bad input (exit 1);
 * a store that cannot be read is said on stderr and the audit goes on without a comparison.
 */
export async function compareBase(opts: Opts, which: string): Promise<AuditSnapshot | { unavailable: string; storeDown?: string }> {
  const target = storeTarget(opts);
  let store;
  try {
    store = await openStore(target);
  } catch (err) {
    const storeDown = storeError(target, err);
    const why = `cannot compare: history store unreachable: ${storeDown}`;
    process.stderr.write(`mtafleet: ${why}\n`);
    return { unavailable: why, storeDown };
  }
  try {
    const id = which === 'last' ? await store.lastAuditId() : which;
    if (id === undefined) return { unavailable: 'no earlier audit in the history store' };
    const snap = await store.snapshot(id);
    if (!snap) throw new InputError(`--compare ${safeLine(which)}: no audit with that id in the history store (see \`mtafleet history --format json\`)`);
    return snap;
  } finally {
    await store.close();
  }
}

export function comparison(base: AuditSnapshot | { unavailable: string } | undefined, rec: AuditRecord): Comparison | { unavailable: string } | undefined {
  if (base === undefined) return undefined;
  if ('unavailable' in base) return { unavailable: base.unavailable };
  return compareAudits(base, { auditId: rec.auditId, at: rec.at, hosts: rec.hosts, findings: rec.findings });
}

/** `knownDown`: the store was unreachable when --compare read it (not tried again). */
export async function recordAudit(opts: Opts, rec: AuditRecord, knownDown?: string): Promise<boolean> {
  if (opts.history === false) return false;
  return (await saveHistory({ ...opts, ...(knownDown !== undefined ? { knownDown } : {}) }, [{ type: 'audit', record: rec }])).saved;
}

/**
 * Records a run, apply or rollback that ran (a --check run too, marked so), with the run's
 * journal and approvals as the local state dir holds them when it ended: a run's undo records,
 * a rollback's records of what it undid (added to the run's journal in the store).
 */
export async function recordRun(opts: Opts, result: RunResult, meta: { command: RunRow['command']; startedAt: number; playbook: string | null; planFile?: string | null; inventory: string | null }): Promise<void> {
  if (opts.history === false) return;
  const row = runRow(result, { ...meta, who: who(), ...(meta.command === 'rollback' ? { id: `${newRunId()}-rollback` } : {}) });
  const extras = result.check ? {} : runExtras(opts.stateDir, result.runId);
  await saveHistory(opts, [{ type: 'run', record: row, ...(extras.journal?.length || extras.approvals?.length ? { extras } : {}) }]);
}

/**
 * The run's journal (as the lines the hosts keep) and signers, from the local state dir. A
 * journal that cannot be read (no run dir, a broken chain) is left out and said: the run row
 * is recorded all the same.
 */
export function runExtras(stateDir: string, runId: string): RunExtras {
  try {
    const record = findRunRecord(stateDir, runId);
    if (!record) return {};
    const records = readJournal(journalPath(stateDir, runId), runId, record.source === undefined ? record.journal : undefined);
    return {
      journal: hostRecordRows(runId, records, record.user),
      approvals: (record.signers ?? []).map((s) => ({ principal: s.principal, keyType: s.keyType, key: s.key })),
    };
  } catch (err) {
    process.stderr.write(`mtafleet: the journal of run ${safeLine(runId)} is not recorded in the history store: ${safeLine(err instanceof Error ? err.message : String(err))}\n`);
    return {};
  }
}

/**
 * The store's copy of a run's journal, for `rollback` on a machine without a local journal: only
 * from a store named with --db / $MTAFLEET_DB (not with --no-history). Undefined when there is
 * none or the store holds no records of the run; a store that cannot be read is said on stderr
 * (the rollback then goes on to the hosts' copies).
 */
export async function storeJournal(opts: Opts, runId: string): Promise<{ journal: StoredJournal; inventory: string | null; where: string } | undefined> {
  if (opts.history === false || !storeNamed(opts.db)) return undefined;
  const target = storeTarget(opts);
  let store;
  try {
    store = await openStore(target);
  } catch (err) {
    process.stderr.write(`mtafleet: history store unreachable, its copy of run ${safeLine(runId)} was not read: ${storeError(target, err)}\n`);
    return undefined;
  }
  try {
    const journal = await store.journal(runId);
    if (journal.size === 0) return undefined;
    const rows = await store.runRows(runId);
    return { journal, inventory: rows.find((r) => r.command !== 'rollback')?.inventory ?? null, where: describeTarget(target) };
  } catch (err) {
    process.stderr.write(`mtafleet: history store could not be read, its copy of run ${safeLine(runId)} was not used: ${storeError(target, err)}\n`);
    return undefined;
  } finally {
    await store.close();
  }
}
