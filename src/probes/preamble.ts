import { script } from '../transport/quote.js';
import { withoutCommentLines } from './comments.js';

/**
 * The config values (MTAF_CFG_VALUES: "KIND TAB value" lines) into the MTAF_* lists, split by
 * the shell itself: an awk per kind cost more than the config parse. MTAF_ACCT_SPECS has one
 * "path TAB records TAB move-to" line per file block (pipes: MTAF_ACCT_PIPES). A plain string,
 * not String.raw: the parameter expansions need their braces.
 */
const SPLIT_CONFIG_VALUES = [
  'MTAF_ACCT_SPECS= MTAF_ACCT_PIPES= MTAF_ACCT_FILES= MTAF_SPOOL_DIRS= MTAF_LOG_FILES= MTAF_HTTP_PORT=',
  'mtaf_rest=$MTAF_CFG_VALUES',
  'while [ -n "$mtaf_rest" ]; do',
  '  mtaf_line=${mtaf_rest%%"$MTAF_NL"*}',
  '  case $mtaf_rest in *"$MTAF_NL"*) mtaf_rest=${mtaf_rest#*"$MTAF_NL"} ;; *) mtaf_rest= ;; esac',
  '  mtaf_k=${mtaf_line%%"$MTAF_TAB"*}; mtaf_v=${mtaf_line#*"$MTAF_TAB"}; mtaf_f=${mtaf_v%%"$MTAF_TAB"*}',
  '  case $mtaf_k in',
  '    A) MTAF_ACCT_SPECS="${MTAF_ACCT_SPECS:+$MTAF_ACCT_SPECS$MTAF_NL}$mtaf_v"; MTAF_ACCT_FILES="${MTAF_ACCT_FILES:+$MTAF_ACCT_FILES$MTAF_NL}$mtaf_f" ;;',
  '    Z) MTAF_ACCT_PIPES="${MTAF_ACCT_PIPES:+$MTAF_ACCT_PIPES$MTAF_NL}$mtaf_f" ;;',
  '    S) MTAF_SPOOL_DIRS="${MTAF_SPOOL_DIRS:+$MTAF_SPOOL_DIRS$MTAF_NL}$mtaf_f" ;;',
  '    L) MTAF_LOG_FILES="${MTAF_LOG_FILES:+$MTAF_LOG_FILES$MTAF_NL}$mtaf_f" ;;',
  '    P) MTAF_HTTP_PORT=$mtaf_f ;;',
  '  esac',
  'done',
  '[ -n "$MTAF_ACCT_FILES" ] || [ -n "$MTAF_ACCT_PIPES" ] || MTAF_ACCT_FILES=/var/log/pmta/acct.csv',
  '[ -n "$MTAF_SPOOL_DIRS" ] || MTAF_SPOOL_DIRS=/var/spool/pmta',
  '[ -n "$MTAF_LOG_FILES" ] || MTAF_LOG_FILES="/var/log/pmta/pmta.log$MTAF_NL/var/log/pmta/log"',
  '[ -n "$MTAF_HTTP_PORT" ] || MTAF_HTTP_PORT=8080',
  '',
].join('\n');

/**
 * Shell run once at the top of a probe batch (POSIX sh: dash and bash). It finds what
 * several probes share — the config files with includes expanded, the acct/log/spool paths
 * and HTTP port named in them, the daemon's pid — into MTAF_* variables, and defines the
 * marker helpers of sections.ts. Per-batch options (window, config path, benchmark) are set
 * before it by batch.ts with quoted values.
 */
export const PREAMBLE = script(withoutCommentLines(
  String.raw`LC_ALL=C; export LC_ALL
PATH="$PATH:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"; export PATH
mtaf_has() { command -v "$1" >/dev/null 2>&1; }
MTAF_NL='
'
MTAF_TAB='	'
MTAF_WS=" $MTAF_TAB"
mtaf_sub() {
  mtaf_n=$1; shift
  printf '@@mtafleet-sub %s\n' "$mtaf_n"
  "$@" 2>&1
  mtaf_rc=$?
  printf '\n@@mtafleet-rc %s %s\n' "$mtaf_n" "$mtaf_rc"
}
# Config file plus included files, depth-first, one per line (include patterns may glob).
mtaf_list_config() {
  [ -r "$1" ] || return 0
  printf '%s\n' "$1"
  [ "$2" -gt 8 ] && return 0
  for mtaf_pat in $(sed -n 's/^[[:space:]]*[Ii][Nn][Cc][Ll][Uu][Dd][Ee][[:space:]][[:space:]]*\([^#[:space:]]*\).*/\1/p' "$1"); do
    case $mtaf_pat in /*) ;; *) mtaf_pat="$(dirname "$1")/$mtaf_pat" ;; esac
    for mtaf_g in $mtaf_pat; do
      [ -f "$mtaf_g" ] && mtaf_list_config "$mtaf_g" $(($2 + 1))
    done
  done
}
MTAF_CFG_FILES=$(mtaf_list_config "$MTAF_CONFIG" 0)
MTAF_CFG_VALUES=
if [ -n "$MTAF_CFG_FILES" ]; then
  MTAF_CFG_VALUES=$(awk '
    { sub(/(^|[ \t])#.*/, ""); sub(/^[ \t]+/, ""); sub(/[ \t\r]+$/, "") }
    # <acct-file PATH> blocks (UG §3.3, §11.3): the path unquoted; a "|cmd" is a pipe, not a
    # file (a "Z" line); "records" (default d,b; long names shortened) and "move-to".
    function acctflush() { if (ap != "") { gsub(/[\t\n]/, " ", ap); print (substr(ap, 1, 1) == "|" ? "Z\t" ap : "A\t" ap "\t" ar "\t" am) }; ap = "" }
    function shortrec(v) { v = tolower(v); gsub(/[ \t]*,[ \t]*|[ \t]+/, ",", v); v = "," v ","
      gsub(/,delivery,/, ",d,", v); gsub(/,bounced?,/, ",b,", v); gsub(/,transient-queue,/, ",tq,", v); gsub(/,transient,/, ",t,", v)
      gsub(/,delivery,/, ",d,", v); gsub(/,bounced?,/, ",b,", v); gsub(/,transient,/, ",t,", v)
      gsub(/^,+|,+$/, "", v); return v }
    tolower($0) ~ /^<acct-file[ \t]/ { acctflush(); v = $0; sub(/^<[^ \t]*[ \t]+/, "", v); sub(/[ \t]*>$/, "", v)
      if (v ~ /^".*"$/) v = substr(v, 2, length(v) - 2)
      ap = v; ar = "d,b"; am = ""; next }
    ap != "" && tolower($1) == "records" { v = $0; sub(/^[^ \t]+[ \t]+/, "", v); ar = shortrec(v); next }
    ap != "" && tolower($1) == "move-to" { v = $0; sub(/^[^ \t]+[ \t]+/, "", v); if (v ~ /^".*"$/) v = substr(v, 2, length(v) - 2); am = v; next }
    tolower($0) ~ /^<\/acct-file>/ { acctflush(); next }
    tolower($0) ~ /^<spool[ \t]/ { v = $0; sub(/^<[^ \t]*[ \t]+/, "", v); sub(/[ \t]*>$/, "", v); print "S\t" v }
    tolower($1) == "spool" || tolower($1) == "spool-dir" { print "S\t" $2 }
    tolower($1) == "log-file" { print "L\t" $2 }
    tolower($1) == "http-mgmt-port" { print "P\t" $2 }
    END { acctflush() }
  ' $MTAF_CFG_FILES 2>/dev/null)
fi
` +
  SPLIT_CONFIG_VALUES +
  String.raw`
# The daemon: pmtad in this host's network namespace (lab hosts share one pid namespace).
MTAF_PID=
mtaf_netns=$(readlink /proc/$$/ns/net 2>/dev/null)
for mtaf_p in $( (pgrep -x pmtad || pidof pmtad) 2>/dev/null); do
  if [ "$(readlink /proc/$mtaf_p/ns/net 2>/dev/null)" = "$mtaf_netns" ]; then MTAF_PID=$mtaf_p; break; fi
done
MTAF_TMP=$(mktemp -d 2>/dev/null || { d=/tmp/mtafleet-probe.$$; mkdir -m 700 "$d" && echo "$d"; })
# Never fall through with an empty MTAF_TMP: the probes would then write /0.out etc. as root.
[ -n "$MTAF_TMP" ] && [ -d "$MTAF_TMP" ] && [ ! -L "$MTAF_TMP" ] || { echo 'mtafleet: cannot create a private temporary directory' >&2; exit 1; }
trap 'rm -rf "$MTAF_TMP"' EXIT
trap 'exit 130' INT TERM
`,
  ),
);
