import { script, sh } from '../transport/quote.js';
import { ACCOUNTING_AWK } from './accounting-awk.js';
import { parseMarkers } from './sections.js';
import type { Probe, ProbeOutput, ProbeResult } from './types.js';

export interface Counts {
  delivered: number;
  deferred: number;
  bounced: number;
}

/** DESIGN.md "accounting" facts shape, plus what the diagnosis needs to stay honest. */
export interface AccountingFacts {
  file: string;
  files: string[];
  records: number;
  since: string | null;
  until: string | null;
  windowHours: number;
  hourly: Array<{ hour: string } & Counts>;
  bySourceIp: Record<string, Counts>;
  byDomain: Record<string, Counts & { deferralRate: number }>;
  topDiagnostics: Array<{ domain: string; pattern: string; count: number }>;
  /** False when the window holds no `t` records: deferral rates are then unknown, not 0 %. */
  hasTransientRecords: boolean;
}

export const TOP_DIAGNOSTICS = 25;

/**
 * Picks the acct file(s) named by the config (preamble: $MTAF_ACCT_FILES, one per line) and
 * their rotated siblings (acct-YYYY-MM-DD-HHMM.csv) modified within the window plus slack
 * of the newest one, then runs the awk aggregation over them twice (see accounting-awk.ts).
 */
const SELECT_FILES = script(`set --
newest=0
for a in $MTAF_ACCT_FILES; do
  for f in "$a" "\${a%.csv}"-*.csv; do
    [ -f "$f" ] || continue
    m=$(stat -c %Y "$f" 2>/dev/null || echo 0)
    [ "$m" -gt "$newest" ] && newest=$m
  done
done
for a in $MTAF_ACCT_FILES; do
  for f in "$a" "\${a%.csv}"-*.csv; do
    [ -f "$f" ] || continue
    m=$(stat -c %Y "$f" 2>/dev/null || echo 0)
    if [ "$m" -eq 0 ] || [ "$m" -ge $((newest - (MTAF_WINDOW_HOURS + 2) * 3600)) ]; then set -- "$@" "$f"; printf 'file\\t%s\\n' "$f" >&2; fi
  done
done
if [ $# -eq 0 ]; then printf '@@mtafleet-missing accounting file %s\\n' "$(echo $MTAF_ACCT_FILES)"; exit 0; fi`);

export const accountingProbe: Probe<AccountingFacts> = {
  name: 'accounting',
  command: sh`${SELECT_FILES}
awk -v W="$MTAF_WINDOW_HOURS" -v TOPN=${TOP_DIAGNOSTICS} ${ACCOUNTING_AWK} pass=1 "$@" pass=2 "$@"`,
  parse: parseAccounting,
};

function int(text: string | undefined): number {
  const n = Number(text);
  return Number.isFinite(n) ? n : 0;
}

/** Cut a byte-truncated UTF-8 tail (awk cuts dsnDiag at 60 bytes) and decode. */
export function decodePattern(text: string): string {
  return text.replace(/\uFFFD+$/u, '');
}

export function parseAccounting(output: ProbeOutput): ProbeResult<AccountingFacts> {
  const markers = parseMarkers(output.stdout);
  if (markers.missing.length > 0) return { status: 'unavailable', reason: `${markers.missing.join('; ')} not found` };
  const files = output.stderr
    .split('\n')
    .filter((l) => l.startsWith('file\t'))
    .map((l) => l.slice(5));
  if (output.exitCode !== 0 && !/^V\t/m.test(output.stdout)) {
    return { status: 'unavailable', reason: `awk failed (exit ${output.exitCode}): ${firstLine(output.stderr)}` };
  }
  const windowHours = Number(/^W\t(\d+)/m.exec(output.stdout)?.[1] ?? 24);
  const facts = parseAggregate(output.stdout, files, windowHours);
  return { status: 'ok', facts: facts.facts, warnings: facts.warnings };
}

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim() !== '' && !l.startsWith('file\t')) ?? '';
}

/** Turn the awk program's tab-separated lines into facts (sorted, rates computed). */
export function parseAggregate(
  stdout: string,
  files: string[],
  windowHours: number,
): { facts: AccountingFacts; warnings: string[] } {
  const warnings: string[] = [];
  const facts: AccountingFacts = {
    file: files[0] ?? '',
    files,
    records: 0,
    since: null,
    until: null,
    windowHours,
    hourly: [],
    bySourceIp: {},
    byDomain: {},
    topDiagnostics: [],
    hasTransientRecords: false,
  };
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const f = line.split('\t');
    const counts = (): Counts => ({ delivered: int(f[2]), deferred: int(f[3]), bounced: int(f[4]) });
    switch (f[0]) {
      case 'V':
      case 'F':
      case 'W':
        break;
      case 'R':
        facts.records = int(f[1]);
        break;
      case 'T':
        facts.hasTransientRecords = int(f[1]) > 0;
        break;
      case 'N':
        facts.until = f[2] ?? null;
        break;
      case 'S':
        facts.since = f[2] ?? null;
        break;
      case 'E':
        warnings.push(accountingWarning(f[1], int(f[2])));
        break;
      case 'H':
        facts.hourly.push({ hour: f[1], ...counts() });
        break;
      case 'I':
        facts.bySourceIp[f[1]] = counts();
        break;
      case 'D': {
        const c = counts();
        const total = c.delivered + c.deferred + c.bounced;
        facts.byDomain[f[1]] = { ...c, deferralRate: total > 0 ? c.deferred / total : 0 };
        break;
      }
      case 'G':
        facts.topDiagnostics.push({ domain: f[1], count: int(f[2]), pattern: decodePattern(f.slice(3).join('\t')) });
        break;
      default:
        if (!line.startsWith('@@mtafleet')) warnings.push(`accounting: unexpected output line: ${line.slice(0, 80)}`);
    }
  }
  facts.hourly.sort((a, b) => (a.hour < b.hour ? -1 : a.hour > b.hour ? 1 : 0));
  facts.topDiagnostics.sort((a, b) => b.count - a.count || cmp(a.domain, b.domain) || cmp(a.pattern, b.pattern));
  if (!facts.hasTransientRecords && facts.records > 0) {
    warnings.push('accounting: no t (transient) records in the window: deferral rates are unknown (add t to the acct-file "records")');
  }
  return { facts, warnings };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function accountingWarning(kind: string | undefined, count: number): string {
  switch (kind) {
    case 'badtime':
      return `accounting: ${count} d/t/b record(s) with an unreadable timeLogged were skipped`;
    case 'noheader':
      return `accounting: ${count} record(s) before any header line; the default PowerMTA column order was assumed`;
    case 'unterminated':
      return `accounting: ${count} record(s) with an unterminated quoted field were skipped`;
    default:
      return `accounting: ${kind ?? 'unknown'} ${count}`;
  }
}
