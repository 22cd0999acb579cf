/**
 * `mtafleet runs [RUN_ID]` from a shared history store (--db / $MTAFLEET_DB): the whole team's
 * runs, applies and rollbacks with who, when, what and outcome, the signers of applied plans,
 * and for one run the undo records the store keeps per host. Loaded when `runs` runs with a
 * store named. Everything read from the store is hostile: text goes through the sanitiser,
 * records through the host-copy validator, host names are never object keys.
 */
import { HostRecordError, parseHostRecords } from '../engine/host-undo-record.js';
import { describeTarget, openStore, storeError, storeTarget, type ApprovalRow, type HistoryStore, type RunRow, type StoredJournal } from '../history/index.js';
import { InputError } from '../util/errors.js';
import { safeJson, safeLine } from '../util/sanitize.js';

export interface StoreRunJson {
  id: string;
  runId: string;
  command: RunRow['command'];
  who: string;
  startedAt: string;
  finishedAt: string | null;
  check: boolean;
  playbook: string | null;
  planFile: string | null;
  inventory: string | null;
  hosts: RunRow['hosts'];
  summary: RunRow['summary'];
  outcome: RunRow['outcome'];
  signers: ApprovalRow[];
}

/** Per host of one run: the undo records the store keeps, or why they would be refused. */
export interface StoreJournalHost {
  host: string;
  records: number;
  intents: number;
  undone: number;
  refused: string | null;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function storeRunJson(r: RunRow, signers: ApprovalRow[]): StoreRunJson {
  return {
    id: r.id, runId: r.runId, command: r.command, who: r.who, startedAt: iso(r.startedAt), finishedAt: r.finishedAt === null ? null : iso(r.finishedAt),
    check: r.check, playbook: r.playbook, planFile: r.planFile, inventory: r.inventory, hosts: r.hosts, summary: r.summary, outcome: r.outcome, signers,
  };
}

/** One line per row, newest first, as the local listing (`runListLine`) with the row's command and who. */
export function storeRunLine(r: StoreRunJson): string {
  const counts = Object.entries(r.summary).filter(([, n]) => n > 0).map(([k, n]) => `${k}=${n}`).join(' ');
  const approved = r.signers.length > 0 ? `  approved by ${r.signers.map((s) => s.principal).join(', ')}` : '';
  const what = r.command === 'rollback' ? `rollback of ${r.runId}` : `${r.command}${r.check ? ' --check' : ''}`;
  return safeLine(`${r.runId}  ${r.startedAt}  ${r.who}  ${what}  ${r.playbook ?? '-'}  ${r.hosts.length} host(s)  ${r.outcome}${counts ? ` (${counts})` : ''}${approved}`);
}

export function journalHosts(runId: string, journal: StoredJournal): StoreJournalHost[] {
  return [...journal].map(([host, kept]) => {
    if ('refused' in kept) return { host, records: 0, intents: 0, undone: 0, refused: kept.refused };
    try {
      const records = parseHostRecords(kept.text, { host, runId });
      return { host, records: records.length, intents: records.filter((r) => r.type === 'intent').length, undone: records.filter((r) => r.type === 'undone').length, refused: null };
    } catch (err) {
      if (!(err instanceof HostRecordError)) throw err;
      return { host, records: 0, intents: 0, undone: 0, refused: err.message };
    }
  });
}

export function renderStoreRun(runId: string, rows: StoreRunJson[], hosts: StoreJournalHost[], where: string): string {
  const out = [`run ${runId} (from the history store ${where})`];
  for (const r of rows) {
    out.push(`  ${r.command === 'rollback' ? 'rollback' : r.command.padEnd(8)} ${r.startedAt} by ${r.who}  ${r.outcome}`);
    if (r.command !== 'rollback') out.push(`    playbook ${r.playbook ?? '-'}`, `    inventory ${r.inventory ?? '-'}`, ...(r.planFile ? [`    plan file ${r.planFile}`] : []));
    out.push(...r.signers.map((s) => `    approved by ${s.principal} (${s.keyType} ${s.key})`));
    for (const h of r.hosts) out.push(`    ${String(h.name).padEnd(20)} ${String(h.status).padEnd(11)} ${Number(h.changes)} change(s)`);
  }
  out.push(hosts.length > 0 ? '  undo records in the store:' : '  no undo records in the store');
  for (const h of hosts) {
    out.push(h.refused !== null ? `    ${h.host}: unusable: ${h.refused}` : `    ${h.host}: ${h.intents} change(s) recorded, ${h.undone} undone`);
  }
  return out.map(safeLine).join('\n') + '\n';
}

/** Runs fn on the store; undefined (said on stderr) when the store cannot be opened or read. */
async function withStore<T>(db: string | undefined, stateDir: string, fn: (store: HistoryStore, where: string) => Promise<T>): Promise<T | undefined> {
  const target = storeTarget({ db, stateDir });
  let store: HistoryStore | undefined;
  try {
    store = await openStore(target);
    return await fn(store, describeTarget(target));
  } catch (err) {
    if (err instanceof InputError) throw err;
    process.stderr.write(`mtafleet: the history store ${describeTarget(target)} cannot be read: ${storeError(target, err)}; showing the local state dir's runs\n`);
    return undefined;
  } finally {
    await store?.close();
  }
}

/** `runs --db URL [--format json]`: every row of the store, newest first; false when the store cannot be read. */
export async function printStoreRuns(db: string | undefined, stateDir: string, format: 'text' | 'json'): Promise<boolean> {
  const shown = await withStore(db, stateDir, async (store, where) => {
    const rows = (await store.runs(0)).reverse();
    const signers = await store.approvals([...new Set(rows.filter((r) => r.command !== 'rollback').map((r) => r.runId))]);
    const json = rows.map((r) => storeRunJson(r, r.command === 'rollback' ? [] : (signers.get(r.runId) ?? [])));
    if (format === 'json') {
      process.stdout.write(safeJson(json, 2) + '\n');
      return true;
    }
    process.stdout.write(safeLine(`runs in the history store ${where}`) + '\n');
    if (json.length === 0) process.stdout.write('no runs recorded\n');
    for (const r of json) process.stdout.write(`${storeRunLine(r)}\n`);
    return true;
  });
  return shown === true;
}

/** `runs RUN_ID --db URL`: the run from the store; false when the store has no such run or cannot be read. */
export async function printStoreRun(db: string | undefined, stateDir: string, runId: string, format: 'text' | 'json'): Promise<boolean> {
  const shown = await withStore(db, stateDir, async (store, where) => {
    const rows = await store.runRows(runId);
    if (rows.length === 0) return false;
    const signers = (await store.approvals([runId])).get(runId) ?? [];
    const json = rows.map((r) => storeRunJson(r, r.command === 'rollback' ? [] : signers));
    const hosts = journalHosts(runId, await store.journal(runId));
    process.stdout.write(format === 'json' ? safeJson({ runId, source: 'store', rows: json, journal: hosts }, 2) + '\n' : renderStoreRun(runId, json, hosts, where));
    return true;
  });
  return shown === true;
}
