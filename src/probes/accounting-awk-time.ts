/**
 * The accounting awk program's functions for instants (part of ACCOUNTING_AWK, accounting-awk.ts):
 * days from and to civil dates, ISO text of an instant, and the slow path of the time cache.
 * POSIX awk only, as the rest of the program; comments are dropped with it.
 */
export const ACCOUNTING_AWK_TIME = String.raw`function civil(y, m, d,    era, yoe, doy, doe) {
  y -= (m <= 2)
  era = int(y / 400)
  yoe = y - era * 400
  doy = int((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
  doe = yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy
  return era * 146097 + doe - 719468
}
function fmtdays(z,    era, doe, yoe, y, doy, mp, d, m) {
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
# Slow path of the time cache: sets E, HOUR; returns 0 when unreadable. A valid ISO time
# fills HC/HW[key] with the instant of its hour (offset applied) and the written hour.
function slowtime(s, key,    rest, sign, off, hb) {
  if (s ~ /^[0-9]+$/) {
    E = s + 0
    hb = int(E / 3600)
    if (!(hb in UH)) UH[hb] = substr(isotext(hb * 3600), 1, 13)
    HOUR = UH[hb]
    TEXT = isotext(E)
    return 1
  }
  if (s !~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]/) return 0
  rest = substr(s, 20)
  off = 0
  if (rest ~ /^[+-][0-9][0-9]:?[0-9][0-9]/) {
    sign = substr(rest, 1, 1)
    if (substr(rest, 4, 1) == ":") off = substr(rest, 2, 2) * 3600 + substr(rest, 5, 2) * 60
    else off = substr(rest, 2, 2) * 3600 + substr(rest, 4, 2) * 60
    if (sign == "-") off = -off
  }
  HC[key] = civil(substr(s, 1, 4) + 0, substr(s, 6, 2) + 0, substr(s, 9, 2) + 0) * 86400 + substr(s, 12, 2) * 3600 - off
  HW[key] = substr(s, 1, 10) " " substr(s, 12, 2)
  E = HC[key] + substr(s, 15, 2) * 60 + substr(s, 18, 2)
  HOUR = HW[key]
  TEXT = s
  return 1
}
`;
