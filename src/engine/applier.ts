/**
 * Applying changes on one host: journal the intent (with its undo) before the action, run
 * `do`, then `verify`, journal done/failed. On failure the host's changes of this run can be
 * undone newest first; what cannot be undone is reported by name with the command that would.
 */
import type { Change } from '../steps/types.js';
import type { ExecResult, HostConnection } from '../transport/types.js';
import { StepError } from '../util/errors.js';
import type { EngineListener } from './events.js';
import { describeAction, manualCommand, runAction } from './execute.js';
import { teeJournal, type HostUndoCopy } from './host-undo.js';
import type { JournalWriter } from './journal.js';

export interface AppliedChange {
  changeId: string;
  task: string;
  change: Change;
}

/** Judges a command's result: why it failed (undefined: it did not) and whether it changed something. */
export type Judge = (r: ExecResult) => { changed: boolean; failed?: string };

export interface UndoProblem {
  /** irreversible: the change has no undo (a command); failed: its undo ran and failed. */
  kind: 'irreversible' | 'failed';
  host: string;
  change: string;
  reason: string;
  /** Shell text that would restore it by hand, when there is one. */
  manual: string[];
}

export class HostApplier {
  readonly applied: AppliedChange[] = [];
  /** Changes whose do + verify completed in this run (rolled back or not). */
  doneCount = 0;
  /** The local journal, and the host's own copy of its records when there is one. */
  private readonly journal: JournalWriter;
  constructor(
    private readonly conn: HostConnection,
    private readonly localJournal: JournalWriter,
    private readonly emit: EngineListener,
    private readonly copy?: HostUndoCopy,
  ) {
    this.journal = teeJournal(localJournal, copy);
  }

  get host(): string {
    return this.conn.name;
  }

  /**
   * Applies one change; throws after journaling `failed` (the change stays undoable). With
   * `judge` (changed_when / failed_when), the last command's result decides whether it failed
   * and whether it counts as a change; returns whether it did.
   */
  async apply(changeId: string, task: string, change: Change, judge?: Judge): Promise<boolean> {
    this.journal.write({ type: 'intent', host: this.host, changeId, task, summary: change.summary, do: change.do, undo: change.undo });
    try {
      // The host's copy holds the intent before the change runs: one command per change.
      await this.copy?.flush();
    } catch (err) {
      const message = `not applied: the host's copy of the undo records could not be written: ${err instanceof Error ? err.message : String(err)}`;
      this.localJournal.write({ type: 'failed', host: this.host, changeId, error: message });
      this.emit({ type: 'change-applied', host: this.host, task, summary: change.summary, ok: false, error: message });
      throw err;
    }
    this.applied.push({ changeId, task, change });
    let changed = true;
    try {
      let last: ExecResult | undefined;
      for (const action of change.do) last = (await runAction(this.conn, action, judge !== undefined && action.type === 'exec')) ?? last;
      if (judge && last) {
        const verdict = judge(last);
        if (verdict.failed !== undefined) throw new StepError(`${this.host}: task "${task}": ${verdict.failed}`);
        changed = verdict.changed;
      }
      for (const action of change.verify ?? []) await runAction(this.conn, action);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.journal.write({ type: 'failed', host: this.host, changeId, error: message });
      this.emit({ type: 'change-applied', host: this.host, task, summary: change.summary, ok: false, error: message });
      throw err;
    }
    // changed_when judged it not changed: it ran (journalled), reports ok, and has nothing to undo.
    this.journal.write({ type: 'done', host: this.host, changeId, ...(changed ? {} : { unchanged: true as const }) });
    if (changed) this.doneCount++;
    else {
      const at = this.applied.findIndex((a) => a.changeId === changeId);
      if (at !== -1) this.applied.splice(at, 1);
    }
    this.emit({ type: 'change-applied', host: this.host, task, summary: changed ? change.summary : `${change.summary} (ok: changed_when)`, ok: true });
    return changed;
  }

  /** Undoes every change applied by this applier, newest first. */
  async rollback(): Promise<UndoProblem[]> {
    const problems: UndoProblem[] = [];
    for (const a of [...this.applied].reverse()) {
      const p = await undoChange(this.conn, this.journal, a.changeId, a.change.summary, a.change.undo, this.emit);
      if (p) problems.push(p);
    }
    this.applied.length = 0;
    return problems;
  }
}

/** Runs one change's undo actions and journals the outcome. Returns a problem or null. */
export async function undoChange(
  conn: HostConnection,
  journal: JournalWriter,
  changeId: string,
  summary: string,
  undo: Change['undo'],
  emit: EngineListener,
): Promise<UndoProblem | null> {
  if (undo.length === 0) {
    const reason = 'has no undo (a command step cannot be reversed by mtafleet)';
    journal.write({ type: 'undo-failed', host: conn.name, changeId, error: reason });
    emit({ type: 'rollback', host: conn.name, summary, ok: false, error: reason });
    return { kind: 'irreversible', host: conn.name, change: summary, reason, manual: [] };
  }
  for (let i = 0; i < undo.length; i++) {
    try {
      await runAction(conn, undo[i]);
    } catch (err) {
      const reason = `${describeAction(undo[i])} failed: ${err instanceof Error ? err.message : String(err)}`;
      journal.write({ type: 'undo-failed', host: conn.name, changeId, error: reason });
      emit({ type: 'rollback', host: conn.name, summary, ok: false, error: reason });
      return { kind: 'failed', host: conn.name, change: summary, reason, manual: undo.slice(i).map(manualCommand) };
    }
  }
  journal.write({ type: 'undone', host: conn.name, changeId });
  emit({ type: 'rollback', host: conn.name, summary, ok: true });
  return null;
}
