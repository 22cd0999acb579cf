/**
 * The accounting probe's host script (POSIX sh): file selection, the scans of the
 * accounting-awk.ts program (from the cursor's offsets, or whole files in parallel
 * chunks), and the exact re-read of the window's edge bucket.
 */
import { script, sh, type Command } from '../transport/quote.js';
import { ACCOUNTING_AWK } from './accounting-awk.js';
import { EDGE_PLAN_AWK } from './accounting-edge-awk.js';
import { withoutCommentLines } from './comments.js';

/**
 * Picks the files to read. Per `<acct-file>` block ($MTAF_ACCT_SPECS: "path TAB records TAB
 * move-to"; without it each $MTAF_ACCT_FILES line, all records): the path itself, its dated
 * siblings (UG §11.3.1: the live file is acct-YYYY-MM-DD-NNNN.csv; rotated ones alike) and the
 * same names in the move-to directory, modified within the window plus slack of the newest one
 * (at most $MTAF_ACCT_MAX_FILES per block: the newest). Each record type is read from the first
 * block in config order that has files and lists it, so a record logged in two files counts
 * once. Prints "S read records nread nfound move-to path" per block and "Z cmd" per pipe (stdout).
 */
const SELECT_FILES = script(withoutCommentLines(`set --
mtaf_tab=$(printf '\\t')
mtaf_specs=\${MTAF_ACCT_SPECS:-}
[ -n "$mtaf_specs" ] || mtaf_specs=$(printf '%s\\n' "$MTAF_ACCT_FILES" | awk 'NF { print $0 "\\t*\\t" }')
printf '%s\\n' "$MTAF_ACCT_PIPES" | awk 'NF { print "Z\\t" $0 }'
# Candidates of one block, oldest names first: archives, dated siblings, the path itself.
mtaf_cands() {
  b=\${1%.csv}
  if [ -n "$2" ]; then
    for f in "$2/\${b##*/}"-[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*.csv "$2/\${1##*/}"; do [ -f "$f" ] && printf '%s\\n' "$f"; done
  fi
  for f in "$b"-[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*.csv "$1"; do [ -f "$f" ] && printf '%s\\n' "$f"; done
}
mtaf_mtime() { stat -c %Y "$1" 2>/dev/null || echo 0; }
mtaf_all=$(while IFS="$mtaf_tab" read -r a r m; do [ -n "$a" ] && mtaf_cands "$a" "$m"; done <<EOF_MTAF_SPECS
$mtaf_specs
EOF_MTAF_SPECS
)
newest=$(printf '%s\\n' "$mtaf_all" | while IFS= read -r f; do [ -n "$f" ] && mtaf_mtime "$f"; done | sort -n | tail -n 1)
newest=\${newest:-0}
mtaf_claimed=,
mtaf_seen=
mtaf_types=
while IFS="$mtaf_tab" read -r a r m; do
  [ -n "$a" ] || continue
  c=$(mtaf_cands "$a" "$m" | while IFS= read -r f; do
    case "
$mtaf_seen
" in *"
$f
"*) continue ;; esac
    t=$(mtaf_mtime "$f")
    if [ "$t" -eq 0 ] || [ "$t" -ge $((newest - (MTAF_WINDOW_HOURS + 2) * 3600)) ]; then printf '%s\\n' "$f"; fi
  done | tail -n "\${MTAF_ACCT_MAX_FILES:-500}")
  rd=
  # "*": a file list without config (all record types, nothing claimed).
  [ -n "$c" ] && [ "$r" = "*" ] && rd=,d,t,b,tq,rb
  [ -n "$c" ] && [ "$r" != "*" ] && for k in d t b tq rb; do
    case ",$r," in *",$k,"*) case "$mtaf_claimed" in *",$k,"*) ;; *) rd="$rd,$k"; mtaf_claimed="$mtaf_claimed$k," ;; esac ;; esac
  done
  n=0
  if [ -n "$rd" ]; then
    while IFS= read -r f; do
      set -- "$@" "$f"; n=$((n + 1))
      mtaf_seen="$mtaf_seen
$f"
      mtaf_types="$mtaf_types\${rd#,}
"
      printf 'file\\t%s\\n' "$f" >&2
    done <<EOF_MTAF_FILES
$c
EOF_MTAF_FILES
  fi
  printf 'S\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\n' "\${rd#,}" "$r" "$n" "$(printf '%s' "$c" | grep -c '^')" "$m" "$a"
done <<EOF_MTAF_SPECS
$mtaf_specs
EOF_MTAF_SPECS
if [ $# -eq 0 ]; then printf '@@mtafleet-missing accounting file %s\\n' "$(echo $MTAF_ACCT_FILES $MTAF_ACCT_PIPES)"; exit 0; fi`));

/**
 * One scan per file (from the cursor's offset when the file is the same inode and no
 * shorter: else the whole selection is analysed again), then the exact re-read of the
 * window's edge bucket. $MTAF_AWK may name another awk (tests: gawk --posix).
 * Output: V, W, M mode, per file "F i inode-birth size offset path" + its scan lines, then the
 * plan "A ..." and "K" or per edge range "X i start end" + its lines.
 */
// Comment lines dropped from the whole text (the awk programs in it hold none): the batch
// must fit in one SSH exec request (comments.ts).
const ANALYSE = script(withoutCommentLines(sh`LC_ALL=C; export LC_ALL # byte offsets: awk length() must count bytes
mtaf_awk=\${MTAF_AWK:-awk}
# Niced: the scan (on every core for a large file) yields to PowerMTA and to the samplers.
command -v nice >/dev/null 2>&1 && mtaf_awk="nice -n \${MTAF_ACCT_NICE:-10} $mtaf_awk"
mtaf_tab=$(printf '\\t')
mtaf_prog=${ACCOUNTING_AWK}
mtaf_cur=\${MTAF_ACCT_CURSOR:-}
# The record types read from file number $1 (see SELECT_FILES).
mtaf_ty_of() { printf '%s' "$mtaf_types" | sed -n "$1p"; }
mtaf_ty=
mtaf_mode=full
mtaf_minb=
mtaf_centry() { printf '%s\\n' "$mtaf_cur" | P="$1" $mtaf_awk -F '\\t' '$1 == "F" { p = $5; for (i = 6; i <= NF; i++) p = p "\\t" $i; if (p == ENVIRON["P"]) { print $2 " " $3 " " $4; exit } }'; }
# The cursor is for this machine (not another one that took over the inventory name).
mtaf_id=$(cat /etc/machine-id 2>/dev/null | tr -cd '0-9a-f')
if [ -n "$mtaf_cur" ] && [ "$(printf '%s\\n' "$mtaf_cur" | sed -n 's/^W\\t//p')" = "$MTAF_WINDOW_HOURS" ] &&
  [ "$(printf '%s\\n' "$mtaf_cur" | sed -n 's/^I\\t//p')" = "$mtaf_id" ]; then
  mtaf_mode=incremental
  for f in "$@"; do
    e=$(mtaf_centry "$f")
    ino=\${e%% *}; e=\${e#* }; off=\${e%% *}
    if [ -z "$e" ] || [ "$(stat -c %i-%W "$f")" != "$ino" ] || [ "$(stat -c %s "$f")" -lt "$off" ]; then mtaf_mode=full; break; fi
  done
  mtaf_minb=$(printf '%s\\n' "$mtaf_cur" | sed -n 's/^B\\t//p')
fi
if [ "$mtaf_mode" = full ]; then
  mtaf_cur=
  # Newest record: logs are appended in time order, so the tails tell (a lower bound,
  # checked below); records of earlier buckets cannot be in the window and are skipped.
  g=-1; i=0
  for f in "$@"; do
    i=$((i + 1))
    [ "$(stat -c %s "$f")" -gt "\${MTAF_ACCT_TAIL_MIN:-8388608}" ] || continue
    n=$( { head -n 1 "$f"; tail -c 1048576 "$f" | sed 1d; } | $mtaf_awk -v MODE=scan -v TYPES="$(mtaf_ty_of $i)" "$mtaf_prog" | sed -n 's/^N\\t\\([0-9]*\\).*/\\1/p')
    [ -n "$n" ] && [ "$n" -gt "$g" ] && g=$n
  done
  [ "$g" -ge $((MTAF_WINDOW_HOURS * 3600)) ] && mtaf_minb=$(( (g - MTAF_WINDOW_HOURS * 3600) / 3600 ))
fi
# mtaf_from FILE OFFSET CMD...: CMD reads FILE from OFFSET on as its stdin. A seek (GNU dd)
# where it can: a pipe from tail costs the reader a copy of every byte (~15 % of a scan).
mtaf_from() {
  mtaf_ff=$1; mtaf_fo=$2; shift 2
  { if dd iflag=skip_bytes skip="$mtaf_fo" count=0 2>/dev/null; then "$@"; else tail -c +$((mtaf_fo + 1)) "$mtaf_ff" | "$@"; fi; } < "$mtaf_ff"
}
mtaf_serial() { $mtaf_awk -v MODE=scan -v TYPES="$mtaf_ty" -v BASE=0 -v LIMIT="$2" -v MINB="$mtaf_minb" "$mtaf_prog" "$1"; }
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
  # Under the batch's temp dir when there is one (its EXIT trap removes it).
  [ "$p" -gt 1 ] && [ -n "$cols" ] && t=$(mktemp -d "\${MTAF_TMP:-\${TMPDIR:-/tmp}}/mtaf-acct.XXXXXX" 2>/dev/null)
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
      $mtaf_awk -v MODE=scan -v TYPES="$mtaf_ty" -v BASE=0 -v LIMIT="$2" -v STOP="$e" -v MINB="$mtaf_minb" "$mtaf_prog" "$1" >"$t/$k" &
    else
      mtaf_from "$1" "$s" $mtaf_awk -v MODE=scan -v TYPES="$mtaf_ty" -v BASE="$s" -v LIMIT="$2" -v STOP="$e" -v COLS="$cols" -v MINB="$mtaf_minb" "$mtaf_prog" >"$t/$k" &
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
  printf 'chunks\\t%s\\t%s\\n' "$k" "$ok" >&2
  if [ "$ok" = 1 ]; then k=0; for s in $bounds; do cat "$t/$k"; k=$((k + 1)); done; else mtaf_serial "$1" "$2"; fi
  rm -rf "$t"
}
mtaf_scan() {
  i=0
  for f in "$@"; do
    i=$((i + 1)); mtaf_ty=$(mtaf_ty_of $i)
    ino=$(stat -c %i-%W "$f"); size=$(stat -c %s "$f"); off=0; cols=
    if [ "$mtaf_mode" = incremental ]; then
      e=$(mtaf_centry "$f"); e=\${e#* }; off=\${e%% *}; cols=\${e#* }
    fi
    printf 'F\\t%s\\t%s\\t%s\\t%s\\t%s\\n' "$i" "$ino" "$size" "$off" "$f"
    if [ "$off" -ge "$size" ]; then
      printf 'L\\t%s\\n' "$off"; [ -n "$cols" ] && printf 'C\\t%s\\n' "$cols"
    elif [ "$off" -eq 0 ]; then
      mtaf_whole "$f" "$size"
    else
      mtaf_from "$f" "$off" $mtaf_awk -v MODE=scan -v TYPES="$mtaf_ty" -v BASE="$off" -v LIMIT="$size" -v MINB="$mtaf_minb" -v COLS="$cols" "$mtaf_prog"
    fi
  done
}
mtaf_out=$(mtaf_scan "$@")
if [ -n "$mtaf_minb" ] && [ "$mtaf_mode" = full ]; then
  n=$(printf '%s\\n' "$mtaf_out" | sed -n 's/^N\\t\\([0-9]*\\).*/\\1/p' | sort -n | tail -n 1)
  # A tail record newer than every record read means the guess was wrong: read everything.
  if [ -z "$n" ] || [ "$n" -lt "$g" ]; then mtaf_minb=; mtaf_out=$(mtaf_scan "$@"); fi
fi
printf 'V\\t2\\nW\\t%s\\nI\\t%s\\nM\\t%s\\n%s\\n' "$MTAF_WINDOW_HOURS" "$mtaf_id" "$mtaf_mode" "$mtaf_out"
mtaf_plan=$( { [ -n "$mtaf_cur" ] && printf '%s\\n' "$mtaf_cur" | sed 's/^/c/'; printf '%s\\n' "$mtaf_out"; } | $mtaf_awk -v W="$MTAF_WINDOW_HOURS" -v MODE="$mtaf_mode" ${EDGE_PLAN_AWK} | sort -t "$mtaf_tab" -k1,1 -k2,2n)
printf '%s\\n' "$mtaf_plan" | grep -v '^R' || :
a=$(printf '%s\\n' "$mtaf_plan" | sed -n 's/^A\\t//p')
eb=$(printf '%s\\n' "$a" | cut -f 1); es=$(printf '%s\\n' "$a" | cut -f 2); et=$(printf '%s\\n' "$a" | cut -f 3)
printf '%s\\n' "$mtaf_plan" | while IFS="$mtaf_tab" read -r kind i s e cols; do
  [ "$kind" = R ] || continue
  eval "f=\\\${$i}"; mtaf_ty=$(mtaf_ty_of $i)
  printf 'X\\t%s\\t%s\\t%s\\n' "$i" "$s" "$e"
  tail -c +$((s + 1)) "$f" | head -c $((e - s)) | $mtaf_awk -v MODE=edge -v TYPES="$mtaf_ty" -v BASE="$s" -v COLS="$cols" -v EDGEB="$eb" -v START="$es" -v TOP="$et" "$mtaf_prog"
done`.text));

/** The whole host command; `cursor` is cursorText() of the previous audit's cursor. */
export function accountingCommand(cursor?: string): Command {
  return sh`${SELECT_FILES}
MTAF_ACCT_CURSOR=${cursor ?? ''}
${ANALYSE}`;
}
