/**
 * The run journal: one JSON record per line, appended and fsynced before the action it
 * describes runs (DESIGN.md safety rules), so a runner killed at any moment leaves enough
 * to roll the hosts back. Layout: <state-dir>/runs/<runId>/journal.jsonl (+ run.json).
 */
import { closeSync, fsyncSync, ftruncateSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Action } from '../steps/types.js';
import { InputError } from '../util/errors.js';
import { createPrivateFile, ensurePrivateDir, openPrivateAppend, readPrivateFile, writeAll, checkPrivateDir } from '../util/private-fs.js';
import { chainStart, checkAnchor, lineHash, verifyJournal, type JournalAnchor } from './journal-chain.js';
import { claimJournal } from './journal-claim.js';

export type JournalRecord =
  | { type: 'intent'; at: string; host: string; changeId: string; task: string; summary: string; do: Action[]; undo: Action[] }
  /** `unchanged`: a command its changed_when judged not changed (nothing to undo; rollback skips it). */
  | { type: 'done'; at: string; host: string; changeId: string; unchanged?: true }
  | { type: 'failed'; at: string; host: string; changeId: string; error: string }
  | { type: 'undone'; at: string; host: string; changeId: string }
  | { type: 'undo-failed'; at: string; host: string; changeId: string; error: string };

export type JournalEntry = JournalRecord extends infer R ? (R extends JournalRecord ? Omit<R, 'at'> : never) : never;

/** Where records go: the run's journal, or the journal and the host's own copy (host-undo.ts). */
export interface JournalWriter {
  write(entry: JournalEntry): void;
}

export function runsDir(stateDir: string): string {
  return join(stateDir, 'runs');
}

export function runDir(stateDir: string, runId: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(runId) || /^\.+$/.test(runId)) throw new InputError(`not a run id: "${runId}"`);
  return join(runsDir(stateDir), runId);
}

export function journalPath(stateDir: string, runId: string): string {
  return join(runDir(stateDir, runId), 'journal.jsonl');
}

/** Creates (or checks) the state dir, runs/ and the run dir: private, mode 0700. */
export function ensureRunDir(stateDir: string, runId: string): string {
  ensurePrivateDir(stateDir, true);
  ensurePrivateDir(runsDir(stateDir));
  return ensurePrivateDir(runDir(stateDir, runId));
}

/** Checks the state dir, runs/ and the run dir without creating them; false if one is missing. */
export function checkRunDir(stateDir: string, runId: string): boolean {
  return [stateDir, runsDir(stateDir), runDir(stateDir, runId)].every((d) => checkPrivateDir(d));
}

export class Journal {
  readonly #fd: number;
  #head: string;
  #count: number;

  /** A new journal at `file` (which must not exist), chained from `runId`; or one opened by open()/resume(). */
  readonly #release: () => void;

  constructor(
    readonly file: string,
    runId: string,
    opened?: { fd: number; head: string; count: number; release: () => void },
  ) {
    this.#fd = opened?.fd ?? createPrivateFile(file);
    this.#head = opened?.head ?? chainStart(runId);
    this.#count = opened?.count ?? 0;
    this.#release = opened?.release ?? (() => undefined);
  }

  static open(stateDir: string, runId: string): Journal {
    const dir = ensureRunDir(stateDir, runId);
    const release = claimJournal(dir, runId);
    try {
      return new Journal(join(dir, 'journal.jsonl'), runId, { fd: createPrivateFile(join(dir, 'journal.jsonl')), head: chainStart(runId), count: 0, release });
    } catch (err) {
      release();
      throw err;
    }
  }

  /**
   * An existing run's journal, verified (chain, and the run record's anchor), to append to:
   * a torn last line is cut so the next record starts on a line of its own.
   */
  static resume(stateDir: string, runId: string, anchor?: JournalAnchor): { journal: Journal; records: JournalRecord[] } {
    const file = journalPath(stateDir, runId);
    const fd = checkRunDir(stateDir, runId) ? openPrivateAppend(file) : undefined;
    if (fd === undefined) throw new InputError(`no journal at ${file}`);
    let release: (() => void) | undefined;
    try {
      release = claimJournal(runDir(stateDir, runId), runId);
      const v = verifyJournal(readFileSync(fd, 'utf8'), file, runId);
      checkAnchor(v, anchor, file);
      if (v.tornAt !== undefined) ftruncateSync(fd, v.tornAt);
      if (v.unterminated) writeAll(fd, '\n');
      const journal = new Journal(file, runId, { fd, head: v.heads[v.heads.length - 1], count: v.records.length, release });
      return { journal, records: v.records };
    } catch (err) {
      release?.();
      closeSync(fd);
      throw err;
    }
  }

  /** Where the chain stands: kept in the run record so records cut from the tail are seen. */
  get anchor(): JournalAnchor {
    return { records: this.#count, head: this.#head };
  }

  /** Appends one record, chained to the previous one, and fsyncs before returning. */
  write(entry: JournalEntry): void {
    const line = JSON.stringify({ prev: this.#head, ...entry, at: new Date().toISOString() });
    writeAll(this.#fd, line + '\n');
    fsyncSync(this.#fd);
    this.#head = lineHash(line);
    this.#count++;
  }

  close(): void {
    closeSync(this.#fd);
    this.#release();
  }
}

/**
 * Reads and verifies a journal (see journal-chain.ts): a torn last line is ignored, a line that
 * is not a record is an input error, a broken chain is refused.
 */
export function readJournal(file: string, runId: string, anchor?: JournalAnchor): JournalRecord[] {
  const text = readPrivateFile(file);
  if (text === undefined) throw new InputError(`no journal at ${file}`);
  const v = verifyJournal(text, file, runId);
  checkAnchor(v, anchor, file);
  return v.records;
}

export interface PendingUndo {
  host: string;
  changeId: string;
  task: string;
  summary: string;
  undo: Action[];
  /** The do actions finished (false: the runner died or failed mid-change). */
  completed: boolean;
}

/**
 * Intents not yet undone, newest first, per host. An intent without `done` is included:
 * undo actions restore observed state, which is safe whether or not `do` ran.
 */
export function pendingUndos(records: JournalRecord[], hosts?: Set<string>): PendingUndo[] {
  const undone = new Set<string>();
  const done = new Set<string>();
  for (const r of records) {
    if (r.type === 'undone' || (r.type === 'done' && r.unchanged === true)) undone.add(`${r.host}\0${r.changeId}`);
    if (r.type === 'done') done.add(`${r.host}\0${r.changeId}`);
  }
  const out: PendingUndo[] = [];
  for (let i = records.length - 1; i >= 0; i--) {
    const r = records[i];
    if (r.type !== 'intent') continue;
    if (hosts && !hosts.has(r.host)) continue;
    const key = `${r.host}\0${r.changeId}`;
    if (undone.has(key)) continue;
    out.push({ host: r.host, changeId: r.changeId, task: r.task, summary: r.summary, undo: r.undo, completed: done.has(key) });
  }
  return out;
}
