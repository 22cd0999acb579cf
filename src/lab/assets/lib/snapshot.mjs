// The `status` data node (UG §5) computed from the engine; shared by `pmta show status` and HTTP.
import os from 'node:os';
import { isoTime } from './acct.mjs';

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

export function mtaData(ctx) {
  return {
    product: 'PowerMTA',
    version: 'v5.0r1',
    os: `${os.type()} ${os.release()}`,
    cpu: { count: os.cpus().length },
    ram: { real: Math.round(os.totalmem() / 1048576) },
    fullHostName: ctx.hostName,
  };
}

/** Snapshot for renderStatus: the data node plus the two times as milliseconds. */
export function statusView(ctx, now = Date.now()) {
  return { ...statusData(ctx, now), hostName: ctx.hostName, timeNowMs: now, startupTimeMs: ctx.startedAt };
}

export function vmtasData(ctx) {
  const rows = ctx.engine.vmtaRows();
  const total = rows.reduce((a, v) => a + v.rcpt, 0);
  return {
    vmta: rows.map((v) => ({ name: v.name, sourceIp: v.sourceIp, domains: v.domains, rcp: v.rcpt, pct: total ? Math.round((100 * v.rcpt) / total) : 0, kb: Math.round(v.kb * 10) / 10, conn: { smtpOut: { cur: v.conn } } })),
  };
}

export function domainsData(ctx) {
  return {
    domain: ctx.engine.domainRows().map((d) => ({ name: d.name, rcp: d.rcpt, kb: Math.round(d.kb * 10) / 10, conn: { smtpOut: { cur: d.conn } }, lastError: d.lastError })),
  };
}

export function queuesData(ctx) {
  return {
    queue: ctx.engine.queueRows().map((q) => ({ name: `${q.domain}/${q.vmta}`, domain: q.domain, vmta: q.vmta, rcp: q.rcpt, kb: Math.round(q.kb * 10) / 10, paused: q.paused, conn: { smtpOut: { cur: q.conn } }, lastError: q.lastError })),
  };
}
