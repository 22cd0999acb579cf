/**
 * Typed errors, one per phase. The top-level handler (src/cli/main.ts) maps them to the
 * exit codes of DESIGN.md; nothing else decides an exit code.
 */
export const ExitCode = {
  ok: 0,
  badInput: 1,
  hostFailed: 2,
  refused: 3,
  unreachable: 4,
} as const;

export class MtafleetError extends Error {
  readonly exitCode: number = ExitCode.badInput;
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

/** A host could not be reached or authenticated (unreachable, auth failed, host key). */
export class ConnectError extends MtafleetError {
  override readonly exitCode: number = ExitCode.unreachable;
  constructor(
    readonly host: string,
    readonly reason: 'unreachable' | 'auth' | 'host-key-unknown' | 'host-key-changed' | 'timeout' | 'jump' | 'other',
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

/** Drift or a failed safety check (e.g. mkfs refused): exit 3. */
export class RefusedError extends MtafleetError {
  override readonly exitCode: number = ExitCode.refused;
}

export class NotImplementedError extends MtafleetError {
  override readonly exitCode: number = ExitCode.badInput;
}

/** A bug in mtafleet itself. */
export class InternalError extends MtafleetError {
  override readonly exitCode: number = 70;
}

/** Combine per-host outcomes into one exit code: 2|4 = 6 when both happen. */
export function exitCodeFor(outcomes: { failed: number; unreachable: number; refused?: number }): number {
  let code = 0;
  if (outcomes.failed > 0) code |= ExitCode.hostFailed;
  if (outcomes.unreachable > 0) code |= ExitCode.unreachable;
  if (code === 0 && (outcomes.refused ?? 0) > 0) code = ExitCode.refused;
  return code;
}
