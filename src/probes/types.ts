import type { Command } from '../transport/quote.js';

/**
 * A probe is a read-only command plus a pure parser. Probes of one host are batched into
 * one remote script (see probes/batch.ts), so each probe's output is delimited by the batch
 * runner and handed to parse() with the command's exit code.
 */
export interface ProbeOutput {
  stdout: string;
  stderr: string;
  exitCode: number | null;
}

export type ProbeResult<F> =
  | { status: 'ok'; facts: F; warnings: string[] }
  | { status: 'unavailable'; reason: string };

export interface Probe<F> {
  /** Key under `facts` in the audit JSON. */
  name: string;
  command: Command;
  /**
   * Measures the host over a short window (CPU, disk): runs in the batch's first phase, before
   * the probes that load the host (accounting scans, pmta show), so the audit does not measure itself.
   */
  samples?: boolean;
  parse(output: ProbeOutput): ProbeResult<F>;
}
