/**
 * The accounting aggregation that runs ON the host: POSIX awk only (mawk is Debian's awk;
 * also gawk and busybox), no interval expressions, no gawk functions, no asort. Memory is the
 * aggregate maps only. Invoked as
 *   awk -v W=HOURS -v TOPN=N PROGRAM pass=1 FILES... pass=2 FILES...
 * Pass 1 finds the newest d/t/b instant; pass 2 aggregates the window (newest-W*3600, newest].
 * Output: tab-separated lines, one kind per first field (see accounting.ts parseAggregate).
 *
 * CSV per RFC 4180: a record continues on the next line while its quote count is odd
 * (CRLF inside quotes); fields are split on commas and re-joined while a quoted field is
 * open; "" inside quotes is one quote. Columns come from the header line (a record whose
 * first field is "type"), never fixed positions.
 */
export const ACCOUNTING_AWK = String.raw`
function nquotes(s) { return gsub(/"/, "\"", s) }
# Splits line into F[1..]; stops once "need" fields are known (0 = all). Returns the count.
function parse(line, need,    np, i, f, n, q) {
  q = index(line, "\"")
  if (q == 0) return split(line, F, ",")
  # Fast path: the needed columns all lie before the first quoted field.
  if (need > 0) {
    n = split(substr(line, 1, q - 1), F, ",")
    if (n - 1 >= need) return n - 1
  }
  np = split(line, P, ",")
  n = 0
  for (i = 1; i <= np && (need == 0 || n < need); i++) {
    f = P[i]
    if (substr(f, 1, 1) == "\"") {
      while (nquotes(f) % 2 == 1 && i < np) { i++; f = f "," P[i] }
      f = substr(f, 2)
      if (substr(f, length(f)) == "\"") f = substr(f, 1, length(f) - 1)
      gsub(/""/, "\"", f)
    }
    F[++n] = f
  }
  return n
}
function setcols(n,    i, h) {
  CT = CTIME = CR = CD = CI = 0
  for (i = 1; i <= n; i++) {
    h = F[i]; gsub(/^[ ]+|[ ]+$/, "", h)
    if (h == "type") CT = i
    else if (h == "timeLogged") CTIME = i
    else if (h == "rcpt") CR = i
    else if (h == "dsnDiag") CD = i
    else if (h == "dlvSourceIp") CI = i
  }
  needs()
}
# How many leading fields each pass must split: pass 1 reads type and time only.
function needs() {
  HAVEHDR = 1
  NEED1 = CT > CTIME ? CT : CTIME
  NEED2 = NEED1
  if (CR > NEED2) NEED2 = CR
  if (CD > NEED2) NEED2 = CD
  if (CI > NEED2) NEED2 = CI
}
function defaultcols() {
  CT = 1; CTIME = 2; CR = 5; CD = 9; CI = 15; needs()
}
function civil(y, m, d,    era, yoe, doy, doe) {
  y -= (m <= 2)
  era = int(y / 400)
  yoe = y - era * 400
  doy = int((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
  doe = yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy
  return era * 146097 + doe - 719468
}
function fmtdays(z, hh,    era, doe, yoe, y, doy, mp, d, m) {
  z += 719468
  era = int(z / 146097)
  doe = z - era * 146097
  yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
  y = yoe + era * 400
  doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100))
  mp = int((5 * doy + 2) / 153)
  d = doy - int((153 * mp + 2) / 5) + 1
  m = mp + (mp < 10 ? 3 : -9)
  y += (m <= 2)
  return sprintf("%04d-%02d-%02d", y, m, d)
}
function isotext(e,    days, s) {
  days = int(e / 86400); s = e - days * 86400
  return fmtdays(days) sprintf(" %02d:%02d:%02d+0000", int(s / 3600), int((s % 3600) / 60), s % 60)
}
# Epoch seconds of a timeLogged value; -1 when unreadable. Sets HOUR to the written hour.
function epoch(s,    rest, sign, off, e) {
  if (s ~ /^[0-9]+$/) {
    e = s + 0
    HOUR = substr(isotext(e), 1, 13)
    TEXT = isotext(e)
    return e
  }
  if (s !~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]/) return -1
  rest = substr(s, 20)
  off = 0
  if (rest ~ /^[+-][0-9][0-9]:?[0-9][0-9]/) {
    sign = substr(rest, 1, 1)
    if (substr(rest, 4, 1) == ":") off = substr(rest, 2, 2) * 3600 + substr(rest, 5, 2) * 60
    else off = substr(rest, 2, 2) * 3600 + substr(rest, 4, 2) * 60
    if (sign == "-") off = -off
  }
  HOUR = substr(s, 1, 10) " " substr(s, 12, 2)
  TEXT = s
  return civil(substr(s, 1, 4) + 0, substr(s, 6, 2) + 0, substr(s, 9, 2) + 0) * 86400 + substr(s, 12, 2) * 3600 + substr(s, 15, 2) * 60 + substr(s, 18, 2) - off
}
function clean(s) { gsub(/[\t\r\n\034]/, " ", s); return s }
BEGIN { FS = "\n"; NEWEST = -1; SINCE = -1; W = W + 0; if (W <= 0) W = 24; TOPN = TOPN + 0; if (TOPN <= 0) TOPN = 25 }
FNR == 1 {
  if (PENDING != "") { UNTERMINATED++; PENDING = "" }
  HAVEHDR = 0
  if (pass == 1) FILES++
  sub(/^\357\273\277/, "")
}
{
  line = $0
  if (PENDING != "") { line = PENDING "\n" line; PENDING = "" }
  if (nquotes(line) % 2 == 1) {
    if (length(line) > 1048576) { UNTERMINATED++; next }
    PENDING = line
    next
  }
  sub(/\r$/, "", line)
  if (line == "") next
  n = parse(line, HAVEHDR ? (pass == 1 ? NEED1 : NEED2) : 0)
  # The first record of a file is its header (any column order); a later record whose first
  # field is "type" is a new header (files concatenated).
  if (!HAVEHDR || F[1] == "type") {
    if (HAVEHDR) n = parse(line, 0)
    for (i = 1; i <= n; i++) if (F[i] == "type") break
    if (i <= n) { setcols(n); next }
    if (!HAVEHDR) { NOHEADER++; defaultcols() }
  }
  if (CT == 0 || CTIME == 0 || CT > n) { next }
  t = F[CT]
  if (t != "d" && t != "t" && t != "b") next
  e = (CTIME <= n) ? epoch(F[CTIME]) : -1
  if (e < 0) { if (pass == 1) BADTIME++; next }
  if (pass == 1) { if (e > NEWEST) { NEWEST = e; UNTIL = TEXT } ; next }
  if (e <= NEWEST - W * 3600 || e > NEWEST) next
  REC++
  if (SINCE < 0 || e < SINCE) { SINCE = e; SINCETEXT = TEXT }
  ip = (CI > 0 && CI <= n && F[CI] != "") ? clean(F[CI]) : "(none)"
  dom = "(none)"
  if (CR > 0 && CR <= n) {
    k = split(F[CR], parts, "@")
    if (k > 1 && parts[k] != "") dom = tolower(clean(parts[k]))
  }
  HOURS[HOUR] = 1; IPS[ip] = 1; DOMS[dom] = 1
  CNT[t, "h", HOUR]++; CNT[t, "i", ip]++; CNT[t, "d", dom]++
  if (t != "d") {
    diag = (CD > 0 && CD <= n) ? clean(substr(F[CD], 1, 60)) : ""
    G[dom SUBSEP diag]++
  }
  if (t == "t") TRANSIENT++
}
END {
  printf "V\t1\n"
  printf "W\t%d\n", W
  printf "F\t%d\n", FILES
  printf "R\t%d\n", REC
  printf "T\t%d\n", TRANSIENT
  if (NEWEST >= 0) printf "N\t%.0f\t%s\n", NEWEST, UNTIL
  if (SINCE >= 0) printf "S\t%.0f\t%s\n", SINCE, SINCETEXT
  if (BADTIME) printf "E\tbadtime\t%d\n", BADTIME
  if (NOHEADER) printf "E\tnoheader\t%d\n", NOHEADER
  if (UNTERMINATED || PENDING != "") printf "E\tunterminated\t%d\n", UNTERMINATED + (PENDING != "")
  for (h in HOURS) printf "H\t%s\t%d\t%d\t%d\n", h, CNT["d", "h", h], CNT["t", "h", h], CNT["b", "h", h]
  for (i in IPS) printf "I\t%s\t%d\t%d\t%d\n", i, CNT["d", "i", i], CNT["t", "i", i], CNT["b", "i", i]
  for (d in DOMS) printf "D\t%s\t%d\t%d\t%d\n", d, CNT["d", "d", d], CNT["t", "d", d], CNT["b", "d", d]
  for (k = 1; k <= TOPN; k++) {
    best = ""; bc = 0
    for (g in G) if (G[g] > bc || (G[g] == bc && g < best)) { best = g; bc = G[g] }
    if (bc == 0) break
    split(best, pp, SUBSEP)
    printf "G\t%s\t%d\t%s\n", pp[1], bc, pp[2]
    delete G[best]
  }
}
`;
