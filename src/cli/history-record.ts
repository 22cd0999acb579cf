/**
 * The CLI's side of the history store: record an audit or a run after it ended, and find the
 * audit `--compare` names before any host is touched. A store that is down never changes a
 * command's outcome (src/history/open.ts keeps the record pending and says so once).
 */
import { newRunId, type RunResult } from '../engine/run-record.js';
import { currentUser } from '../engine/run-record.js';
import { compareAudits, openStore, runRow, saveHistory, storeError, storeTarget, whoAmI, type AuditSnapshot, type Comparison, type AuditRecord, type RunRow } from '../history/index.js';
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

/** Records a run, apply or rollback that ran (a --check run too, marked so). */
export async function recordRun(opts: Opts, result: RunResult, meta: { command: RunRow['command']; startedAt: number; playbook: string | null; planFile?: string | null; inventory: string | null }): Promise<void> {
  if (opts.history === false) return;
  const row = runRow(result, { ...meta, who: who(), ...(meta.command === 'rollback' ? { id: `${newRunId()}-rollback` } : {}) });
  await saveHistory(opts, [{ type: 'run', record: row }]);
}
