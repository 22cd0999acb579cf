/**
 * Host outcomes and the exit code they give, in one place.
 *
 * An outcome is decided where it happens: a host-level error carries its outcome in its class
 * (util/errors.ts: ConnectError is `unreachable`, RefusedError `refused`, the others `failed`),
 * and the code that finishes a host says `ok` or `changed`. Nothing looks at error text.
 * Every command (audit, plan, run, run --check, apply, rollback, exec) turns its hosts'
 * outcomes into its exit code with exitCodeFor(), and only with it.
 *
 * Lives in util/ (not engine/) because transport/, audit/ and cli/ need it and imports go
 * downward only.
 */

/** The exit codes of DESIGN.md and README ("Exit codes"). */
export const ExitCode = {
  ok: 0,
  badInput: 1,
  hostFailed: 2,
  refused: 3,
  unreachable: 4,
  /** A bug in mtafleet itself. */
  internal: 70,
} as const;

/**
 * What happened on one host:
 * - ok: reached, nothing to change (or, for exec/audit, the work succeeded)
 * - changed: reached, changes made (or planned, in a plan / --check)
 * - failed: reached, but the work failed (a command, a probe, a lock, a dropped connection)
 * - unreachable: never got a working session: no route/refused/reset connection, DNS,
 *   connect timeout, authentication refused, host key unknown/changed/revoked, jump host
 * - refused: mtafleet would not act: drift since the plan, a failed safety check, a lock
 *   held by another run
 * - skipped: never started (the run stopped before the host's batch)
 */
export const OUTCOMES = ['ok', 'changed', 'failed', 'unreachable', 'refused', 'skipped'] as const;
export type Outcome = (typeof OUTCOMES)[number];
/** The outcomes an error can give a host. */
export type FailureOutcome = 'failed' | 'unreachable' | 'refused';

/** Counts per outcome (a run's `summary`); missing keys count 0. */
export type OutcomeCounts = Partial<Record<Outcome, number>>;

/**
 * The one mapping from a command's host outcomes to its exit code (README "Exit codes"):
 * - 0 when every host is ok, changed or skipped (and when there are no hosts);
 * - 2 when at least one host failed, 4 when at least one was unreachable, 6 (2|4) for both;
 * - 3 when hosts were refused and none failed or was unreachable (a failure says more).
 *
 * Takes the outcomes one per host, or their counts (a run's summary).
 */
export function exitCodeFor(outcomes: Iterable<Outcome> | OutcomeCounts): number {
  const counts = isIterable(outcomes) ? countOutcomes(outcomes) : outcomes;
  const n = (o: Outcome): number => counts[o] ?? 0;
  let code: number = ExitCode.ok;
  if (n('failed') > 0) code |= ExitCode.hostFailed;
  if (n('unreachable') > 0) code |= ExitCode.unreachable;
  if (code === ExitCode.ok && n('refused') > 0) code = ExitCode.refused;
  return code;
}

export function countOutcomes(outcomes: Iterable<Outcome>): Record<Outcome, number> {
  const counts: Record<Outcome, number> = { ok: 0, changed: 0, failed: 0, unreachable: 0, refused: 0, skipped: 0 };
  for (const o of outcomes) {
    if (!(o in counts)) throw new TypeError(`not a host outcome: ${String(o)}`);
    counts[o]++;
  }
  return counts;
}

function isIterable(x: unknown): x is Iterable<Outcome> {
  return typeof x === 'object' && x !== null && typeof (x as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';
}
