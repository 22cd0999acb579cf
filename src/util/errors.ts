/**
 * Typed errors, one per phase. An error raised while working on a host carries that host's
 * outcome (`outcome`: unreachable, failed or refused), decided here by its class and never
 * from its text; exitCodeFor() (util/outcome.ts) maps outcomes to exit codes. An error that
 * ends the whole command reaches the top-level handler (src/cli/main.ts), which exits with
 * its `exitCode` (for a host-level error, the code its outcome gives).
 */
import { ExitCode, exitCodeFor, type FailureOutcome } from './outcome.js';

export { ExitCode, exitCodeFor };

export class MtafleetError extends Error {
  readonly exitCode: number = ExitCode.badInput;
  /** The host outcome this error gives when raised while working on a host. */
  readonly outcome: FailureOutcome = 'failed';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad inventory, playbook, plan file or arguments: exit 1, before any host is touched. */
export class InputError extends MtafleetError {
  override readonly exitCode: number = ExitCode.badInput;
}
export class InventoryError extends InputError {}
export class PlaybookError extends InputError {}
export class PlanFileError extends InputError {}

/** Why a host is unreachable (ConnectError.reason). */
export type ConnectReason = 'unreachable' | 'dns' | 'auth' | 'host-key-unknown' | 'host-key-changed' | 'timeout' | 'jump' | 'other';

/**
 * A host could not be reached or no session was established: no route, refused or reset
 * connection, DNS, connect timeout, authentication refused, host key unknown or changed, jump
 * host. Always the `unreachable` outcome (exit 4), whatever the reason.
 */
export class ConnectError extends MtafleetError {
  override readonly exitCode: number = ExitCode.unreachable;
  override readonly outcome = 'unreachable' as const;
  constructor(
    readonly host: string,
    readonly reason: ConnectReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A remote command timed out or the connection dropped mid-command. */
export class ExecError extends MtafleetError {
  override readonly exitCode: number = ExitCode.hostFailed;
}

/** A command's output went past the cap (mtafleet_max_output) where the whole of it is needed. */
export class OutputTooLargeError extends ExecError {}

export class ProbeError extends MtafleetError {
  override readonly exitCode: number = ExitCode.hostFailed;
}
export class StepError extends MtafleetError {
  override readonly exitCode: number = ExitCode.hostFailed;
}

/** Drift or a failed safety check (e.g. mkfs refused), a lock held by another run: exit 3. */
export class RefusedError extends MtafleetError {
  override readonly exitCode: number = ExitCode.refused;
  override readonly outcome = 'refused' as const;
}

export class NotImplementedError extends MtafleetError {
  override readonly exitCode: number = ExitCode.badInput;
}

/** A bug in mtafleet itself. */
export class InternalError extends MtafleetError {
  override readonly exitCode: number = ExitCode.internal;
}

/**
 * The outcome an error gives the host it was raised on: its class decides (ConnectError
 * unreachable, RefusedError refused); anything else, mtafleet's or not, is a failure.
 */
export function outcomeOfError(err: unknown): FailureOutcome {
  return err instanceof MtafleetError ? err.outcome : 'failed';
}
