// Inbound/outbound counters with per-second buckets for the last hour (status "Last Min." etc.).
const zero = () => ({ rcp: 0, msg: 0, kb: 0 });
const pair = () => ({ in: zero(), out: zero() });

function add(a, b) {
  a.rcp += b.rcp;
  a.msg += b.msg;
  a.kb += b.kb;
}

export class Traffic {
  constructor() {
    this.total = pair();
    this.seconds = new Map();
    this.topPerMin = pair();
    this.topPerHr = pair();
  }

  record(direction, bytes, now = Date.now()) {
    const sec = Math.floor(now / 1000);
    if (!this.seconds.has(sec)) this.seconds.set(sec, pair());
    const unit = { rcp: 1, msg: 1, kb: bytes / 1024 };
    add(this.seconds.get(sec)[direction], unit);
    add(this.total[direction], unit);
  }

  window(seconds, now = Date.now()) {
    const from = Math.floor(now / 1000) - seconds;
    const out = pair();
    for (const [sec, v] of this.seconds) {
      if (sec > from) {
        add(out.in, v.in);
        add(out.out, v.out);
      }
    }
    return out;
  }

  /** Drops old buckets and keeps the peaks; call about once a second. */
  tick(now = Date.now()) {
    const cutoff = Math.floor(now / 1000) - 3600;
    for (const sec of this.seconds.keys()) if (sec <= cutoff) this.seconds.delete(sec);
    const min = this.window(60, now);
    const hr = this.window(3600, now);
    for (const dir of ['in', 'out']) {
      if (min[dir].rcp > this.topPerMin[dir].rcp) this.topPerMin[dir] = { ...min[dir] };
      if (hr[dir].rcp > this.topPerHr[dir].rcp) this.topPerHr[dir] = { ...hr[dir] };
    }
  }

  snapshot(now = Date.now()) {
    this.tick(now);
    const round = (p) => ({ in: fix(p.in), out: fix(p.out) });
    const fix = (t) => ({ rcp: t.rcp, msg: t.msg, kb: Math.round(t.kb * 10) / 10 });
    return { total: round(this.total), lastHr: round(this.window(3600, now)), lastMin: round(this.window(60, now)), topPerHr: round(this.topPerHr), topPerMin: round(this.topPerMin) };
  }
}
