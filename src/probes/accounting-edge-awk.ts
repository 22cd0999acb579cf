import { unindented } from './accounting-awk.js';

/**
 * Plans the edge re-read from the cursor (lines prefixed "c") and the scan output: prints
 * "A b0 start newest", then "K" when the cursor's edge is still exact (same newest, no new
 * record in the edge bucket) or one "R i start end cols" per file holding edge records.
 */
export const EDGE_PLAN_AWK = unindented(String.raw`
function path(from,    p, i) { p = $from; for (i = from + 1; i <= NF; i++) p = p "\t" $i; return p }
BEGIN { FS = "\t"; NEWEST = -1; OLD = -1 }
/^c/ {
  $0 = substr($0, 2)
  if ($1 == "N") { OLD = $2 + 0; if (OLD > NEWEST) NEWEST = OLD }
  else if ($1 == "F") CPATH[++cn] = path(5)
  else if ($1 == "o") CO[++no] = $0
  next
}
$1 == "F" { fi = $2; IDX[path(6)] = fi; next }
$1 == "N" { if ($2 + 0 > NEWEST) NEWEST = $2 + 0; next }
$1 == "C" { COLS[fi] = $2; next }
$1 == "m" { NEWB[$2] = 1; next }
$1 == "o" { RLO[fi, $2] = $3; RHI[fi, $2] = $4; NEWB[$2] = 1; next }
END {
  if (NEWEST < 0) exit
  start = NEWEST - W * 3600
  b0 = int(start / 3600); if (b0 * 3600 > start) b0--
  b0s = sprintf("%.0f", b0)
  printf "A\t%s\t%.0f\t%.0f\n", b0s, start, NEWEST
  if (MODE == "incremental" && NEWEST == OLD && !(b0s in NEWB)) { print "K"; exit }
  for (k = 1; k <= no; k++) {
    split(CO[k], q, "\t")
    if (q[3] != b0s || !(CPATH[q[2]] in IDX)) continue
    i = IDX[CPATH[q[2]]]
    if (!((i, b0s) in RLO) || q[4] + 0 < RLO[i, b0s] + 0) RLO[i, b0s] = q[4]
    if (!((i, b0s) in RHI) || q[5] + 0 > RHI[i, b0s] + 0) RHI[i, b0s] = q[5]
  }
  for (k in RLO) {
    split(k, q, SUBSEP)
    if (q[2] == b0s) printf "R\t%s\t%s\t%s\t%s\n", q[1], RLO[k], RHI[k], COLS[q[1]]
  }
}
`);
