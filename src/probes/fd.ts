import { script } from '../transport/quote.js';
import { looseValues, num, parseMarkers } from './sections.js';
import type { Probe, ProbeOutput, ProbeResult } from './types.js';

export interface FdFacts {
  pid?: number;
  /** "Max open files" of the daemon; 'unlimited' maps to Infinity. */
  softLimit?: number;
  hardLimit?: number;
  openFds?: number;
  /** `Too many open files` lines in the last RECENT_LINES lines of each PowerMTA log, with the last few. */
  logs: Array<{ file: string; tooManyOpenFiles: number; lastLines: string[] }>;
}

/** Only recent log lines count: old errors fixed since must not keep the finding alive. */
export const RECENT_LINES = 50000;

export const fdProbe: Probe<FdFacts> = {
  name: 'fd',
  command: script(`if [ -n "$MTAF_PID" ]; then
  printf 'pid\\t%s\\n' "$MTAF_PID"
  mtaf_sub limits cat "/proc/$MTAF_PID/limits"
  if ls "/proc/$MTAF_PID/fd" >/dev/null 2>&1; then printf 'fdcount\\t%s\\n' "$(ls "/proc/$MTAF_PID/fd" | wc -l)"; fi
else
  printf 'nopid\\n'
fi
mtaf_i=0
for mtaf_f in $MTAF_LOG_FILES; do
  [ -f "$mtaf_f" ] || continue
  mtaf_i=$((mtaf_i + 1))
  printf 'log\\t%s\\t%s\\t%s\\n' "$mtaf_i" "$(tail -n ${RECENT_LINES} "$mtaf_f" | grep -c 'Too many open files')" "$mtaf_f"
  mtaf_sub "tail$mtaf_i" sh -c 'tail -n ${RECENT_LINES} "$1" | grep "Too many open files" | tail -n 3 | sed "s/^/| /"' sh "$mtaf_f"
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
  for (const line of values.get('log') ?? []) {
    const [index, count, ...file] = line.split('\t');
    const tail = markers.subs.get(`tail${index}`)?.text ?? '';
    facts.logs.push({
      file: file.join('\t'),
      tooManyOpenFiles: num(count) ?? 0,
      lastLines: tail.split('\n').filter((l) => l.startsWith('| ')).map((l) => l.slice(2)),
    });
  }
  if (values.has('nopid')) warnings.push('fd: no running pmtad process found');
  if (facts.pid === undefined && facts.logs.length === 0) {
    return { status: 'unavailable', reason: 'no running pmtad and no PowerMTA log file' };
  }
  return { status: 'ok', facts, warnings };
}
