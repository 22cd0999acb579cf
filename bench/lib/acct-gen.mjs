/**
 * A realistic PowerMTA accounting file (POWERMTA.md "Accounting CSV", UG §11): the default
 * d/b/t header, a mix of d/t/b records with some r and f, quoted dlvEsmtpAvailable with
 * commas, real-world dsnDiag texts (some with commas, hence quoted), several domains and
 * source IPs, timestamps over several days. Deterministic (seeded), and it returns the true
 * counts so the benchmark can check both analyses.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

export const HEADER =
  'type,timeLogged,timeQueued,orig,rcpt,orcpt,dsnAction,dsnStatus,dsnDiag,dsnMta,bounceCat,srcType,srcMta,dlvType,dlvSourceIp,dlvDestinationIp,dlvEsmtpAvailable,dlvSize,vmta,jobId,envId,queue,vmtaPool';

const DOMAINS = [
  ['gmail.com', 30, '142.250.27.26'],
  ['yahoo.com', 14, '67.195.204.72'],
  ['outlook.com', 12, '52.101.8.37'],
  ['hotmail.com', 10, '52.101.40.2'],
  ['aol.com', 5, '67.195.204.77'],
  ['icloud.com', 6, '17.57.154.33'],
  ['comcast.net', 4, '96.102.18.146'],
  ['gmx.de', 4, '212.227.15.15'],
  ['web.de', 3, '212.227.15.3'],
  ['orange.fr', 4, '193.252.22.65'],
  ['example-corp.com', 8, '203.0.113.25'],
];
const SOURCE_IPS = Array.from({ length: 12 }, (_, i) => `198.51.100.${10 + i}`);
const ESMTP = ['"ENHANCEDSTATUSCODES,8BITMIME,SMTPUTF8"', '"PIPELINING,SIZE,ENHANCEDSTATUSCODES,8BITMIME,STARTTLS,CHUNKING"', '"SIZE,PIPELINING,8BITMIME"', '8BITMIME', ''];

/** A CSV field: quoted (quotes doubled) when it holds a comma, quote or line break. */
function csv(s) {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function delivered(domain, ip, r) {
  switch (domain) {
    case 'gmail.com':
      return `smtp;250 2.0.0 OK  ${1764000000 + r(9e6)} a${r(99)}si${r(999999)}qtb.${r(99)} - gsmtp`;
    case 'outlook.com':
    case 'hotmail.com':
      // Microsoft's 250 reply carries commas: the naive -F, split shifts every later column.
      return `smtp;250 2.6.0 <${r(1e9)}.JavaMail@mta.example.com> [InternalId=${r(1e12)}, Hostname=AM0PR0${r(9)}MB${r(9999)}.eurprd0${r(9)}.prod.exchangelabs.com] ${1000 + r(90000)} bytes in 0.${r(999)}, ${r(900)}.${r(9)} KB/sec Queued mail for delivery`;
    case 'yahoo.com':
    case 'aol.com':
      return 'smtp;250 ok dirdel';
    default:
      return `smtp;250 2.0.0 Ok: queued as 4N${r(1e8).toString(36).toUpperCase()}`;
  }
}

function deferred(domain, ip, r) {
  switch (domain) {
    case 'gmail.com':
      return `smtp;421-4.7.28 [${ip}      15] Our system has detected an unusual rate of unsolicited mail originating from your IP address. To protect our users from spam, mail sent from your IP address has been temporarily rate limited.`;
    case 'yahoo.com':
    case 'aol.com':
      return `smtp;421 4.7.0 [TSS04] Messages from ${ip} temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes`;
    case 'outlook.com':
    case 'hotmail.com':
      return `smtp;451 4.7.650 The mail server [${ip}] has been temporarily rate limited due to IP reputation. For e-mail delivery information, see https://postmaster.live.com (S775) [Name=Protocol Filter Agent][AGT=PFA][MxId=${r(1e15)}]`;
    default:
      return r(2) === 0 ? 'connect;no answer from host, connection timed out' : 'smtp;452 4.2.2 Mailbox full';
  }
}

const BOUNCES = [
  ['bad-mailbox', '5.1.1 (bad destination mailbox address)', "smtp;550 5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces."],
  ['inactive-mailbox', '5.2.1 (mailbox disabled)', 'smtp;550 5.2.1 The email account that you tried to reach is disabled.'],
  ['policy-related', '5.7.1 (delivery not authorized, message refused)', 'smtp;550 5.7.1 Service unavailable, Client host [{ip}] blocked using Spamhaus. To request removal from this list see https://www.spamhaus.org/query/ip/{ip}'],
  ['quota-issues', '5.2.2 (mailbox full)', 'smtp;552 5.2.2 The email account that you tried to reach is over quota.'],
];

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function iso(epochSec) {
  return new Date(epochSec * 1000).toISOString().slice(0, 19).replace('T', ' ') + '+0000';
}

/**
 * Writes about `targetBytes` of accounting CSV to `file`. Returns the truth: records per type,
 * delivered per source IP and per hour, and how many d records the naive `-F,` split gives a
 * wrong 15th column (dlvSourceIp).
 */
export function generateAccounting(file, targetBytes, { seed = 7, days = 5, start = Date.UTC(2026, 10, 23) / 1000, append = false } = {}) {
  const rand = mulberry32(seed);
  const r = (n) => Math.floor(rand() * n);
  const weighted = DOMAINS.flatMap(([d, w, mx]) => Array.from({ length: w }, () => [d, mx]));
  const truth = { bytes: 0, lines: append ? 0 : 1, byType: { d: 0, t: 0, b: 0, r: 0, f: 0 }, deliveredByIp: {}, deliveredByHour: {}, naiveWrongIpColumn: 0, quotedCommaRecords: 0, first: null, last: null };
  const span = days * 86400;
  // append: more records at the end of an existing file (no header), as PowerMTA writes them.
  const fd = openSync(file, append ? 'a' : 'w');
  let chunk = append ? '' : HEADER + '\n';
  let written = 0;
  let lastSec = -1;
  let lastIso = '';
  try {
    for (;;) {
      const sec = start + Math.floor((span * (written + chunk.length)) / targetBytes);
      if (sec !== lastSec) {
        lastSec = sec;
        lastIso = iso(sec);
      }
      const roll = r(1000);
      const type = roll < 780 ? 'd' : roll < 900 ? 't' : roll < 940 ? 'b' : roll < 990 ? 'r' : 'f';
      const [domain, mx] = weighted[r(weighted.length)];
      const ip = SOURCE_IPS[r(SOURCE_IPS.length)];
      const user = `u${r(5_000_000)}`;
      const job = `Job${r(90000)}`;
      const queued = iso(sec - r(type === 't' ? 7200 : 120));
      const orig = `bounce-${job}-${user}=${domain}@bounce.sender.example`;
      const rcpt = `${user}@${domain}`;
      const vmta = `vmta${1 + SOURCE_IPS.indexOf(ip)}`;
      let fields;
      if (type === 'r') {
        fields = ['r', lastIso, lastIso, orig, rcpt, '', '', '', '', '', '', 'smtp', `app${r(4)}.sender.example (10.0.0.${r(250)})`, '', '', '', '', String(2000 + r(60000)), '', job, '', '', ''];
      } else if (type === 'f') {
        fields = ['f', lastIso, '', orig, rcpt, '', '', '', '', '', '', '', '', '', '', '', '', '', '', job, '', '', ''];
      } else {
        let action, status, diag, cat;
        if (type === 'd') [action, status, diag, cat] = ['relayed', '2.0.0 (success)', delivered(domain, ip, r), ''];
        else if (type === 't') [action, status, diag, cat] = ['delayed', '4.7.0 (other or undefined security status)', deferred(domain, ip, r), 'policy-related'];
        else {
          const [c, s, dg] = BOUNCES[r(BOUNCES.length)];
          [action, status, diag, cat] = ['failed', s, dg.replaceAll('{ip}', ip), c];
        }
        fields = [type, lastIso, queued, orig, rcpt, '', action, status, csv(diag), `mx.${domain} (${mx})`, cat, 'smtp', `app${r(4)}.sender.example (10.0.0.${r(250)})`, 'smtp', ip, mx, type === 'b' ? '' : ESMTP[r(ESMTP.length)], type === 'd' ? String(2000 + r(60000)) : '', vmta, job, '', `${domain}/${vmta}`, 'default'];
      }
      const line = fields.join(',');
      if (written + chunk.length + line.length + 1 > targetBytes) break;
      truth.byType[type]++;
      if (line.includes('"')) truth.quotedCommaRecords++;
      if (type === 'd') {
        truth.deliveredByIp[ip] = (truth.deliveredByIp[ip] ?? 0) + 1;
        const hour = lastIso.slice(0, 13);
        truth.deliveredByHour[hour] = (truth.deliveredByHour[hour] ?? 0) + 1;
        if (line.split(',')[14] !== ip) truth.naiveWrongIpColumn++;
      }
      truth.first ??= lastIso;
      truth.last = lastIso;
      truth.lastEpoch = sec;
      truth.lines++;
      chunk += line + '\n';
      if (chunk.length >= 4 << 20) {
        written += writeSync(fd, chunk);
        chunk = '';
      }
    }
    written += writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
  truth.bytes = written;
  return truth;
}
