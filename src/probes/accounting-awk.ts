import { withoutCommentLines } from './comments.js';
import { ACCOUNTING_AWK_TIME } from './accounting-awk-time.js';

/**
 * Comment lines and indentation dropped: awk ignores both, and the whole probe batch must fit
 * in one SSH exec request (see comments.ts; ssh2-based servers take about 35,000 bytes).
 */
export const unindented = (text: string): string => withoutCommentLines(text).replace(/^[ \t]+/gm, '');

/**
 * The accounting aggregation that runs ON the host: POSIX awk only (mawk is Debian's awk;
 * also gawk and busybox), no interval expressions, no gawk functions. One pass per file.
 *
 * Records are aggregated per UTC hour of their instant (a "bucket", epoch / 3600), so the
 * runner can merge the partials of several files or of several audits (the incremental
 * cursor) and take any window: buckets wholly inside the window add up, and the one bucket
 * the window start cuts through is re-read exactly by MODE=edge over the byte ranges that
 * MODE=scan reports per bucket. See accounting-merge.ts for the other side.
 *
 * Variables (-v): MODE scan|edge; BASE byte offset of the first input byte in the file;
 * LIMIT file size at start (bytes past it are a record still being written: not read);
 * STOP stop at the first record starting at or after this offset (parallel chunks);
 * COLS "type time rcpt diag ip cat status mta queue" column numbers when the input does not start with the header
 * (a tail of the file); MINB skip records of buckets below it (they cannot be in the window);
 * TYPES the record types to count, "d,t,b,tq,rb" when empty (a type another acct file holds
 * is not counted twice); tq and rb only feed the failure details (c), never the d/t/b counts;
 * for MODE=edge also EDGEB, START, TOP (only bucket EDGEB, START < e <= NEWEST).
 *
 * Output (tab-separated, first field the kind): N newest e and text; m bucket min-e text;
 * h bucket hour d t b (per written hour); x bucket ip domain d t b policy tq (policy: b
 * refused for policy/spam or 5.7.x; tq: queue failures); c bucket type domain bounceCat
 * status count pattern (t, b, tq, rb records; pattern: the first 100 bytes of dsnDiag);
 * H domain mx. The per-IP and per-domain counts and the dsnDiag groups are sums of x and c
 * lines: the runner adds them up (accounting-merge.ts), the host prints less;
 * o bucket first-offset end-offset; C columns; Y header lines seen; L end offset of the
 * last complete record (where the next read starts); Q oldest e and text of the counted types
 * (how far back the file reaches, before MINB); P 1 when the last line is still being written
 * (no line end yet: not counted, read by the next audit);
 * E kind count (warnings; notime: records of a file without a timeLogged column).
 *
 * CSV per RFC 4180: a record continues on the next line while its quote count is odd (line
 * breaks inside quotes); quoted fields are decoded by splitting on the quote character, so
 * a line with quotes costs a few splits, not a loop over characters.
 */
export const ACCOUNTING_AWK = unindented(String.raw`
# Quote-aware split of line (already split on quotes into Q[1..nq]: odd pieces outside
# quotes, even inside) into F[1..]; need = how many leading fields must be right.
function parseq(need, nq,    m) {
  m = split(Q[1], F, ",")
  # Fast path: the needed fields all lie before the first quote.
  if (m - 1 >= need) return m - 1
  if ((m = parse1(need, nq, m)) >= 0) return m
  if (index(line, "\002")) return parseold(line)
  return parsej(need, nq)
}
# Next fastest: one well-formed quoted field (field m) before the last needed one: the
# needed fields after it are read from the split of the piece after its closing quote.
function parse1(need, nq, m,    k, last) {
  if (m == 0) { m = 1; F[1] = "" }
  if (nq < 3 || F[m] != "" || substr(Q[3], 1, 1) != ",") return -1
  k = split(Q[3], S, ",")
  # S[k] is a partial field when another quote follows.
  last = m + k - 2 + (nq == 3)
  if (last < need) return -1
  F[m] = Q[2]
  if (CT > m) F[CT] = S[CT - m + 1]
  if (CTIME > m) F[CTIME] = S[CTIME - m + 1]
  if (CR > m) F[CR] = S[CR - m + 1]
  if (CD > m) F[CD] = S[CD - m + 1]
  if (CI > m) F[CI] = S[CI - m + 1]
  if (CC > m) F[CC] = S[CC - m + 1]
  if (CS > m) F[CS] = S[CS - m + 1]
  if (CX > m) F[CX] = S[CX - m + 1]
  return last
}
# Usual path: join the pieces with the commas inside quotes masked, split once. Quotes that
# do not open or close a field (malformed CSV) go to parseold, which keeps them.
function parsej(need, nq,    i, j, r, n, fc) {
  r = Q[1]
  if (r != "" && substr(r, length(r)) != ",") return parseold(line)
  # fc: fields complete so far; the pieces after the needed fields are not looked at.
  fc = split(r, S, ",") - 1
  for (i = 2; i <= nq && fc < need; i++) {
    j = Q[i]
    if (i % 2 == 0) { if (index(j, ",")) gsub(/,/, "\002", j) }
    else if (j == "") { if (i < nq) j = "\"" }
    else if (substr(j, 1, 1) != ",") return parseold(line)
    else if (i < nq && substr(j, length(j)) != ",") return parseold(line)
    else fc += split(j, S, ",") - 1
    r = r j
  }
  n = split(r, F, ",")
  if (index(r, "\002")) {
    # Unmask only the fields the analysis reads (all of them for a header).
    if (!HAVEHDR) { for (i = 1; i <= n; i++) if (index(F[i], "\002")) gsub(/\002/, ",", F[i]) }
    else {
      if (index(F[CD], "\002")) gsub(/\002/, ",", F[CD])
      if (index(F[CR], "\002")) gsub(/\002/, ",", F[CR])
      if (index(F[CI], "\002")) gsub(/\002/, ",", F[CI])
      if (index(F[CT], "\002")) gsub(/\002/, ",", F[CT])
      if (index(F[CTIME], "\002")) gsub(/\002/, ",", F[CTIME])
    }
  }
  return n
}
# Field by field: a field starting with a quote runs to the comma after its closing quote;
# the outer quotes are dropped and "" is one quote; other quotes are kept as they are.
function parseold(line,    np, i, f, n) {
  np = split(line, P, ",")
  n = 0
  for (i = 1; i <= np; i++) {
    f = P[i]
    if (substr(f, 1, 1) == "\"") {
      while (gsub(/"/, "\"", f) % 2 == 1 && i < np) { i++; f = f "," P[i] }
      f = substr(f, 2)
      if (substr(f, length(f)) == "\"") f = substr(f, 1, length(f) - 1)
      gsub(/""/, "\"", f)
    }
    F[++n] = f
  }
  return n
}
function setcols(n,    i, h) {
  CT = CTIME = CR = CD = CI = CC = CS = CX = CQ = 0
  HEADERS++
  for (i = 1; i <= n; i++) {
    h = F[i]; gsub(/^[ ]+|[ ]+$/, "", h)
    if (h == "type") CT = i
    else if (h == "timeLogged") CTIME = i
    else if (h == "rcpt") CR = i
    else if (h == "dsnDiag") CD = i
    else if (h == "dlvSourceIp") CI = i
    else if (h == "bounceCat") CC = i
    else if (h == "dsnStatus") CS = i
    else if (h == "dsnMta") CX = i
    else if (h == "queue") CQ = i
  }
  needs()
}
function needs() {
  HAVEHDR = 1
  # FAST: records before MINB may be skipped on their type and time fields alone (below).
  FAST = CT == 1 && CTIME == 2 && MINB > -1e18
  NEED = CT > CTIME ? CT : CTIME
  if (CR > NEED) NEED = CR
  if (CD > NEED) NEED = CD
  if (CI > NEED) NEED = CI
  if (CC > NEED) NEED = CC
  if (CS > NEED) NEED = CS
  if (CX > NEED) NEED = CX
}
${ACCOUNTING_AWK_TIME}function clean(s) { gsub(/[\t\r\n\034]/, " ", s); return s }
function flushb() { if (CB != "") OEND[CB] = CEND }
BEGIN {
  FS = "\n"; NEWEST = -1; MINB = MINB == "" ? -1e18 : MINB + 0
  OFF = BASE + 0; LIMIT = LIMIT == "" ? 1e18 : LIMIT + 0; STOP = STOP == "" ? 1e18 : STOP + 0; CB = ""
  EDGE = MODE == "edge"; START = START + 0; TOP = TOP + 0; EDGEB = EDGEB + 0
  # ":MM:SS" -> seconds + 1 (so a missing key reads as "")
  for (i = 0; i < 100; i++) for (j = 0; j < 100; j++) MSS[sprintf(":%02d:%02d", i, j)] = i * 60 + j + 1
  if (TYPES == "") TYPES = "d,t,b,tq,rb"
  split(TYPES, c, ","); for (i in c) RTY[c[i]] = 1
  DTB["d"] = DTB["t"] = DTB["b"] = 1
  if (COLS != "") { split(COLS, c, " "); CT = c[1] + 0; CTIME = c[2] + 0; CR = c[3] + 0; CD = c[4] + 0; CI = c[5] + 0; CC = c[6] + 0; CS = c[7] + 0; CX = c[8] + 0; CQ = c[9] + 0; needs() }
}
{
  SO = OFF
  OFF += length($0) + 1
  if (OFF > LIMIT) { TRUNC = 1; PEND = SO < LIMIT; exit }
  # STOP: a parallel chunk ends at the first record starting at or after it.
  if (SO >= STOP && PENDING == "") { TRUNC = 1; exit }
  # Before the window (bucket < MINB: most of a long file for the 24 h window) a record is
  # skipped on its first two fields, type and time, when they are plain (no quotes) and the
  # line holds whole quoted fields; else, and for a time not seen yet, the full path decides.
  if (FAST && PENDING == "" && FNR > 1 && (fp = index($0, ",")) > 1) {
    t = substr($0, 1, fp - 1); s = substr($0, fp + 1, 40)
    if ((fq = index(s, ",")) && t != "type" && !index(t, "\"") && !index(s = substr(s, 1, fq - 1), "\"")) {
      # (An odd quote count opens a field that runs on: the full path joins the lines.)
      if (!(t in RTY)) { if (!index($0, "\"") || split($0, Q, "\"") % 2) next }
      else {
        if (LSOK && s == LS) { e = LE; b = LB; TEXT = LT }
        else if ((hk = substr(s, 1, 13) substr(s, 20, 6)) in HC && (mk = substr(s, 14, 6)) in MSS) {
          e = HC[hk] + MSS[mk] - 1; b = int(e / 3600); if (e < 0 && b * 3600 > e) b--; TEXT = s
        } else b = MINB
        if (b < MINB && (!index($0, "\"") || split($0, Q, "\"") % 2)) {
          if (length(t) == 1) {
            if (e > NEWEST) { NEWEST = e; UNTIL = TEXT }
            if (OLDE == "" || e < OLDE) { OLDE = e; OLDT = TEXT }
          }
          next
        }
      }
    }
  }
  if (PENDING != "") {
    line = PENDING "\n" $0; SO = PSTART; PENDING = ""
    nq = split(line, Q, "\"")
  } else if (index($0, "\"")) { line = $0; nq = split(line, Q, "\"") }
  else nq = 0
  if (nq % 2 == 0 && nq > 0) {
    if (length(line) > 1048576) { UNTERMINATED++; next }
    PENDING = line; PSTART = SO
    next
  }
  # CRLF: the CR is not part of the last field.
  if (nq && substr(Q[nq], length(Q[nq])) == "\r") { Q[nq] = substr(Q[nq], 1, length(Q[nq]) - 1); line = substr(line, 1, length(line) - 1) }
  if (FNR == 1) { line = nq ? line : $0; if (sub(/^\357\273\277/, "", line)) nq = nq ? split(line, Q, "\"") : 0 }
  if (nq) n = parseq(HAVEHDR ? NEED : 1e9, nq)
  else {
    n = FNR == 1 ? split(line, F, ",") : split($0, F, ",")
    # A CR of CRLF ends the last field, which matters only when a needed field is the last.
    if (n <= NEED || !HAVEHDR) sub(/\r$/, "", F[n])
  }
  # The first record of a file is its header (any column order); a later record whose first
  # field is "type" is a new header (files concatenated).
  if (!HAVEHDR || F[1] == "type") {
    if (HAVEHDR && nq) n = parseq(1e9, nq)
    for (i = 1; i <= n; i++) if (F[i] == "type") break
    if (i <= n) { setcols(n); next }
    if (!HAVEHDR) { NOHEADER++; CT = 1; CTIME = 2; CR = 5; CD = 9; CI = 15; CC = 11; CS = 8; CX = 10; CQ = 22; needs() }
  }
  if (CT == 0 || CT > n) next
  t = F[CT]
  if (!(t in RTY)) next
  if (CTIME == 0) { if (t in DTB) NOTIME++; next }
  # tq/rb are read for the failure details only: they do not move the window (newest d/t/b).
  main = length(t) == 1
  s = CTIME <= n ? F[CTIME] : ""
  # Records come several to a second: the previous record's instant is reused as it is
  # (LS: its time text; LSOK: there is one).
  if (!LSOK || s != LS) {
    # Time cache: the instant of each written hour + offset ("YYYY-MM-DD HH" "+0100"), then
    # ":MM:SS" from a table (which also checks the digits).
    hk = substr(s, 1, 13) substr(s, 20, 6)
    if (hk != CHK) {
      # CHA: the hour starts on a UTC hour (whole-hour offset), so it is one bucket.
      # CPK: the aggregation key prefix, built once per hour (number to string is costly).
      if (hk in HC) { CHK = hk; CHE = HC[hk]; CHW = HW[hk]; CHA = CHE % 3600 == 0; CHB = int(CHE / 3600); CPK = sprintf("%.0f", CHB) SUBSEP CHW SUBSEP }
      else CHK = ""
    }
    x = CHK == "" ? "" : MSS[substr(s, 14, 6)]
    if (x == "") {
      if (CHK != "") delete MSS[substr(s, 14, 6)]
      if (!slowtime(s, hk)) { if (main) BADTIME++; next }
      e = E
    } else { e = CHE + x - 1; HOUR = CHW; TEXT = s }
    if (x != "" && CHA) { b = CHB; PK = CPK }
    else { b = int(e / 3600); if (e < 0 && b * 3600 > e) b--; PK = sprintf("%.0f", b) SUBSEP HOUR SUBSEP }
    # A tq/rb time is not reused: the next d/t/b record must reach the OLDE check.
    LS = s; LE = e; LB = b; LPK = PK; LT = TEXT; LSOK = main
    if (main && (OLDE == "" || e < OLDE)) { OLDE = e; OLDT = TEXT }
  } else { e = LE; b = LB; PK = LPK; TEXT = LT }
  if (e > NEWEST && main) { NEWEST = e; UNTIL = TEXT }
  if (b < MINB) next
  if (EDGE && (b != EDGEB || e <= START || e > TOP)) next
  if (b != CB) {
    flushb(); CB = b
    if (!(b in OMIN)) OMIN[b] = SO
    CM = b in MINE ? MINE[b] : 1e18
  }
  CEND = OFF
  # The bucket's first instant (for "since") is a d/t/b record's; its byte range holds all.
  if (e < CM && main) { CM = e; MINE[b] = e; MINT[b] = TEXT }
  # Column 0 (absent) reads F[0], which is never set.
  ip = CI <= n ? F[CI] : ""
  # The domain: after the last "@"; "\001" stands for none.
  k = CR <= n ? split(F[CR], A, "@") : 0
  dom = k > 1 && A[k] != "" ? A[k] : "\001"
  # A tq record names no recipient: its queue "domain/vmta" does (UG §11.2.5). tq is one record
  # per failed attempt at a whole queue (a connection), not per recipient: counted as queue
  # failures (c), never as deferrals, whose rate is per recipient.
  if (!main && dom == "\001" && t == "tq") {
    if (nq) n = parseq(1e9, nq)
    dom = CQ > 0 && CQ <= n ? F[CQ] : ""
    sub(/\/[^\/]*$/, "", dom)
    if (dom == "") dom = "\001"
  }
  if (index(dom, SUBSEP)) dom = clean(dom)
  # The IP goes last: a SUBSEP inside it is rejoined at the end.
  K = PK dom SUBSEP ip
  if (t == "d") { KD[K]++; next }
  # The receiving MX of the domain (dsnMta "host (ip)"), once, from its failures (the domains
  # that matter for reputation): ISP grouping by MX.
  if (!(dom in MXS) && CX > 0 && CX <= n && F[CX] != "") { x = F[CX]; if (i = index(x, " ")) x = substr(x, 1, i - 1); MXS[dom] = x }
  # The first 100 bytes of dsnDiag: the runner normalises them (diag-normalise.ts) and keeps
  # 60; the extra bytes absorb IPs and ids of different lengths before the cut.
  pat = CD > 0 && CD <= n ? substr(F[CD], 1, 100) : ""
  if (index(pat, SUBSEP)) pat = clean(pat)
  cat = CC > 0 && CC <= n ? F[CC] : ""
  # "5.7.1 (delivery not authorized)": the code is in the first 10 bytes (a shorter key).
  st = CS > 0 && CS <= n ? substr(F[CS], 1, 10) : ""
  if (t == "t") KT[K]++
  else if (t == "b") {
    KB[K]++
    # Per IP: refused for policy or spam (UG §11.2.3 bounceCat) or with a 5.7.x status.
    if (cat == "policy-related" || cat == "spam-related" || substr(st, 1, 4) == "5.7.") KP[K]++
  } else if (t == "tq") KQ[K]++
  # Failures by domain, bounceCat, dsnStatus (the runner keeps its code) and dsnDiag, without
  # the IP (per record, a smaller key costs less); the runner sums the dsnDiag groups from them.
  if (index(cat, SUBSEP) || index(st, SUBSEP)) { cat = clean(cat); st = clean(st) }
  KC[PK t SUBSEP dom SUBSEP cat SUBSEP st SUBSEP pat]++
}
END {
  flushb()
  if (PENDING != "") { OFF = PSTART; if (!TRUNC) UNTERMINATED++ }
  else if (TRUNC) OFF = SO
  # L: where the next incremental read starts (a record still being written is left for it).
  printf "L\t%.0f\n", (OFF > LIMIT ? LIMIT : OFF)
  if (HAVEHDR) printf "C\t%d %d %d %d %d %d %d %d %d\n", CT, CTIME, CR, CD, CI, CC, CS, CX, CQ
  printf "Y\t%d\n", HEADERS
  if (NEWEST >= 0) printf "N\t%.0f\t%s\n", NEWEST, UNTIL
  if (BADTIME && !EDGE) printf "E\tbadtime\t%d\n", BADTIME
  if (NOHEADER && !EDGE) printf "E\tnoheader\t%d\n", NOHEADER
  if (UNTERMINATED && !EDGE) printf "E\tunterminated\t%d\n", UNTERMINATED
  if (NOTIME && !EDGE) printf "E\tnotime\t%d\n", NOTIME
  if (OLDE != "" && !EDGE) printf "Q\t%.0f\t%s\n", OLDE, OLDT
  if (PEND && !EDGE) print "P\t1"
  for (b in MINE) printf "m\t%s\t%.0f\t%s\n", b, MINE[b], MINT[b]
  for (b in OMIN) printf "o\t%s\t%.0f\t%.0f\n", b, OMIN[b], OEND[b]
  for (K in KD) X[K] = 1
  for (K in KT) X[K] = 1
  for (K in KB) X[K] = 1
  for (K in KQ) X[K] = 1
  for (K in X) {
    k = split(K, p, SUBSEP)
    ip = p[4]; for (i = 5; i <= k; i++) ip = ip " " p[i]
    p[4] = p[3] == "\001" ? "(none)" : tolower(clean(p[3])); p[3] = ip == "" ? "(none)" : clean(ip)
    # Per (source IP, domain): rates per IP at one ISP, policy/spam bounces, tq failures.
    XK = p[1] SUBSEP p[3] SUBSEP p[4]; XD[XK] += KD[K]; XT[XK] += KT[K]; XB[XK] += KB[K]; XP[XK] += KP[K]; XQ[XK] += KQ[K]
    if (KD[K] + KT[K] + KB[K] == 0) continue
    HH[p[1] SUBSEP p[2]] = 1
    SD[p[1], p[2]] += KD[K]; ST[p[1], p[2]] += KT[K]; SB[p[1], p[2]] += KB[K]
  }
  for (K in XD) { split(K, p, SUBSEP); printf "x\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\n", p[1], p[2], p[3], XD[K], XT[K], XB[K], XP[K], XQ[K] }
  for (K in KC) {
    k = split(K, p, SUBSEP)
    for (i = 8; i <= k; i++) p[7] = p[7] " " p[i]
    # E-mail addresses after the reply code become "<addr>" as the runner's normalising does
    # (diag-normalise.ts; not where a URL is, which it reads first): a group per error, not
    # per recipient.
    if (index(p[7], "@") && !index(p[7], "://")) {
      x = match(p[7], /^([A-Za-z]+;)?[ ]*[2-5][0-9][0-9]([ -][2-5]\.[0-9]+\.[0-9]+)?[ -]?/) ? RLENGTH : 0
      r = substr(p[7], x + 1)
      gsub(/<[^<> ]+@[^<> ]+>/, "<addr>", r); gsub(/[^] <>()[",;:]+@[^] <>()[",;:]+/, "<addr>", r)
      p[7] = substr(p[7], 1, x) r
    }
    CK[p[1] SUBSEP p[3] SUBSEP (p[4] == "\001" ? "(none)" : tolower(clean(p[4]))) SUBSEP clean(p[5]) SUBSEP clean(p[6]) SUBSEP clean(p[7])] += KC[K]
  }
  # c: bucket type domain bounceCat dsnStatus count pattern.
  for (K in CK) { split(K, p, SUBSEP); printf "c\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", p[1], p[2], p[3], p[4], p[5], CK[K], p[6] }
  for (K in MXS) if (K != "\001") printf "H\t%s\t%s\n", tolower(clean(K)), tolower(clean(MXS[K]))
  for (K in HH) { split(K, p, SUBSEP); printf "h\t%s\t%s\t%d\t%d\t%d\n", p[1], p[2], SD[K], ST[K], SB[K] }
}
`);
