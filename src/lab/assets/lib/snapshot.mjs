// The `status` data node (UG §5) computed from the engine; shared by `pmta show status` and HTTP.
import os from 'node:os';
import { isoTime } from './acct.mjs';
import { nameMatcher, selectRows } from './listing.mjs';

export function statusData(ctx, now = Date.now()) {
  const { engine } = ctx;
  const rows = engine.queueRows();
  const hold = { rcp: 0, dom: 0, kb: 0 };
  const smtp = { rcp: rows.reduce((a, q) => a + q.rcpt, 0), dom: new Set(rows.map((q) => q.domain)).size, kb: Math.round(rows.reduce((a, q) => a + q.kb, 0) * 10) / 10 };
  return {
    timeNow: isoTime(now),
    startupTime: isoTime(ctx.startedAt),
    shuttingDown: false,
    traffic: engine.traffic.snapshot(now),
    conn: {
      smtpIn: { cur: 0, max: 1000, top: 1 },
      smtpOut: { cur: engine.active.size, max: engine.model.totalMaxSmtpOut, top: engine.topConn },
    },
    resolver: { namesCached: smtp.dom, queriesPending: 0, queriesActive: 0 },
    queue: { smtp, pipe: { ...hold }, bounce: { ...hold } },
    spool: { initPct: 100, dirs: 16, files: { inUse: engine.messages.size, recycled: 0, total: engine.messages.size }, totalRcp: smtp.rcp, maxRcp: 0 },
    status: 'running',
  };
}

/** The `mta` node as the UG §6.2.1 JSON sample has it. */
export function mtaData(ctx) {
  return {
    product: { name: 'PowerMTA', version: '5.0r1', buildDate: '2019-09-13 16:27:31', revision: 'master@190913.ba26ec5', bits: 64 },
    lak: { serial: '000000', instances: 1 },
    os: { name: os.type(), version: os.release(), build: '' },
    cpu: { type: os.arch(), count: os.cpus().length },
    ram: { real: Math.round(os.totalmem() / 1024) },
    fullHostName: ctx.hostName,
    userString: '',
    hostId: 0,
  };
}

/** Snapshot for renderStatus: the data node plus the two times as milliseconds. */
export function statusView(ctx, now = Date.now()) {
  return { ...statusData(ctx, now), hostName: ctx.hostName, timeNowMs: now, startupTimeMs: ctx.startedAt };
}

/** vMTA rows sorted by recipients (UG §5.11, the §6.3.20 sample order); all unless --maxitems. */
export function vmtaSelection(ctx, opts = {}) {
  return selectRows(ctx.engine.vmtaRows(), (v) => v.name, { sort: 'rcpt', maxitems: opts.maxitems ?? Infinity });
}

/**
 * `show domains` (name order) / `show topdomains` (= --sort=rcpt, UG §6.3.17): { rows, total }.
 * total counts every queued domain, not only the matching ones: the UG's `show dom port25.com
 * --errors` example ends "1 of 10 domains shown.".
 */
export function domainSelection(ctx, { opts = {}, name, top = false } = {}) {
  const match = nameMatcher(name);
  const all = ctx.engine.domainRows(opts.vmta);
  const { rows } = selectRows(all, (d) => d.name, { ...opts, sort: top ? 'rcpt' : opts.sort, filter: (d) => match(d.name) });
  return { rows, total: all.length };
}

/** `show queues` / `show topqueues` (UG §6.3.13, §6.3.18): pattern domain[/vmta], --paused, --mode. */
export function queueSelection(ctx, { opts = {}, name, top = false } = {}) {
  const [dom, vmta = '*'] = (name ?? '*/*').split('/');
  const [matchDomain, matchVmta] = [nameMatcher(dom), nameMatcher(vmta)];
  const filter = (q) =>
    matchDomain(q.domain) && matchVmta(q.vmta) && (opts.paused === undefined || (opts.paused === 'yes') === q.paused) && (opts.mode === undefined || opts.mode === q.mode);
  return selectRows(ctx.engine.queueRows(), (q) => `${q.domain}/${q.vmta}`, { ...opts, sort: top ? 'rcpt' : opts.sort, filter });
}

export function vmtasData(ctx, opts) {
  const { rows } = vmtaSelection(ctx, opts);
  const total = ctx.engine.vmtaRows().reduce((a, v) => a + v.rcpt, 0);
  return {
    vmta: rows.map((v) => ({ name: v.name, sourceIp: v.sourceIp, domains: v.domains, rcp: v.rcpt, pct: total ? Math.round((100 * v.rcpt) / total) : 0, kb: Math.round(v.kb * 10) / 10, conn: { smtpOut: { cur: v.conn } } })),
  };
}

export function domainsData(ctx, selection = domainSelection(ctx)) {
  return {
    domain: selection.rows.map((d) => ({ name: d.name, rcp: d.rcpt, kb: Math.round(d.kb * 10) / 10, conn: { smtpOut: { cur: d.conn } }, lastError: d.lastError })),
  };
}

export function queuesData(ctx, selection = queueSelection(ctx)) {
  return {
    queue: selection.rows.map((q) => ({ name: `${q.domain}/${q.vmta}`, domain: q.domain, vmta: q.vmta, rcp: q.rcpt, kb: Math.round(q.kb * 10) / 10, paused: q.paused, mode: q.mode, conn: { smtpOut: { cur: q.conn } }, lastError: q.lastError })),
  };
}
