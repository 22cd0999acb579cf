import { randomBytes } from 'node:crypto';
import { sh, type Command } from '../transport/quote.js';
import { PREAMBLE } from './preamble.js';
import type { Probe, ProbeOutput } from './types.js';

export interface BatchOptions {
  /** Accounting window length in hours (DESIGN.md: 24 by default). */
  windowHours?: number;
  /** Run the fio benchmark on the spool disk (writes load: off by default). */
  benchmarkDisk?: boolean;
  /** PowerMTA config path on the host. */
  configPath?: string;
  /** Marker nonce; random by default (tests pass a fixed one). */
  nonce?: string;
}

const MARKER = '@@mtafleet-batch';

/**
 * One script for all probes of a host: the preamble, then the probes in two phases, each
 * probe in the background writing stdout/stderr/exit code to its own temp files. First the
 * samplers (`samples`: the 1-second windows of iostat, /proc/stat and /proc/PID/stat, together),
 * then the rest: an accounting scan or `pmta show` running inside the sample window was measured
 * as the host's own disk and daemon load (a healthy lab host read 80 % %util and a busy pmtad
 * thread during the first audit). Then the outputs in probe order between marker lines carrying
 * a per-batch nonce, so text a probe copies from the host cannot fake a boundary.
 */
export function buildProbeScript(probes: ReadonlyArray<Probe<unknown>>, options: BatchOptions = {}): Command {
  const windowHours = Math.max(1, Math.floor(options.windowHours ?? 24));
  const nonce = options.nonce ?? randomBytes(8).toString('hex');
  if (!/^[0-9a-z]+$/.test(nonce)) throw new TypeError('batch nonce must be lower-case alphanumeric');
  const names = new Set<string>();
  for (const probe of probes) {
    if (!/^[a-z][a-z0-9-]*$/.test(probe.name) || names.has(probe.name)) {
      throw new TypeError(`invalid or duplicate probe name ${probe.name}`);
    }
    names.add(probe.name);
  }
  // Each probe's section is five files (marker, stdout, marker, stderr, end marker with the exit
  // code), written by shell builtins, so one `cat` prints every section: a cat or two per probe
  // was a tenth of the batch's own CPU.
  const launch = (probe: Probe<unknown>, i: number): Command => sh`( printf '%s begin %s\n' "$MTAF_M" ${probe.name} >"$MTAF_TMP/${i}.a"
printf '\n%s stderr %s\n' "$MTAF_M" ${probe.name} >"$MTAF_TMP/${i}.c"
( ${probe.command}
) >"$MTAF_TMP/${i}.b" 2>"$MTAF_TMP/${i}.d" </dev/null
printf '\n%s end %s %s\n' "$MTAF_M" ${probe.name} $? >"$MTAF_TMP/${i}.e" ) &`;
  const phases = [probes.filter((p) => p.samples === true), probes.filter((p) => p.samples !== true)]
    .filter((phase) => phase.length > 0)
    .map((phase) => sh`${joinLines(phase.map((probe) => launch(probe, probes.indexOf(probe))))}
wait`);
  const sections = probes.map((_probe, i) => sh`"$MTAF_TMP/${i}.a" "$MTAF_TMP/${i}.b" "$MTAF_TMP/${i}.c" "$MTAF_TMP/${i}.d" "$MTAF_TMP/${i}.e"`);
  return sh`MTAF_CONFIG=${options.configPath ?? '/etc/pmta/config'}
MTAF_WINDOW_HOURS=${windowHours}
MTAF_BENCH=${options.benchmarkDisk ? 1 : 0}
MTAF_M=${`${MARKER}-${nonce}`}
${PREAMBLE}
printf '%s\n' "$MTAF_M"
${joinLines(phases)}
cat ${joinWords(sections)} 2>/dev/null
`;
}

function joinWords(commands: Command[]): Command {
  return commands.reduce((acc, c) => sh`${acc} ${c}`);
}

function joinLines(commands: Command[]): Command {
  return commands.reduce((acc, c) => sh`${acc}
${c}`);
}

/** Inverse of the batch's printing: per probe name, its stdout, stderr and exit code. */
export function splitProbeOutput(stdout: string): Map<string, ProbeOutput> {
  const out = new Map<string, ProbeOutput>();
  const lines = stdout.split('\n');
  const first = lines.findIndex((l) => l.startsWith(`${MARKER}-`));
  if (first < 0) return out;
  const marker = lines[first].trim();
  let name: string | null = null;
  let part: 'stdout' | 'stderr' = 'stdout';
  let buffers: { stdout: string[]; stderr: string[] } = { stdout: [], stderr: [] };
  for (const line of lines.slice(first + 1)) {
    if (!line.startsWith(marker + ' ')) {
      if (name) buffers[part].push(line);
      continue;
    }
    const [, kind, probe, code] = line.split(' ');
    if (kind === 'begin') {
      name = probe;
      part = 'stdout';
      buffers = { stdout: [], stderr: [] };
    } else if (kind === 'stderr' && name === probe) {
      part = 'stderr';
    } else if (kind === 'end' && name === probe) {
      const exitCode = /^\d+$/.test(code ?? '') ? Number(code) : null;
      out.set(probe, { stdout: dropLastNewline(buffers.stdout), stderr: dropLastNewline(buffers.stderr), exitCode });
      name = null;
    }
  }
  return out;
}

/** The printer adds one newline before each marker: the line split already drops it. */
function dropLastNewline(lines: string[]): string {
  return lines.join('\n');
}
