// Accounting records in PowerMTA's CSV format (UG §11): header first, RFC 4180 quoting.

export const ACCT_HEADER = ['type', 'timeLogged', 'timeQueued', 'orig', 'rcpt', 'orcpt', 'dsnAction', 'dsnStatus', 'dsnDiag', 'dsnMta', 'bounceCat', 'srcType', 'srcMta', 'dlvType', 'dlvSourceIp', 'dlvDestinationIp', 'dlvEsmtpAvailable', 'dlvSize', 'vmta', 'jobId', 'envId', 'queue', 'vmtaPool'];

export const ESMTP = 'ENHANCEDSTATUSCODES,8BITMIME,SMTPUTF8,PIPELINING,SIZE';

/** One CSV field: quoted when it holds a comma, quote, CR or LF; quotes doubled. */
export function csvField(value) {
  const s = value === null || value === undefined ? '' : String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(fields) {
  return fields.map(csvField).join(',') + '\n';
}

function pad(n, w = 2) {
  return String(n).padStart(w, '0');
}

/** `YYYY-MM-DD HH:MM:SS+0000` (iso-times yes; the simulator logs in UTC). */
export function isoTime(ms) {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}+0000`;
}

const STATUS_TEXT = {
  '2.0.0': '2.0.0 (success)',
  '4.7.0': '4.7.0 (other or undefined security status)',
  '4.7.650': '4.7.650 (other or undefined security status)',
  '4.4.1': '4.4.1 (no answer from host)',
  '5.1.1': '5.1.1 (bad destination mailbox address)',
  '5.7.1': '5.7.1 (delivery not authorized)',
};

/** The CSV fields of a record, with both times already formatted. */
function acctFields(rec, timeLogged, timeQueued) {
  const action = { d: 'relayed', t: 'delayed', b: 'failed' }[rec.type];
  const row = {
    type: rec.type,
    timeLogged,
    timeQueued,
    orig: rec.orig,
    rcpt: rec.rcpt,
    orcpt: '',
    dsnAction: action,
    dsnStatus: STATUS_TEXT[rec.status] ?? rec.status,
    dsnDiag: rec.diag,
    dsnMta: rec.mxHost ? `${rec.mxHost} (${rec.mxIp})` : '',
    bounceCat: rec.bounceCat ?? '',
    srcType: 'smtp',
    srcMta: `${rec.hostName} (127.0.0.1)`,
    dlvType: 'smtp',
    dlvSourceIp: rec.sourceIp,
    dlvDestinationIp: rec.mxIp ?? '',
    dlvEsmtpAvailable: rec.mxIp ? ESMTP : '',
    dlvSize: rec.type === 'd' ? rec.size : '',
    vmta: rec.vmta,
    jobId: rec.jobId ?? '',
    envId: '',
    queue: `${rec.queue ?? rec.domain}/${rec.vmta}`,
    vmtaPool: rec.pool ?? '',
  };
  return ACCT_HEADER.map((k) => row[k]);
}

/**
 * A record as CSV line. rec: { type:'d'|'t'|'b', timeLogged, timeQueued (ms), orig, rcpt,
 * status ('2.0.0'...), diag, mxHost, mxIp, bounceCat, sourceIp, size, vmta, jobId, domain, pool, hostName }.
 */
export function acctRecord(rec) {
  return csvLine(acctFields(rec, isoTime(rec.timeLogged), isoTime(rec.timeQueued)));
}

/** Placeholders for the fields that vary between records of one template (never in real data). */
export const SLOT = { timeLogged: '\u0000L', timeQueued: '\u0000Q', rcpt: '\u0000R', jobId: '\u0000J' };
const SLOT_KEY = { L: 'timeLogged', Q: 'timeQueued', R: 'rcpt', J: 'jobId' };

/** True when a value can stand in a slot: it would not change the CSV quoting of its field. */
export const slotSafe = (value) => !/[",\r\n\u0000]/.test(value);

/**
 * A compiled record for bulk writing (the backdated history): rec as for acctRecord, where rcpt
 * (also inside diag) is SLOT.rcpt. Returns { texts, keys }: the line is texts[0], then for each i
 * the value of keys[i] ('timeLogged', 'timeQueued' as text, 'rcpt', 'jobId') and texts[i + 1] —
 * the same line acctRecord gives. Values must be slotSafe.
 */
export function acctTemplate(rec) {
  const parts = csvLine(acctFields({ ...rec, rcpt: SLOT.rcpt, jobId: SLOT.jobId }, SLOT.timeLogged, SLOT.timeQueued)).split(/\u0000([LQRJ])/);
  return {
    texts: parts.filter((_, i) => i % 2 === 0),
    keys: parts.filter((_, i) => i % 2 === 1).map((k) => SLOT_KEY[k]),
  };
}

/** The line of a template with its values filled in. */
export function fillTemplate({ texts, keys }, values) {
  let line = texts[0];
  for (let i = 0; i < keys.length; i += 1) line += values[keys[i]] + texts[i + 1];
  return line;
}

export function acctHeaderLine() {
  return csvLine(ACCT_HEADER);
}
