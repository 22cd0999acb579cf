/**
 * Where the history lives and how a command writes to it without ever being stopped by it:
 * `--db` / $MTAFLEET_DB (a postgres:// URL, or a SQLite file), else <state dir>/history.sqlite.
 * A store that cannot be opened or written leaves the record in history-pending/ and says so
 * once on stderr (credentials redacted); the next command that reaches a store writes it.
 */
import { join } from 'node:path';
import { InputError } from '../util/errors.js';
import { safeLine } from '../util/sanitize.js';
import { flushPending, pendingDir, savePending, type PendingItem } from './pending.js';
import { redactText, redactUrl } from './redact.js';
import { openSqlite } from './sqlite.js';
import { HistoryStore } from './store.js';

/** `named`: a SQLite file given with --db / $MTAFLEET_DB (not in the state dir). */
export type StoreTarget = { backend: 'sqlite'; file: string; named?: boolean } | { backend: 'postgres'; url: string };

export interface HistoryOptions {
  /** --db; undefined: $MTAFLEET_DB, else the state dir's history.sqlite. */
  db?: string | undefined;
  stateDir: string;
  /**
   * Why the store was found unreachable earlier in this command (audit --compare): no second
   * connection attempt, so a dead database costs one connect timeout, not two.
   */
  knownDown?: string;
}

export function storeTarget(opts: HistoryOptions): StoreTarget {
  const given = opts.db ?? (process.env.MTAFLEET_DB || undefined);
  if (given === undefined) return { backend: 'sqlite', file: join(opts.stateDir, 'history.sqlite') };
  if (/^postgres(ql)?:\/\//i.test(given)) return { backend: 'postgres', url: given };
  if (/^sqlite:/i.test(given)) return { backend: 'sqlite', file: given.replace(/^sqlite:(\/\/)?/i, ''), named: true };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(given)) throw new InputError(`--db: ${redactUrl(given)}: not a postgres:// URL or a SQLite file`);
  return { backend: 'sqlite', file: given, named: true };
}

/** Whether a store was named (--db or $MTAFLEET_DB), rather than the state dir's default. */
export function storeNamed(db: string | undefined): boolean {
  return (db ?? process.env.MTAFLEET_DB ?? '') !== '';
}

/** How the target is named in messages: a path, or the URL without credentials. */
export function describeTarget(t: StoreTarget): string {
  return t.backend === 'sqlite' ? t.file : redactUrl(t.url);
}

/** Opens the store and brings its schema up to date. */
export async function openStore(t: StoreTarget, options: { connectTimeoutMs?: number } = {}): Promise<HistoryStore> {
  // The PostgreSQL driver is loaded only for a postgres:// store (it costs every command ~20 ms).
  const db = t.backend === 'sqlite' ? openSqlite(t.file, { privateDir: t.named !== true }) : await (await import('./postgres.js')).openPostgres(t.url, redactUrl(t.url), options);
  const store = new HistoryStore(db);
  try {
    await store.migrate();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

/** A store error as one line for the operator: never the URL's credentials. */
export function storeError(t: StoreTarget, err: unknown): string {
  const text = err instanceof Error ? err.message || err.name : String(err);
  return safeLine(redactText(text, t.backend === 'postgres' ? t.url : undefined)).slice(0, 300);
}

export type SaveResult = { saved: true; flushed: number } | { saved: false; reason: string; pendingFile: string };

/**
 * Writes `items` to the store (first whatever is pending from earlier), or keeps them pending.
 * Never throws for a store problem: a command's outcome never depends on its history.
 */
export async function saveHistory(opts: HistoryOptions, items: PendingItem[], warn: (line: string) => void = (l) => process.stderr.write(l)): Promise<SaveResult> {
  const t = storeTarget(opts);
  let store: HistoryStore | undefined;
  try {
    if (opts.knownDown !== undefined) throw new Error(opts.knownDown);
    store = await openStore(t);
    const s = store;
    const flushed = await flushPending(opts.stateDir, (item) => writeItem(s, item));
    for (const item of items) await writeItem(store, item);
    return { saved: true, flushed };
  } catch (err) {
    const reason = storeError(t, err);
    let pendingFile = '';
    for (const item of items) pendingFile = savePending(opts.stateDir, item);
    warn(`mtafleet: history not saved to ${describeTarget(t)}: ${reason}; kept in ${pendingDir(opts.stateDir)} and written the next time the store is reachable\n`);
    return { saved: false, reason, pendingFile };
  } finally {
    await store?.close().catch(() => undefined);
  }
}

export async function writeItem(store: HistoryStore, item: PendingItem): Promise<void> {
  if (item.type === 'audit') await store.recordAudit(item.record);
  else await store.recordRun(item.record, item.extras);
}
