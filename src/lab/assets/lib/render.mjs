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

/** vmtas: [{ name, domains, rcpt, kb, conn }] (already selected); total: how many exist. */
export function renderVmtas(vmtas, total = vmtas.length) {
  const rcpts = vmtas.reduce((a, v) => a + v.rcpt, 0);
  const nameW = Math.max(7, ...vmtas.map((v) => v.name.length));
  const lines = [
    `${'name'.padEnd(nameW)} domains #rcpt % total kbytes conn`,
    `${'-'.repeat(nameW)} ------- ----- ------- ------ ----`,
  ];
  for (const v of vmtas) {
    const pct = rcpts === 0 ? 0 : Math.round((100 * v.rcpt) / rcpts);
    lines.push(`${v.name.padEnd(nameW)} ${r(v.domains, 7)} ${r(v.rcpt, 5)} ${r(pct, 7)} ${r(kb(v.kb), 6)} ${r(v.conn, 4)}`);
  }
  lines.push('', `${vmtas.length} of ${total} virtual MTAs.`, '');
  return lines.join('\n');
}

const lastErr = (text) => (text ? ` ${text.length > 20 ? `${text.slice(0, 17)}...` : text}` : '');

/**
 * domains: [{ name, rcpt, kb, conn, lastError, errors? }], already selected (see listing.mjs);
 * total: how many matched. UG §6.3.12 layout; with `errors` the UG §4 `--errors` example layout:
 * each row unaligned, then its recorded error events.
 */
export function renderDomains(domains, { total = domains.length, errors = false } = {}) {
  const lines = ['-----------------------------domain --#rcpt ---kbytes conn last error----------'];
  for (const d of domains) {
    if (!errors) {
      lines.push(`${r(d.name, 35)} ${r(d.rcpt, 7)} ${r(kb(d.kb), 9)} ${r(d.conn, 4)}${lastErr(d.lastError)}`);
      continue;
    }
    lines.push(`${d.name} ${d.rcpt} ${kb(d.kb)} ${d.conn}${lastErr(d.lastError)}`);
    if (d.errors?.length) lines.push('', ...d.errors.map((e) => `${dateTime(e.at)} ${e.text}`));
  }
  lines.push('', `${domains.length} of ${total} domains shown.`, '');
  return lines.join('\n');
}

const clock = (ms) => dateTime(ms).slice(11);

/**
 * queues: [{ domain, vmta, rcpt, kb, conn, mode, retryAt, lastError }], already selected.
 * UG §6.3.13 layout: fixed columns that a long queue name pushes right only as far as it must;
 * the `st` column shows "bo" for a queue in backoff mode (the UG does not list its values);
 * recipient events are not simulated (as with --no-rcpt-events).
 */
export function renderQueues(queues, { total = queues.length, pattern = '*/*' } = {}) {
  const lines = ['queue           #rcpt kbytes conn st    retry last error', '--------------- ----- ------ ---- -- -------- ----------', pattern];
  for (const q of queues) {
    const name = `${q.domain}/${q.vmta}`;
    const st = q.mode === 'backoff' ? 'bo' : '';
    const retry = q.retryAt ? clock(q.retryAt) : '';
    const rest = ` ${r(q.rcpt, 5)} ${r(kb(q.kb), 6)} ${r(q.conn, 4)} ${st.padEnd(2)} ${r(retry, 8)}${lastErr(q.lastError)}`;
    const overflow = Math.max(0, name.length - 15);
    const lead = rest.length - rest.trimStart().length;
    lines.push(`${name.padEnd(15)}${rest.slice(Math.min(overflow, lead - 1))}`.trimEnd());
  }
  lines.push('', `${queues.length} of ${total} matching queues.`, '');
  return lines.join('\n');
}

/** HTTP/--json envelope of the UG: typed numbers, status "success", empty message. */
export function envelope(data) {
  return JSON.stringify({ data, status: 'success', message: '' });
}
