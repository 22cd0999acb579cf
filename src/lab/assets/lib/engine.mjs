// The delivery engine: queues per domain/vmta, connections limited by max-smtp-out per source IP,
// processing threads and file descriptors; outcomes from the world; accounting per attempt.
import fs from 'node:fs';
import os from 'node:os';
import { domainSettings, queueOf } from './config.mjs';
import { acctRecord } from './acct.mjs';
import { attemptOutcome } from './outcome.mjs';
import { ispOf, mxOf } from './world.mjs';
import { Traffic } from './traffic.mjs';
import { shownPath } from './paths.mjs';

const FD_RESERVE = 24;
const MAX_EVENTS = 10;
/** How long a saturated processing thread keeps spinning past the tick that saw it saturated. */
const SATURATED_HOLD_MS = 1000;

export class Engine {
  /** deps: { log(line), acct(type, line), world, model, hostName, defaultSourceIp, burner } */
  constructor(deps) {
    Object.assign(this, deps);
    this.messages = new Map(); // id -> message
    this.active = new Map(); // id -> { msg, fd, doneAt, queue }
    this.paused = new Set();
    this.traffic = new Traffic();
    this.lastError = new Map(); // queue key -> text
    this.errorEvents = new Map(); // domain -> [{ at, text }], the last MAX_EVENTS (max-events-recorded, UG default 10)
    // [pattern "dom/vmta", mode] in order, last match wins (`pmta set queue --mode`, UG §6.3.11);
    // world.backoff lists the queues an operator (or a smtp-pattern-list) put in backoff.
    this.modeRules = (this.world.backoff ?? []).map((p) => [p.includes('/') ? p : `${p}/*`, 'backoff']);
    this.topConn = 0;
    this.fdCeiling = Infinity;
    this.fdRetryAt = 0;
    this.busyMs = 0;
    this.rr = 0;
    this.applyModel(this.model);
  }

  applyModel(model) {
    this.model = model;
    const withIp = model.vmtas.filter((v) => v.sourceIp);
    this.vmtas = withIp.length > 0 ? withIp : [{ name: 'pmta-default', sourceIp: model.globalSourceHost ?? this.defaultSourceIp, domains: {} }];
    const names = new Set(this.vmtas.map((v) => v.name));
    for (const m of this.messages.values()) {
      if (!names.has(m.vmta)) m.vmta = this.nextVmta();
      m.queue = this.queueFor(m);
    }
    this.threads = model.queueProcessingThreads ?? model.defaultProcessingThreads ?? Math.max(2, os.cpus().length);
  }

  nextVmta() {
    return this.vmtas[this.rr++ % this.vmtas.length].name;
  }

  /** The queue a message waits in: its domain, a rollup queue, or a queue-to target. */
  queueFor(msg) {
    return queueOf(this.model, msg.domain, msg.vmta, mxOf(msg.domain)[0]);
  }

  poolOf(vmta) {
    return this.model.pools.find((p) => p.vmtas.includes(vmta))?.name ?? '';
  }

  add(msg, { inbound = true } = {}) {
    if (!msg.vmta || !this.vmtas.some((v) => v.name === msg.vmta)) msg.vmta = this.nextVmta();
    msg.queue = this.queueFor(msg);
    msg.nextAttempt = msg.nextAttempt ?? 0;
    this.messages.set(msg.id, msg);
    if (inbound) this.traffic.record('in', msg.size);
  }

  setMode(pattern, mode) {
    this.modeRules.push([pattern.includes('/') ? pattern : `${pattern}/*`, mode]);
  }

  /** 'normal' or 'backoff'. Display and filtering only: backoff-* settings are not simulated. */
  modeOf(domain, vmta) {
    const match = (pat, v) => pat === '*' || pat === v;
    let mode = 'normal';
    for (const [p, m] of this.modeRules) {
      const [d, v] = p.split('/');
      if (match(d, domain) && match(v, vmta)) mode = m;
    }
    return mode;
  }

  isPaused(domain, vmta) {
    const match = (pat, v) => pat === '*' || pat === v;
    for (const p of this.paused) {
      const [d, v = '*'] = p.split('/');
      if (match(d, domain) && match(v, vmta)) return true;
    }
    return false;
  }

  /** One scheduling round; dtMs since the last one. */
  tick(now, dtMs) {
    // Processing steps the threads can do this round; fractions carry over (at most one round banked).
    const gain = (this.threads * dtMs) / this.world.cpuMsPerMsg;
    this.credit = Math.min((this.credit ?? 0) + gain, gain + 1);
    const capacity = Math.floor(this.credit);
    let processed = 0;
    // Finish deliveries whose time has come, as far as the processing threads allow.
    for (const [id, a] of this.active) {
      if (a.doneAt > now) continue;
      if (processed >= capacity) break;
      processed += 1;
      this.finish(id, a, now);
    }
    // Open new deliveries on free connections.
    const queues = this.readyQueues(now);
    let activeTotal = this.active.size;
    // A vmta's max-smtp-out caps all its queues, a pool's caps all its vmtas (UG §3.3.12.8, §3.3.13.6).
    const perVmta = new Map();
    for (const a of this.active.values()) perVmta.set(a.msg.vmta, (perVmta.get(a.msg.vmta) ?? 0) + 1);
    const vmtaFull = (name) => {
      const cap = this.model.vmtas.find((v) => v.name === name)?.maxSmtpOut;
      if (cap != null && (perVmta.get(name) ?? 0) >= cap) return true;
      return this.model.pools.some((p) => p.maxSmtpOut != null && p.vmtas.includes(name) && p.vmtas.reduce((n, v) => n + (perVmta.get(v) ?? 0), 0) >= p.maxSmtpOut);
    };
    for (const q of queues) {
      let conns = q.conn;
      while (conns < q.max && q.ready.length > 0 && activeTotal < this.model.totalMaxSmtpOut && this.active.size < this.fdCeiling && !vmtaFull(q.vmta)) {
        if (processed >= capacity) break;
        const msg = q.ready.shift();
        let fd;
        try {
          fd = fs.openSync(msg.file, 'r');
        } catch (err) {
          if (err.code === 'EMFILE' || err.code === 'ENFILE') {
            this.outOfFds(msg, now, err.code);
            break;
          }
          if (err.code === 'ENOENT') {
            this.messages.delete(msg.id);
            continue;
          }
          throw err;
        }
        processed += 1;
        const secs = ispOf(this.world, msg.domain).secondsPerMsg;
        this.active.set(msg.id, { msg, fd, doneAt: now + secs * 1000 * (0.8 + 0.4 * Math.random()), queue: q.key });
        perVmta.set(q.vmta, (perVmta.get(q.vmta) ?? 0) + 1);
        conns += 1;
        activeTotal += 1;
      }
    }
    if (this.fdCeiling !== Infinity && now >= this.fdRetryAt) this.fdCeiling = Infinity;
    this.topConn = Math.max(this.topConn, this.active.size);
    this.credit = Math.max(0, this.credit - processed);
    if (Math.floor(now / 1000) !== Math.floor((now - dtMs) / 1000)) this.traffic.tick(now);
    this.burn(processed, capacity, dtMs);
  }

  /**
   * CPU for the processing work, burnt for real so per-process and per-core figures show it.
   * A saturated thread pool spins each thread for the whole round; otherwise the work is shared
   * by the threads that can run at once (at most one per core). Total CPU is capped by the world.
   */
  burn(processed, capacity, dtMs) {
    if (!this.burner || this.busyMs >= this.world.maxBusySeconds * 1000) return;
    const running = Math.max(1, Math.min(this.threads, os.cpus().length));
    const saturated = processed >= Math.max(1, capacity) && this.backlog() > 0;
    if (saturated) {
      // Spin on past the next tick: a tick that comes late on a busy machine must not leave a gap.
      this.busyMs += dtMs * running;
      this.burner.burn(dtMs + SATURATED_HOLD_MS, running);
      return;
    }
    const ms = Math.min(dtMs * 0.95, (processed * this.world.cpuMsPerMsg) / running);
    if (ms >= 5) {
      this.busyMs += ms * running;
      this.burner.burn(ms, running);
    }
  }

  backlog() {
    return this.messages.size - this.active.size;
  }

  outOfFds(msg, now, code = 'EMFILE') {
    // The Guide's log style: the errno symbol, then what was being done (UG: "ETIMEDOUT connecting to ...").
    this.log(`${code} opening spool file ${shownPath(msg.file)}`);
    // Give descriptors back so the daemon can still log, account and accept, then retry later.
    const victims = [...this.active.entries()].slice(-FD_RESERVE);
    for (const [id, a] of victims) {
      fs.closeSync(a.fd);
      this.active.delete(id);
    }
    this.fdCeiling = Math.max(1, this.active.size);
    this.fdRetryAt = now + 15_000;
  }

  readyQueues(now) {
    const byKey = new Map();
    for (const m of this.messages.values()) {
      const key = `${m.queue}/${m.vmta}`;
      if (!byKey.has(key)) byKey.set(key, { key, domain: m.queue, vmta: m.vmta, ready: [], conn: 0 });
      const q = byKey.get(key);
      if (this.active.has(m.id)) q.conn += 1;
      else if (m.nextAttempt <= now) q.ready.push(m);
    }
    const out = [];
    for (const q of byKey.values()) {
      if (this.isPaused(q.domain, q.vmta)) continue;
      q.max = domainSettings(this.model, q.domain, q.vmta).maxSmtpOut;
      out.push(q);
    }
    // Fair start: rotate which queue goes first.
    const shift = out.length ? this.rr++ % out.length : 0;
    return [...out.slice(shift), ...out.slice(0, shift)];
  }

  finish(id, a, now) {
    const { msg } = a;
    this.active.delete(id);
    fs.closeSync(a.fd);
    const vmta = this.vmtas.find((v) => v.name === msg.vmta) ?? this.vmtas[0];
    const o = attemptOutcome(this.world, msg.domain, vmta.sourceIp, msg.rcpt);
    const [mxHost, mxIp] = mxOf(msg.domain);
    this.acct(o.type, acctRecord({ ...o, timeLogged: now, timeQueued: msg.queuedAt, orig: msg.orig, rcpt: msg.rcpt, mxHost, mxIp, sourceIp: vmta.sourceIp, size: msg.size, vmta: vmta.name, jobId: msg.jobId, domain: msg.domain, queue: msg.queue, pool: this.poolOf(vmta.name), hostName: this.hostName }));
    if (o.type === 't') {
      const text = o.diag.replace(/^smtp;/, '');
      this.lastError.set(`${msg.queue}/${msg.vmta}`, text);
      const events = this.errorEvents.get(msg.queue) ?? [];
      events.push({ at: now, text });
      this.errorEvents.set(msg.queue, events.slice(-MAX_EVENTS));
      const retry = Math.min(domainSettings(this.model, msg.queue, msg.vmta).retryAfterSec, this.world.retrySeconds);
      msg.nextAttempt = now + retry * 1000;
      return;
    }
    if (o.type === 'd') this.traffic.record('out', msg.size, now);
    this.messages.delete(id);
    try {
      fs.unlinkSync(msg.file);
    } catch (err) {
      if (err.code !== 'ENOENT') throw err;
    }
  }

  closeAll() {
    for (const a of this.active.values()) fs.closeSync(a.fd);
    this.active.clear();
  }

  // ---- views for show commands / HTTP ----

  queueRows(now = Date.now()) {
    const rows = new Map();
    for (const m of this.messages.values()) {
      const key = `${m.queue}/${m.vmta}`;
      if (!rows.has(key)) rows.set(key, { domain: m.queue, vmta: m.vmta, rcpt: 0, kb: 0, conn: 0, paused: this.isPaused(m.queue, m.vmta), mode: this.modeOf(m.queue, m.vmta), lastError: this.lastError.get(key) ?? '', retryAt: null });
      const r = rows.get(key);
      r.rcpt += 1;
      r.kb += m.size / 1024;
      if (this.active.has(m.id)) r.conn += 1;
      else if (m.nextAttempt > now && (r.retryAt === null || m.nextAttempt < r.retryAt)) r.retryAt = m.nextAttempt;
    }
    return [...rows.values()].sort((a, b) => a.domain.localeCompare(b.domain) || a.vmta.localeCompare(b.vmta));
  }

  /** Per-domain totals over all vMTAs, or over one (`show domains --vmta=name`). */
  domainRows(vmta) {
    const rows = new Map();
    for (const q of this.queueRows()) {
      if (vmta && q.vmta !== vmta) continue;
      if (!rows.has(q.domain)) rows.set(q.domain, { name: q.domain, rcpt: 0, kb: 0, conn: 0, lastError: '', errors: this.errorEvents.get(q.domain) ?? [] });
      const r = rows.get(q.domain);
      r.rcpt += q.rcpt;
      r.kb += q.kb;
      r.conn += q.conn;
      r.lastError = r.lastError || q.lastError;
    }
    return [...rows.values()];
  }

  vmtaRows() {
    const qs = this.queueRows();
    return this.vmtas.map((v) => {
      const mine = qs.filter((q) => q.vmta === v.name);
      return { name: v.name, sourceIp: v.sourceIp, domains: mine.length, rcpt: mine.reduce((a, q) => a + q.rcpt, 0), kb: mine.reduce((a, q) => a + q.kb, 0), conn: mine.reduce((a, q) => a + q.conn, 0) };
    });
  }
}
