/** run.json: the run history entry `mtafleet runs` shows (when, who, playbook, hosts, outcome). */
import { readdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../util/errors.js';
import type { Outcome } from '../util/outcome.js';
import { checkPrivateDir, readPrivateFile, writeFileReplacing } from '../util/private-fs.js';
import { checkRunDir, ensureRunDir, runDir, runsDir } from './journal.js';
import type { JournalAnchor } from './journal-chain.js';
import type { Signer } from '../approval/approvals.js';

/**
 * A host's status in run JSON and run records: the host outcomes of util/outcome.ts except
 * `skipped` (hosts never started are listed in `notRun`, keeping the run JSON's shape).
 */
export type HostStatus = Exclude<Outcome, 'skipped'>;

export interface HostOutcome {
  name: string;
  status: HostStatus;
  changes: number;
  error: string | null;
  /** Tasks with `ignore_errors: true` that failed on the host, which went on (absent when none). */
  ignored?: IgnoredFailure[];
}

/** One failed-but-ignored task (Ansible prints `...ignoring`). */
export interface IgnoredFailure {
  task: string;
  error: string;
}

/** The run JSON of DESIGN.md, plus `notRun` (hosts never started because the run stopped). */
export interface RunResult {
  runId: string;
  check: boolean;
  hosts: HostOutcome[];
  /** Per status; `ignored` (failed-but-ignored tasks, all hosts) only when there were some. */
  summary: Record<HostStatus, number> & { ignored?: number };
  notRun: string[];
  stopped?: string;
}

export interface RunRecord extends RunResult {
  command: 'run' | 'apply' | 'rollback';
  startedAt: string;
  finishedAt: string | null;
  user: string;
  playbook: string | null;
  inventory: string | null;
  planFile?: string | null;
  /** Who approved the plan (`apply --require-approval`): principal and key fingerprint. */
  signers?: Signer[];
  /** The journal's chain head when the run (or its latest rollback) ended. */
  journal?: JournalAnchor;
  /**
   * 'hosts' / 'store': this machine only knows the run from the hosts' own undo records, or from
   * the history store's copy of its journal (a rollback from there).
   */
  source?: 'hosts' | 'store';
  /** Each rollback of the run: when, by whom, with what outcome per host. */
  rollbacks?: Array<{ at: string; user: string; hosts: HostOutcome[] }>;
}

export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${Math.random().toString(36).slice(2, 8)}`;
}

export function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

export function summarize(hosts: HostOutcome[]): Record<HostStatus, number> & { ignored?: number } {
  const s: Record<HostStatus, number> & { ignored?: number } = { ok: 0, changed: 0, failed: 0, unreachable: 0, refused: 0 };
  let ignored = 0;
  for (const h of hosts) {
    s[h.status]++;
    ignored += h.ignored?.length ?? 0;
  }
  if (ignored > 0) s.ignored = ignored;
  return s;
}

/** The outcome as run JSON shows it: `ignored` only when some task's failure was ignored. */
export function outcomeOnly(o: HostOutcome): HostOutcome {
  return { name: o.name, status: o.status, changes: o.changes, error: o.error, ...(o.ignored?.length ? { ignored: o.ignored } : {}) };
}

export function writeRunRecord(stateDir: string, record: RunRecord): void {
  writeFileReplacing(join(ensureRunDir(stateDir, record.runId), 'run.json'), JSON.stringify(record, null, 2) + '\n');
}

export function readRunRecord(stateDir: string, runId: string): RunRecord {
  const record = checkRunDir(stateDir, runId) ? readRecordFile(stateDir, runId) : undefined;
  if (record === undefined) throw new InputError(`no run "${runId}" in ${runsDir(stateDir)}`);
  return record;
}

/** The run's record, or undefined when this state dir has no such run. */
export function findRunRecord(stateDir: string, runId: string): RunRecord | undefined {
  runDir(stateDir, runId); // the id is checked even when the run is absent
  return checkRunDir(stateDir, runId) ? readRecordFile(stateDir, runId) : undefined;
}

/** run.json of a checked run dir, read as a private file; undefined if there is none. */
function readRecordFile(stateDir: string, runId: string): RunRecord | undefined {
  const file = join(runDir(stateDir, runId), 'run.json');
  const text = readPrivateFile(file);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as RunRecord;
  } catch (err) {
    throw new InputError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
}

/** All runs, newest first (every run dir and record checked as private). */
export function listRuns(stateDir: string): RunRecord[] {
  if (!checkPrivateDir(stateDir) || !checkPrivateDir(runsDir(stateDir))) return [];
  return readdirSync(runsDir(stateDir))
    .flatMap((id) => (checkRunDir(stateDir, id) ? (readRecordFile(stateDir, id) ?? []) : []))
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}
