import { script } from '../transport/quote.js';
import { looseValues, num, parseMarkers } from './sections.js';
import type { Probe, ProbeOutput, ProbeResult } from './types.js';

export interface FdFacts {
  pid?: number;
  /** "Max open files" of the daemon; 'unlimited' maps to Infinity. */
  softLimit?: number;
  hardLimit?: number;
  openFds?: number;
  /**
   * Descriptor-exhaustion lines in the last RECENT_LINES lines of each PowerMTA log, in every form
   * (fdExhaustion): `tooManyOpenFiles` counts them all, `systemWide` (when any) those about the
   * kernel's file table (ENFILE, "Too many open files in system"); the last few lines kept.
   */
  logs: Array<{ file: string; tooManyOpenFiles: number; systemWide?: number; lastLines: string[] }>;
  /** /proc/sys/fs/file-nr: file handles allocated and the system-wide maximum (fs.file-max). */
  systemFiles?: { allocated: number; max: number };
}

/**
 * Which exhaustion a log line reports: 'process' (EMFILE, "Too many open files": the process's
 * RLIMIT_NOFILE) or 'system' (ENFILE, "Too many open files in system": the kernel's file table).
 * PowerMTA writes errno symbols in its log (the Guide's `--errors` example: "2003-06-19 16:40:10
 * ETIMEDOUT connecting to mail.port25.com (193.96.192.241)"), C libraries the strerror text; both
 * are recognised.
 */
export function fdExhaustion(line: string): 'process' | 'system' | null {
  const padded = ` ${line} `;
  if (/Too many open files in system/i.test(line) || /[^A-Za-z0-9_]ENFILE[^A-Za-z0-9_]/.test(padded)) return 'system';
  if (/Too many open files/i.test(line) || /[^A-Za-z0-9_]EMFILE[^A-Za-z0-9_]/.test(padded)) return 'process';
  return null;
}

/** Only recent log lines count: old errors fixed since must not keep the finding alive. */
export const RECENT_LINES = 50000;

/** fdExhaustion over a log tail in one pass: "count N S" (all, system-wide), then the last 3 matches as "| line". */
const FD_AWK = [
  '{ l = " " $0 " "; sys = (l ~ /Too many open files in system/ || l ~ /[^A-Za-z0-9_]ENFILE[^A-Za-z0-9_]/) }',
  'sys || l ~ /Too many open files/ || l ~ /[^A-Za-z0-9_]EMFILE[^A-Za-z0-9_]/ { n++; s += sys; last[n % 3] = $0 }',
  'END { printf "count %d %d\\n", n, s; for (i = n - 2; i <= n; i++) if (i > 0) print "| " last[i % 3] }',
].join('\n');

export const fdProbe: Probe<FdFacts> = {
  name: 'fd',
  // Counted with a glob rather than ls | wc; the log tails in a function rather than a sh -c.
  command: script(`if [ -n "$MTAF_PID" ]; then
  printf 'pid\\t%s\\n' "$MTAF_PID"
  mtaf_sub limits cat "/proc/$MTAF_PID/limits"
  set -- /proc/$MTAF_PID/fd/*
  if [ -L "$1" ]; then printf 'fdcount\\t%s\\n' "$#"; fi
else
  printf 'nopid\\n'
fi
# cat, not read: a sysctl file answers only a read from offset 0 (dash reads byte by byte).
if [ -r /proc/sys/fs/file-nr ]; then printf 'filenr\\t%s\\n' "$(cat /proc/sys/fs/file-nr)"; fi
mtaf_fd_tail() { tail -n ${RECENT_LINES} "$1" | awk '${FD_AWK}'; }
mtaf_i=0
for mtaf_f in $MTAF_LOG_FILES; do
  [ -f "$mtaf_f" ] || continue
  mtaf_i=$((mtaf_i + 1))
  printf 'log\\t%s\\t%s\\n' "$mtaf_i" "$mtaf_f"
  mtaf_sub "tail$mtaf_i" mtaf_fd_tail "$mtaf_f"
done`),
  parse: parseFd,
};

export function parseLimits(text: string): { soft?: number; hard?: number } {
  const line = text.split('\n').find((l) => /^Max open files\s/.test(l));
  if (!line) return {};
  const f = line.replace(/^Max open files\s+/, '').trim().split(/\s+/);
  const value = (v: string | undefined): number | undefined => (v === 'unlimited' ? Infinity : num(v));
  return { soft: value(f[0]), hard: value(f[1]) };
}

export function parseFd(output: ProbeOutput): ProbeResult<FdFacts> {
  const markers = parseMarkers(output.stdout);
  const values = looseValues(markers.loose);
  const warnings: string[] = [];
  const facts: FdFacts = { logs: [] };
  facts.pid = num(values.get('pid')?.[0]);
  const limits = markers.subs.get('limits');
  if (limits) {
    const parsed = parseLimits(limits.text);
    if (parsed.soft === undefined) warnings.push(`fd: no "Max open files" in /proc/${facts.pid}/limits`);
    facts.softLimit = parsed.soft;
    facts.hardLimit = parsed.hard;
  }
  facts.openFds = num(values.get('fdcount')?.[0]);
  if (facts.pid !== undefined && facts.openFds === undefined) warnings.push(`fd: /proc/${facts.pid}/fd not readable (run with become)`);
  const fileNr = (values.get('filenr')?.[0] ?? '').trim().split(/\s+/).map(Number);
  if (fileNr.length === 3 && fileNr.every(Number.isFinite)) facts.systemFiles = { allocated: fileNr[0]!, max: fileNr[2]! };
  else if (values.has('filenr')) warnings.push(`fd: /proc/sys/fs/file-nr not understood: "${values.get('filenr')![0]!.slice(0, 80)}"`);
  for (const line of values.get('log') ?? []) {
    const [index, ...file] = line.split('\t');
    const name = file.join('\t');
    const tail = markers.subs.get(`tail${index}`);
    const count = /^count (\d+) (\d+)$/m.exec(tail?.text ?? '');
    if (!tail || tail.exitCode !== 0 || !count) {
      // Never a silent zero: an unread log is not a clean one.
      warnings.push(`fd: ${name}: the log scan gave no count (exit ${tail?.exitCode ?? 'none'}): "${(tail?.text ?? '').split('\n')[0]!.slice(0, 120)}"`);
      continue;
    }
    const total = Number(count[1]);
    const system = Number(count[2]);
    facts.logs.push({
      file: name,
      tooManyOpenFiles: total,
      ...(system > 0 ? { systemWide: system } : {}),
      lastLines: tail.text.split('\n').filter((l) => l.startsWith('| ')).map((l) => l.slice(2)),
    });
  }
  if (values.has('nopid')) warnings.push('fd: no running pmtad process found');
  if (facts.pid === undefined && facts.logs.length === 0) {
    return { status: 'unavailable', reason: 'no running pmtad and no PowerMTA log file' };
  }
  return { status: 'ok', facts, warnings };
}
