/**
 * The outcome bookkeeping `run` and `apply` share: per-host outcomes merged across plays
 * (the worst status wins, changes add up), hosts that failed and sit out later plays, hosts
 * never started because the run stopped, and why it stopped.
 */
import { mergeOutcome } from './fleet.js';
import type { RollingResult } from './rolling.js';
import { summarize, writeRunRecord, type HostOutcome, type RunRecord, type RunResult } from './run-record.js';

export class RunTally {
  private readonly merged = new Map<string, HostOutcome>();
  private readonly excluded = new Set<string>();
  private readonly notRun = new Set<string>();
  private readonly stops: string[] = [];

  get stopped(): boolean {
    return this.stops.length > 0;
  }

  /** Hosts of the next play that may still run (those that failed earlier sit out). */
  eligible<T>(hosts: T[], name: (h: T) => string): T[] {
    const left = hosts.filter((h) => !this.excluded.has(name(h)));
    if (this.stopped) {
      left.forEach((h) => this.notRun.add(name(h)));
      return [];
    }
    return left;
  }

  add(outcome: HostOutcome): void {
    this.merged.set(outcome.name, mergeOutcome(this.merged.get(outcome.name), outcome));
    if (outcome.status !== 'ok' && outcome.status !== 'changed') this.excluded.add(outcome.name);
  }

  addRolled(rolled: RollingResult): void {
    rolled.outcomes.forEach((o) => this.add(o));
    rolled.notRun.forEach((n) => this.notRun.add(n));
    if (rolled.stopped) this.stops.push(rolled.stopped);
  }

  result(runId: string): RunResult {
    const hosts = [...this.merged.values()];
    return {
      runId,
      check: false,
      hosts,
      summary: summarize(hosts),
      notRun: [...this.notRun].filter((n) => !this.merged.has(n)),
      ...(this.stopped ? { stopped: this.stops.join('; ') } : {}),
    };
  }

  /** The result, also written into the run's record. */
  finish(stateDir: string, record: RunRecord, runId: string): RunResult {
    const result = this.result(runId);
    writeRunRecord(stateDir, { ...record, ...result, finishedAt: new Date().toISOString() });
    return result;
  }
}
