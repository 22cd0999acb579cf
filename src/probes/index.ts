import { randomBytes } from 'node:crypto';
import { script as shellText, type Command } from '../transport/quote.js';
import { truncatedMessage } from '../transport/output-limit.js';
import type { HostConnection } from '../transport/types.js';
import { accountingProbe, makeAccountingProbe, type AccountingFacts } from './accounting.js';
import type { AccountingCursor } from './accounting-merge.js';
import { buildProbeScript, splitProbeOutput, type BatchOptions } from './batch.js';
import { configProbe, type ConfigFacts } from './config.js';
import { cpuProbe, type CpuFacts } from './cpu.js';
import { fdProbe, type FdFacts } from './fd.js';
import { pmtaStatusProbe, unlistedBusyDomains, type PmtaStatusFacts } from './pmta-status.js';
import { portsProbe, type PortsFacts } from './ports.js';
import { spoolDiskProbe, type SpoolDiskFacts } from './spool-disk.js';
import type { Probe } from './types.js';
import type { ConfigTestResult } from '../pmta/test-config.js';

export type { AccountingCursor };
export { ensureCursorDir, loadAccountingCursor, saveAccountingCursor } from './accounting-cursor.js';
export type { AccountingFacts, ConfigFacts, CpuFacts, FdFacts, PmtaStatusFacts, PortsFacts, SpoolDiskFacts };
export { buildProbeScript, splitProbeOutput };
export type { BatchOptions };

export interface Facts {
  pmtaStatus?: PmtaStatusFacts;
  accounting?: AccountingFacts;
  spool?: SpoolDiskFacts;
  fd?: FdFacts;
  ports?: PortsFacts;
  cpu?: CpuFacts;
  config?: ConfigFacts;
  /**
   * Whether the host's PowerMTA accepts the directives a remedy would add (`pmta test config` on
   * a copy, UG §6.3.38): gathered after the probe batch, only when a finding needs it.
   */
  configTest?: ConfigTestFacts;
}

export interface ConfigTestFacts extends ConfigTestResult {
  /** The config file the lines were added to (a copy of it). */
  file: string;
  directives: string[];
}

export interface HostFacts {
  facts: Facts;
  /** Probe name -> why it could not run (tool missing, file absent, ...). */
  unavailable: Record<string, string>;
  warnings: string[];
  /**
   * Where the accounting analysis got to: pass it back as `accountingCursor` on the next
   * audit of this host (saveAccountingCursor keeps it in the runner's state dir).
   */
  accountingCursor?: AccountingCursor;
}

/** Probe name (as in the batch and in `unavailable`) -> key under `facts`. */
const PROBES = {
  'pmta-status': { probe: pmtaStatusProbe, key: 'pmtaStatus' },
  accounting: { probe: accountingProbe, key: 'accounting' },
  'spool-disk': { probe: spoolDiskProbe, key: 'spool' },
  fd: { probe: fdProbe, key: 'fd' },
  ports: { probe: portsProbe, key: 'ports' },
  cpu: { probe: cpuProbe, key: 'cpu' },
  config: { probe: configProbe, key: 'config' },
} as const satisfies Record<string, { probe: Probe<unknown>; key: keyof Facts }>;

export const ALL_PROBES: ReadonlyArray<Probe<unknown>> = Object.values(PROBES).map((p) => p.probe as Probe<unknown>);

export interface RunProbesOptions extends Omit<BatchOptions, 'nonce'> {
  /** Run the batch through sudo (needed for /proc/PID/fd of another user). */
  become?: boolean;
  /** Whole-batch timeout; the accounting scan of a large log dominates. Default 10 min. */
  timeoutMs?: number;
  /** The previous audit's accounting cursor of this host: only appended bytes are read. */
  accountingCursor?: AccountingCursor;
}

/**
 * The probe batch carries a host's accounting summary (per hour x domain and diagnostic) and
 * its config: 16 MB on a host with 1M records a day over a 50,000-domain long tail, so it may
 * keep four times mtafleet_max_output (32 MiB by default).
 */
export const PROBE_BATCH_CAP_FACTOR = 4;

/** Turn one batch's stdout into facts: each probe's parser on its own section. */
export function collectFacts(stdout: string, probes: ReadonlyArray<Probe<unknown>> = ALL_PROBES): HostFacts {
  const outputs = splitProbeOutput(stdout);
  const result: HostFacts = { facts: {}, unavailable: {}, warnings: [] };
  for (const probe of probes) {
    const output = outputs.get(probe.name);
    if (!output) {
      result.unavailable[probe.name] = 'no output from the probe batch';
      continue;
    }
    let parsed;
    try {
      parsed = probe.parse(output);
    } catch (error) {
      // Parsers are written not to throw; if one does, the audit goes on without it.
      result.unavailable[probe.name] = `parser failed: ${(error as Error).message}`;
      continue;
    }
    if (parsed.status === 'unavailable') {
      result.unavailable[probe.name] = parsed.reason;
      continue;
    }
    const entry = Object.values(PROBES).find((p) => p.probe.name === probe.name);
    if (entry) (result.facts as Record<string, unknown>)[entry.key] = parsed.facts;
    // Every warning names its probe (issue #12 item 7), whatever the parser wrote.
    result.warnings.push(...parsed.warnings.map((w) => (w.startsWith(`${probe.name}: `) ? w : `${probe.name}: ${w}`)));
  }
  result.warnings.push(...unlistedBusyDomains(result.facts.pmtaStatus, result.facts.accounting?.byDomain));
  return result;
}

/** Runs the batch script given on stdin, under sh whatever the login shell is. */
export const PROBE_LAUNCHER: Command = shellText(`sh -c 'eval "$(cat)"'`);

/** All probes of one host in one round trip. */
export function runProbes(conn: HostConnection, options: RunProbesOptions = {}): Promise<HostFacts> {
  return runProbesWith(conn, options, buildProbeScript);
}

/**
 * runProbes for the many hosts of one audit: the batch script (~32 KB) is built once per
 * set of batch options, with one nonce for the whole audit, instead of once per host. A host
 * given an accounting cursor still gets its own script (the cursor is part of it).
 */
export function makeProbeRunner(): (conn: HostConnection, options?: RunProbesOptions) => Promise<HostFacts> {
  const scripts = new Map<string, Command>();
  const nonce = randomBytes(8).toString('hex');
  const cached = (probes: ReadonlyArray<Probe<unknown>>, batchOptions: BatchOptions): Command => {
    const key = JSON.stringify([batchOptions.windowHours, batchOptions.benchmarkDisk === true, batchOptions.configPath]);
    let command = scripts.get(key);
    if (!command) {
      command = buildProbeScript(probes, { ...batchOptions, nonce });
      scripts.set(key, command);
    }
    return command;
  };
  return (conn, options = {}) =>
    runProbesWith(conn, options, options.accountingCursor ? (probes, batchOptions) => buildProbeScript(probes, { ...batchOptions, nonce }) : cached);
}

async function runProbesWith(
  conn: HostConnection,
  options: RunProbesOptions,
  script: (probes: ReadonlyArray<Probe<unknown>>, batchOptions: BatchOptions) => Command,
): Promise<HostFacts> {
  // The accounting probe of this run carries the cursor in its command and hands back the next.
  const accounting = makeAccountingProbe(options.accountingCursor);
  const probes = ALL_PROBES.map((p) => (p.name === accountingProbe.name ? (accounting.probe as Probe<unknown>) : p));
  const { accountingCursor: _cursor, become: _become, timeoutMs: _timeout, ...batchOptions } = options;
  const command = script(probes, batchOptions);
  // The batch (~32 KB and growing with the probes) travels on stdin, read whole before it runs:
  // an exec request that large is refused by small SSH servers (ssh2-based ones take ~35,000
  // bytes, Dropbear 32 KiB), and no probe can read its own script from stdin.
  const result = await conn.exec(PROBE_LAUNCHER, {
    stdin: command.text,
    become: options.become,
    timeoutMs: options.timeoutMs ?? 600_000,
    partialOutput: true,
    capFactor: PROBE_BATCH_CAP_FACTOR,
    label: 'the probe batch',
  });
  const facts = collectFacts(result.stdout, probes);
  // Probes whose section was cut off are listed as unavailable; say why.
  if (result.truncated) facts.warnings.push(truncatedMessage(conn.name, 'the probe batch', result.truncated, result.truncated.limit));
  const cursor = facts.facts.accounting ? accounting.takeCursor() : undefined;
  if (cursor) facts.accountingCursor = cursor;
  if (result.exitCode !== 0) {
    facts.warnings.push(`probe batch exited with ${result.exitCode ?? result.signal}: ${result.stderr.trim().slice(0, 200)}`);
  }
  return facts;
}
