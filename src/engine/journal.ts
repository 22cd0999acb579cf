/**
 * The run journal: one JSON record per line, appended and fsynced before the action it
 * describes runs (DESIGN.md safety rules), so a runner killed at any moment leaves enough
 * to roll the hosts back. Layout: <state-dir>/runs/<runId>/journal.jsonl (+ run.json).
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync, chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Action } from '../steps/types.js';
import { InputError } from '../util/errors.js';

export type JournalRecord =
  | { type: 'intent'; at: string; host: string; changeId: string; task: string; summary: string; do: Action[]; undo: Action[] }
  | { type: 'done'; at: string; host: string; changeId: string }
  | { type: 'failed'; at: string; host: string; changeId: string; error: string }
  | { type: 'undone'; at: string; host: string; changeId: string }
  | { type: 'undo-failed'; at: string; host: string; changeId: string; error: string };

export type JournalEntry = JournalRecord extends infer R ? (R extends JournalRecord ? Omit<R, 'at'> : never) : never;

export function runsDir(stateDir: string): string {
  return join(stateDir, 'runs');
}

export function runDir(stateDir: string, runId: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(runId)) throw new InputError(`not a run id: "${runId}"`);
  return join(runsDir(stateDir), runId);
}

/** Creates the state dir and the run dir with mode 0700. */
export function ensureRunDir(stateDir: string, runId: string): string {
  for (const dir of [stateDir, runsDir(stateDir), runDir(stateDir, runId)]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  }
  return runDir(stateDir, runId);
}

export class Journal {
  readonly #fd: number;
  constructor(readonly file: string) {
    this.#fd = openSync(file, 'a', 0o600);
  }

  static open(stateDir: string, runId: string): Journal {
    return new Journal(join(ensureRunDir(stateDir, runId), 'journal.jsonl'));
  }

  /** Appends one record and fsyncs before returning. */
  write(entry: JournalEntry): void {
    const record = { ...entry, at: new Date().toISOString() };
    writeSync(this.#fd, JSON.stringify(record) + '\n');
    fsyncSync(this.#fd);
  }

  close(): void {
    closeSync(this.#fd);
  }
}

/** Reads a journal; a torn last line (killed mid-write) is ignored, other bad lines are errors. */
export function readJournal(file: string): JournalRecord[] {
  if (!existsSync(file)) throw new InputError(`no journal at ${file}`);
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: JournalRecord[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      out.push(JSON.parse(line) as JournalRecord);
    } catch {
      if (i < lines.length - 1 && lines.slice(i + 1).some((l) => l.trim() !== '')) {
        throw new InputError(`${file}:${i + 1}: journal record is not valid JSON`);
      }
    }
  });
  return out;
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
    if (r.type === 'undone') undone.add(`${r.host}\0${r.changeId}`);
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
