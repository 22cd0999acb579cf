// 24 hours of backdated accounting written at first start, so the audit has a day of data.
// A day is ~17k records (~6 MB). Building them all in memory, each through acctRecord (objects
// per record and field), cost ~0.4 s CPU and grew the heap by ~60 MB that the daemon then kept
// for life. Here each kind of record is a precompiled template with four slots, and the text
// goes out in ~64 KiB chunks.
import { acctRecord, acctTemplate, fillTemplate, isoTime, slotSafe, SLOT } from './acct.mjs';
import { outcomeOdds, outcomeOf, outcomeType } from './outcome.mjs';
import { mxOf } from './world.mjs';
import { randomRcpt } from './spool.mjs';

const HOUR_MS = 3600_000;
const ORIG = 'bounce@news.example.org';
const SIZE = 4096;
const CHUNK_CHARS = 64 * 1024;

/** A weighted picker over a { domain: weight } mix (same odds as spool.pickDomain). */
function domainPicker(mix) {
  const entries = Object.entries(mix);
  const sum = entries.reduce((a, [, w]) => a + w, 0);
  return () => {
    let x = Math.random() * sum;
    for (const [d, w] of entries) {
      x -= w;
      if (x <= 0) return d;
    }
    return entries[entries.length - 1][0];
  };
}

/** isoTime for many instants: 'YYYY-MM-DD HH:' per hour (cached), 'MM:SS+0000' from a table. */
function timeFormatter() {
  const tail = Array.from({ length: 3600 }, (_, s) => `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}+0000`);
  const heads = new Map();
  return (ms) => {
    const hour = Math.floor(ms / HOUR_MS);
    let head = heads.get(hour);
    if (head === undefined) {
      head = isoTime(hour * HOUR_MS).slice(0, 14);
      heads.set(hour, head);
    }
    return head + tail[Math.floor((ms - hour * HOUR_MS) / 1000)];
  };
}

/**
 * The accounting records (CSV, no header) of the 24 hours before `now`, filtered by record types,
 * as strings of about 64 KiB, so a caller can write the day out without ever holding it.
 */
export function* historyChunks(world, vmtas, options) {
  for (const { text } of historyHours(world, vmtas, options)) if (text) yield text;
}

/** The same records as { hourStart, text } pieces that never cross an hour (one, maybe empty, at each hour's end). */
export function* historyHours(world, vmtas, { now, hostName, records, pool }) {
  const start = Math.floor(now / HOUR_MS) * HOUR_MS - 24 * HOUR_MS;
  const pickDomain = domainPicker(world.mix);
  const time = timeFormatter();
  const perDomain = new Map(); // domain -> per vmta: { base, odds, templates by type }
  const compiled = (domain) => {
    let list = perDomain.get(domain);
    if (list === undefined) {
      list = vmtas.map((vmta) => {
        const [mxHost, mxIp] = mxOf(domain);
        const base = { orig: ORIG, mxHost, mxIp, sourceIp: vmta.sourceIp, size: SIZE, vmta: vmta.name, domain, pool, hostName };
        const templates = {};
        if (slotSafe(domain)) {
          for (const type of ['d', 't', 'b']) {
            templates[type] = acctTemplate({ ...base, ...outcomeOf(type, domain, vmta.sourceIp, SLOT.rcpt, world) });
          }
        }
        return { base, odds: outcomeOdds(world, domain, vmta.sourceIp), templates };
      });
      perDomain.set(domain, list);
    }
    return list;
  };
  let chunk = '';
  const values = { timeLogged: '', timeQueued: '', rcpt: '', jobId: '' };
  let rr = 0;
  for (let h = 0; h < 24; h += 1) {
    const hourStart = start + h * HOUR_MS;
    const volume = Math.round(world.hourlyVolume[new Date(hourStart).getUTCHours()] ?? 0);
    values.jobId = `job${Math.floor(hourStart / HOUR_MS) % 1000}`;
    for (let i = 0; i < volume; i += 1) {
      const t = hourStart + Math.floor(((i + Math.random()) / volume) * HOUR_MS);
      const domain = pickDomain();
      const { base, odds, templates } = compiled(domain)[rr++ % vmtas.length];
      const rcpt = randomRcpt(domain);
      const type = outcomeType(odds, Math.random());
      if (!records.includes(type)) continue;
      const tpl = templates[type];
      if (tpl) {
        values.timeLogged = time(t);
        values.timeQueued = time(t - 2000);
        values.rcpt = rcpt;
        chunk += fillTemplate(tpl, values);
      } else {
        // A domain name a slot cannot hold (never in the lab's worlds): the plain way.
        chunk += acctRecord({ ...base, ...outcomeOf(type, domain, base.sourceIp, rcpt, world), timeLogged: t, timeQueued: t - 2000, rcpt, jobId: values.jobId });
      }
      if (chunk.length >= CHUNK_CHARS) {
        yield { hourStart, text: chunk };
        chunk = '';
      }
    }
    yield { hourStart, text: chunk };
    chunk = '';
  }
}
