import { Command, CommanderError } from 'commander';
import { MtafleetError, ExitCode } from '../util/errors.js';
import { safeText } from '../util/sanitize.js';
import { registerCommands } from './commands.js';

/**
 * Builds the program and runs it. A command that worked on hosts sets its exit code from their
 * outcomes (exitCodeFor, util/outcome.ts); an error that ends the whole command is mapped to
 * its exit code here, in one place (handleError).
 * Returns the exit code instead of calling process.exit so tests can call it in-process.
 */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('mtafleet')
    .description('Agentless SSH remediation runner for fleets of PowerMTA mail servers')
    .version('0.1.0')
    .showHelpAfterError(false)
    .exitOverride();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerCommands(program);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
  } catch (err) {
    return handleError(err);
  }
}

export function handleError(err: unknown): number {
  if (err instanceof CommanderError) {
    // --help and --version exit through here with code 0.
    if (err.exitCode === 0) return 0;
    return ExitCode.badInput;
  }
  // Messages quote host text (stderr, lock owners) and input files: controls made visible.
  if (err instanceof MtafleetError) {
    process.stderr.write(`mtafleet: ${safeText(err.message)}\n`);
    return err.exitCode;
  }
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`mtafleet: internal error: ${safeText(message)}\n`);
  return ExitCode.internal;
}
