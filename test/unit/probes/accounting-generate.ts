/**
 * Hostile-but-valid PowerMTA accounting CSV: reordered and extra columns (a union-of-columns
 * header), quoted fields with commas, doubled quotes and CRLF inside quotes, LF or CRLF line
 * ends, record types the analysis must skip, offsets that change like DST, Unix times, long
 * and non-ASCII dsnDiag values, empty source IPs and a few unreadable times.
 */
import { prng } from '../../helpers/prng.js';

/** Seeded, so a failing case can be replayed. */
export const rng = prng;

const BASE_COLUMNS = ['type', 'timeLogged', 'timeQueued', 'orig', 'rcpt', 'orcpt', 'dsnAction', 'dsnStatus', 'dsnDiag', 'dsnMta', 'bounceCat', 'srcType', 'srcMta', 'dlvType', 'dlvSourceIp', 'dlvDestinationIp', 'dlvEsmtpAvailable', 'dlvSize', 'vmta', 'jobId', 'envId', 'queue', 'vmtaPool'];
const EXTRA = ['feedbackType', 'userAgent', 'header_x-id'];
const TYPES = ['d', 'd', 'd', 'd', 't', 't', 'b', 'r', 'tq', 'f', 'rb'];
const DOMAINS = ['gmail.com', 'Gmail.COM', 'yahoo.com', 'outlook.com', 'example.org', 'xn--bcher-kva.example'];
const IPS = ['198.51.100.10', '198.51.100.11', '198.51.100.12', '', '203.0.113.5'];
const DIAGS = [
  'smtp;250 2.0.0 OK 1700000000 x12si',
  'smtp;421 4.7.0 [198.51.100.10] Our system has detected an unusual rate of unsolicited mail, try later',
  'smtp;451 4.7.650 The mail server [198.51.100.11] has been temporarily rate limited due to IP reputation.',
  'smtp;550 5.1.1 "no such user", please check',
  'smtp;421 4.7.0 Try again later, closing connection.\r\n(multi-line reply)',
  'smtp;554 5.7.1 Message rejected: contenu refusé — politique anti-spam «strict» ééééééééé',
  'said: "quoted ""twice"" here", and, commas',
  '',
];

function csvField(value: string, r: () => number): string {
  if (/[",\r\n]/.test(value) || (value !== '' && r() < 0.1)) return `"${value.replace(/"/g, '""')}"`;
  return value;
}

function pick<T>(list: readonly T[], r: () => number): T {
  return list[Math.floor(r() * list.length)];
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** One file; `start` is the epoch of its first record, records ~`step` seconds apart. */
export function generateAcct(seed: number, options: { records: number; start: number; step: number; crlf?: boolean; unix?: boolean; standardColumns?: boolean }): string {
  const r = rng(seed);
  // standardColumns: PowerMTA's default order (type, timeLogged first), extra columns after.
  const columns = options.standardColumns ? [...BASE_COLUMNS, ...EXTRA] : [...BASE_COLUMNS, ...EXTRA].sort(() => r() - 0.5);
  const eol = options.crlf ? '\r\n' : '\n';
  const lines = [columns.join(',')];
  let t = options.start;
  for (let i = 0; i < options.records; i++) {
    t += Math.floor(r() * options.step * 2);
    // Offsets change mid-file like a DST switch (+0100 -> +0200) and differ between sources.
    const offsetHours = pick([0, 1, 2, -5, 5.5], r);
    const local = new Date((t + offsetHours * 3600) * 1000);
    const sign = offsetHours < 0 ? '-' : '+';
    const abs = Math.abs(offsetHours);
    const iso = `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())} ${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}${sign}${pad(Math.floor(abs))}${pad((abs % 1) * 60)}`;
    const time = options.unix && r() < 0.7 ? String(t) : r() < 0.005 ? 'garbage' : iso;
    const domain = pick(DOMAINS, r);
    const values: Record<string, string> = {
      type: pick(TYPES, r),
      timeLogged: time,
      timeQueued: iso,
      orig: 'bounce@sender.example',
      rcpt: r() < 0.02 ? 'postmaster' : `user${i}@${domain}`,
      dsnDiag: pick(DIAGS, r),
      dlvSourceIp: pick(IPS, r),
      dlvEsmtpAvailable: 'ENHANCEDSTATUSCODES,8BITMIME,SMTPUTF8',
      dlvSize: String(Math.floor(r() * 100000)),
      vmta: `vmta${Math.floor(r() * 5)}`,
      userAgent: 'Agent "X", v1',
    };
    lines.push(columns.map((c) => csvField(values[c] ?? '', r)).join(','));
  }
  return lines.join(eol) + eol;
}
