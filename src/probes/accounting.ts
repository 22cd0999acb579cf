import { script, sh } from '../transport/quote.js';
import { ACCOUNTING_AWK, EDGE_PLAN_AWK } from './accounting-awk.js';
import { cursorText, mergeScan, parseScan, windowFacts, type AccountingCursor } from './accounting-merge.js';
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
 * of the newest one.
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

/**
 * One scan per file (from the cursor's offset when the file is the same inode and no
 * shorter: else the whole selection is analysed again), then the exact re-read of the
 * window's edge bucket. $MTAF_AWK may name another awk (tests: gawk --posix).
 * Output: V, W, M mode, per file "F i inode size offset path" + its scan lines, then the
 * plan "A ..." and "K" or per edge range "X i start end" + its lines.
 */
const ANALYSE = sh`LC_ALL=C; export LC_ALL # byte offsets: awk length() must count bytes
mtaf_awk=\${MTAF_AWK:-awk}
mtaf_tab=$(printf '\\t')
mtaf_prog=${ACCOUNTING_AWK}
mtaf_cur=\${MTAF_ACCT_CURSOR:-}
mtaf_mode=full
mtaf_minb=
mtaf_centry() { printf '%s\\n' "$mtaf_cur" | P="$1" $mtaf_awk -F '\\t' '$1 == "F" { p = $5; for (i = 6; i <= NF; i++) p = p "\\t" $i; if (p == ENVIRON["P"]) { print $2 " " $3 " " $4; exit } }'; }
if [ -n "$mtaf_cur" ] && [ "$(printf '%s\\n' "$mtaf_cur" | sed -n 's/^W\\t//p')" = "$MTAF_WINDOW_HOURS" ]; then
  mtaf_mode=incremental
  for f in "$@"; do
    e=$(mtaf_centry "$f")
    ino=\${e%% *}; e=\${e#* }; off=\${e%% *}
    if [ -z "$e" ] || [ "$(stat -c %i "$f")" != "$ino" ] || [ "$(stat -c %s "$f")" -lt "$off" ]; then mtaf_mode=full; break; fi
  done
  mtaf_minb=$(printf '%s\\n' "$mtaf_cur" | sed -n 's/^B\\t//p')
fi
if [ "$mtaf_mode" = full ]; then
  mtaf_cur=
  # Newest record: logs are appended in time order, so the tails tell (a lower bound,
  # checked below); records of earlier buckets cannot be in the window and are skipped.
  g=-1
  for f in "$@"; do
    [ "$(stat -c %s "$f")" -gt "\${MTAF_ACCT_TAIL_MIN:-8388608}" ] || continue
    n=$( { head -n 1 "$f"; tail -c 1048576 "$f" | sed 1d; } | $mtaf_awk -v MODE=scan "$mtaf_prog" | sed -n 's/^N\\t\\([0-9]*\\).*/\\1/p')
    [ -n "$n" ] && [ "$n" -gt "$g" ] && g=$n
  done
  [ "$g" -ge $((MTAF_WINDOW_HOURS * 3600)) ] && mtaf_minb=$(( (g - MTAF_WINDOW_HOURS * 3600) / 3600 ))
fi
mtaf_serial() { $mtaf_awk -v MODE=scan -v BASE=0 -v LIMIT="$2" -v MINB="$mtaf_minb" "$mtaf_prog" "$1"; }
# A large file is read by one awk per CPU, each from a line start on: exact when every chunk
# ended its last record where the next chunk started and no chunk met a header line (a
# chunk that started inside a multi-line quoted field shows as a mismatch); else serially.
mtaf_whole() {
  p=1
  [ "$2" -ge "\${MTAF_ACCT_PAR_MIN:-67108864}" ] && p=\${MTAF_ACCT_PAR:-$( (nproc || getconf _NPROCESSORS_ONLN) 2>/dev/null | head -n 1)}
  case $p in '' | *[!0-9]*) p=1 ;; esac
  [ "$p" -gt 8 ] && p=8
  cols=$(head -c 1048576 "$1" | $mtaf_awk -v MODE=scan -v STOP=1 "$mtaf_prog" | sed -n 's/^C\t//p')
  t=
  [ "$p" -gt 1 ] && [ -n "$cols" ] && t=$(mktemp -d 2>/dev/null)
  if [ -z "$t" ]; then mtaf_serial "$1" "$2"; return; fi
  bounds=0; k=1; last=0
  while [ "$k" -lt "$p" ]; do
    n=$(($2 / p * k))
    b=$((n + $(tail -c +$((n + 1)) "$1" | head -n 1 | wc -c)))
    [ "$b" -gt "$last" ] && [ "$b" -lt "$2" ] && { bounds="$bounds $b"; last=$b; }
    k=$((k + 1))
  done
  k=0
  for s in $bounds; do
    e=$(printf '%s\n' $bounds "" | sed -n "$((k + 2))p")
    if [ "$k" -eq 0 ]; then
      $mtaf_awk -v MODE=scan -v BASE=0 -v LIMIT="$2" -v STOP="$e" -v MINB="$mtaf_minb" "$mtaf_prog" "$1" >"$t/$k" &
    else
      tail -c +$((s + 1)) "$1" | $mtaf_awk -v MODE=scan -v BASE="$s" -v LIMIT="$2" -v STOP="$e" -v COLS="$cols" -v MINB="$mtaf_minb" "$mtaf_prog" >"$t/$k" &
    fi
    k=$((k + 1))
  done
  wait
  ok=1; k=0
  for s in $bounds; do
    if [ "$k" -gt 0 ]; then
      [ "$(sed -n 's/^L\t//p' "$t/$((k - 1))")" = "$s" ] && [ "$(sed -n 's/^Y\t//p' "$t/$k")" = 0 ] || ok=0
    fi
    k=$((k + 1))
  done
  if [ "$ok" = 1 ]; then k=0; for s in $bounds; do cat "$t/$k"; k=$((k + 1)); done; else mtaf_serial "$1" "$2"; fi
  rm -rf "$t"
}
mtaf_scan() {
  i=0
  for f in "$@"; do
    i=$((i + 1))
    ino=$(stat -c %i "$f"); size=$(stat -c %s "$f"); off=0; cols=
    if [ "$mtaf_mode" = incremental ]; then
      e=$(mtaf_centry "$f"); e=\${e#* }; off=\${e%% *}; cols=\${e#* }
    fi
    printf 'F\\t%s\\t%s\\t%s\\t%s\\t%s\\n' "$i" "$ino" "$size" "$off" "$f"
    if [ "$off" -ge "$size" ]; then
      printf 'L\\t%s\\n' "$off"; [ -n "$cols" ] && printf 'C\\t%s\\n' "$cols"
    elif [ "$off" -eq 0 ]; then
      mtaf_whole "$f" "$size"
    else
      tail -c +$((off + 1)) "$f" | $mtaf_awk -v MODE=scan -v BASE="$off" -v LIMIT="$size" -v MINB="$mtaf_minb" -v COLS="$cols" "$mtaf_prog"
    fi
  done
}
mtaf_out=$(mtaf_scan "$@")
if [ -n "$mtaf_minb" ] && [ "$mtaf_mode" = full ]; then
  n=$(printf '%s\\n' "$mtaf_out" | sed -n 's/^N\\t\\([0-9]*\\).*/\\1/p' | sort -n | tail -n 1)
  # A tail record newer than every record read means the guess was wrong: read everything.
  if [ -z "$n" ] || [ "$n" -lt "$g" ]; then mtaf_minb=; mtaf_out=$(mtaf_scan "$@"); fi
fi
printf 'V\\t2\\nW\\t%s\\nM\\t%s\\n%s\\n' "$MTAF_WINDOW_HOURS" "$mtaf_mode" "$mtaf_out"
mtaf_plan=$( { [ -n "$mtaf_cur" ] && printf '%s\\n' "$mtaf_cur" | sed 's/^/c/'; printf '%s\\n' "$mtaf_out"; } | $mtaf_awk -v W="$MTAF_WINDOW_HOURS" -v MODE="$mtaf_mode" ${EDGE_PLAN_AWK} | sort -t "$mtaf_tab" -k1,1 -k2,2n)
printf '%s\\n' "$mtaf_plan" | grep -v '^R' || :
a=$(printf '%s\\n' "$mtaf_plan" | sed -n 's/^A\\t//p')
eb=$(printf '%s\\n' "$a" | cut -f 1); es=$(printf '%s\\n' "$a" | cut -f 2); et=$(printf '%s\\n' "$a" | cut -f 3)
printf '%s\\n' "$mtaf_plan" | while IFS="$mtaf_tab" read -r kind i s e cols; do
  [ "$kind" = R ] || continue
  eval "f=\\\${$i}"
  printf 'X\\t%s\\t%s\\t%s\\n' "$i" "$s" "$e"
  tail -c +$((s + 1)) "$f" | head -c $((e - s)) | $mtaf_awk -v MODE=edge -v BASE="$s" -v COLS="$cols" -v EDGEB="$eb" -v START="$es" -v TOP="$et" "$mtaf_prog"
done`;

/** The probe without a cursor: a full analysis (the cursor it returns is dropped). */
export const accountingProbe: Probe<AccountingFacts> = makeAccountingProbe().probe;

/**
 * The accounting probe for one host audit: with the previous audit's cursor it reads only
 * what was appended since (see accounting-merge.ts); `takeCursor()` after parse() gives the
 * cursor to keep for the next audit.
 */
export function makeAccountingProbe(previous?: AccountingCursor): { probe: Probe<AccountingFacts>; takeCursor(): AccountingCursor | undefined } {
  let next: AccountingCursor | undefined;
  const cursor = previous ? sh`MTAF_ACCT_CURSOR=${cursorText(previous)}` : sh`MTAF_ACCT_CURSOR=`;
  return {
    probe: {
      name: 'accounting',
      command: sh`${SELECT_FILES}
${cursor}
${ANALYSE}`,
      parse(output) {
        const result = parseAccountingScan(output, previous);
        next = result.cursor;
        return result.result;
      },
    },
    takeCursor: () => next,
  };
}

/** Cut a byte-truncated UTF-8 tail (awk cuts dsnDiag at 60 bytes) and decode. */
export function decodePattern(text: string): string {
  return text.replace(/\uFFFD+$/u, '');
}

export function parseAccounting(output: ProbeOutput): ProbeResult<AccountingFacts> {
  return parseAccountingScan(output, undefined).result;
}

/** Facts of one run of the host script, merged with the previous cursor; and the next cursor. */
export function parseAccountingScan(
  output: ProbeOutput,
  previous: AccountingCursor | undefined,
  topN = TOP_DIAGNOSTICS,
): { result: ProbeResult<AccountingFacts>; cursor?: AccountingCursor } {
  const markers = parseMarkers(output.stdout);
  if (markers.missing.length > 0) return { result: { status: 'unavailable', reason: `${markers.missing.join('; ')} not found` } };
  if (output.exitCode !== 0 || !/^V\t2$/m.test(output.stdout)) {
    return { result: { status: 'unavailable', reason: `accounting analysis failed (exit ${output.exitCode}): ${firstLine(output.stderr)}` } };
  }
  const scan = parseScan(output.stdout, 24);
  const { cursor, window, newest } = mergeScan(scan, previous);
  const files = scan.files.map((f) => f.path);
  const facts = windowFacts(window, newest, files, scan.windowHours, topN);
  const warnings: string[] = [];
  for (const [kind, count] of Object.entries(cursor.counts)) if (count > 0) warnings.push(accountingWarning(kind, count));
  for (const line of scan.unexpected.slice(0, 5)) warnings.push(`accounting: unexpected output line: ${line.slice(0, 80)}`);
  if (!facts.hasTransientRecords && facts.records > 0) {
    warnings.push('accounting: no t (transient) records in the window: deferral rates are unknown (add t to the acct-file "records")');
  }
  return { result: { status: 'ok', facts, warnings }, cursor };
}

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim() !== '' && !l.startsWith('file\t')) ?? '';
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
