// Text layouts of `pmta show ...` (UG §6.2.1, reproduced in POWERMTA.md) and the HTTP JSON
// envelope. Pure functions of a snapshot taken by the daemon.
import { isoTime } from './acct.mjs';

const r = (v, w) => String(v).padStart(w);
const kb = (v) => Number(v).toFixed(1);

function dateTime(ms) {
  return isoTime(ms).slice(0, 19);
}

function uptime(sec) {
  const s = Math.max(0, Math.floor(sec));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return `${r(d, 4)}${r(h, 3)}:${m}:${ss}`;
}

function trafficRow(label, t) {
  return `${r(label, 11)}${r(t.in.rcp, 11)}${r(t.in.msg, 10)}${r(kb(t.in.kb), 12)}${r(t.out.rcp, 11)}${r(t.out.msg, 10)}${r(kb(t.out.kb), 12)}`;
}

/** snapshot: the `data` node of /status (see statusJson) plus hostName. */
export function renderStatus(s) {
  const t = s.traffic;
  return [
    `PowerMTA v5.0 status on ${s.hostName} on ${dateTime(s.timeNowMs)}`,
    '',
    '  Traffic    ------------inbound------------  ------------outbound-----------',
    '                 rcpts      msgs      kbytes      rcpts      msgs      kbytes',
    trafficRow('Total', t.total),
    trafficRow('Last Hour', t.lastHr),
    trafficRow('Top/Hour', t.topPerHr),
    trafficRow('Last Min.', t.lastMin),
    trafficRow('Top/Min.', t.topPerMin),
    '',
    ' Connections    active       top     maximum  Domain       cached     pending',
    `${r('Inbound', 11)}${r(s.conn.smtpIn.cur, 11)}${r(s.conn.smtpIn.top, 10)}${r(s.conn.smtpIn.max, 12)}    Names${r(s.resolver.namesCached, 12)}${r(s.resolver.queriesPending, 12)}`,
    `${r('Outbound', 11)}${r(s.conn.smtpOut.cur, 11)}${r(s.conn.smtpOut.top, 10)}${r(s.conn.smtpOut.max, 12)}`,
    '',
    '     Queues      rcpts   domains      kbytes  Spool        in use    recycled',
    `${r('SMTP', 11)}${r(s.queue.smtp.rcp, 11)}${r(s.queue.smtp.dom, 10)}${r(kb(s.queue.smtp.kb), 12)}    Files${r(s.spool.files.inUse, 12)}${r(s.spool.files.recycled, 12)}`,
    `${r('other', 11)}${r(s.queue.pipe.rcp, 11)}${r(s.queue.pipe.dom, 10)}${r(kb(s.queue.pipe.kb), 12)}    Init.${r(s.spool.initPct >= 100 ? 'complete' : `${s.spool.initPct}%`, 24)}`,
    '',
    `${r('Status', 11)}${r(s.status, 11)}${r('Started', 11)}  ${dateTime(s.startupTimeMs)}${r('Uptime', 10)}${uptime((s.timeNowMs - s.startupTimeMs) / 1000)}`,
    '',
  ].join('\n');
}

/** vmtas: [{ name, domains, rcpt, kb, conn }] */
export function renderVmtas(vmtas) {
  const total = vmtas.reduce((a, v) => a + v.rcpt, 0);
  const nameW = Math.max(7, ...vmtas.map((v) => v.name.length));
  const lines = [
    `${'name'.padEnd(nameW)} domains #rcpt % total kbytes conn`,
    `${'-'.repeat(nameW)} ------- ----- ------- ------ ----`,
  ];
  for (const v of vmtas) {
    const pct = total === 0 ? 0 : Math.round((100 * v.rcpt) / total);
    lines.push(`${v.name.padEnd(nameW)} ${r(v.domains, 7)} ${r(v.rcpt, 5)} ${r(pct, 7)} ${r(kb(v.kb), 6)} ${r(v.conn, 4)}`);
  }
  lines.push('', `${vmtas.length} of ${vmtas.length} virtual MTAs.`, '');
  return lines.join('\n');
}

/** domains: [{ name, rcpt, kb, conn, lastError }]; `shown` limits the rows like the real command. */
export function renderDomains(domains, { total = domains.length, shown = domains.length } = {}) {
  const rows = domains.slice(0, shown);
  const lines = ['-----------------------------domain --#rcpt ---kbytes conn last error----------'];
  for (const d of rows) {
    const err = d.lastError ? ` ${d.lastError.length > 20 ? `${d.lastError.slice(0, 17)}...` : d.lastError}` : '';
    lines.push(`${r(d.name, 35)} ${r(d.rcpt, 7)} ${r(kb(d.kb), 9)} ${r(d.conn, 4)}${err}`);
  }
  lines.push('', `${rows.length} of ${total} domains shown.`, '');
  return lines.join('\n');
}

/** queues: [{ domain, vmta, rcpt, kb, conn, paused, lastError }] — one row per domain/vmta queue. */
export function renderQueues(queues) {
  const lines = ['------------------------------------queue --#rcpt ---kbytes conn paused last error----------'];
  for (const q of queues) {
    const err = q.lastError ? ` ${q.lastError.length > 20 ? `${q.lastError.slice(0, 17)}...` : q.lastError}` : '';
    lines.push(`${r(`${q.domain}/${q.vmta}`, 42)} ${r(q.rcpt, 7)} ${r(kb(q.kb), 9)} ${r(q.conn, 4)} ${r(q.paused ? 'yes' : 'no', 6)}${err}`);
  }
  lines.push('', `${queues.length} of ${queues.length} queues shown.`, '');
  return lines.join('\n');
}

/** HTTP/--json envelope of the UG: typed numbers, status "success", empty message. */
export function envelope(data) {
  return JSON.stringify({ data, status: 'success', message: '' });
}
