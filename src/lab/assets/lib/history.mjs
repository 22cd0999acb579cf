// 24 hours of backdated accounting written at first start, so the audit has a day of data.
import { acctRecord } from './acct.mjs';
import { attemptOutcome } from './outcome.mjs';
import { mxOf } from './world.mjs';
import { pickDomain, randomRcpt } from './spool.mjs';

/** Returns CSV lines (no header) for the 24 hours before `now`, filtered by record types. */
export function historyLines(world, vmtas, { now, hostName, records, pool }) {
  const out = [];
  const hourMs = 3600_000;
  const start = Math.floor(now / hourMs) * hourMs - 24 * hourMs;
  let rr = 0;
  for (let h = 0; h < 24; h += 1) {
    const hourStart = start + h * hourMs;
    const volume = Math.round(world.hourlyVolume[new Date(hourStart).getUTCHours()] ?? 0);
    for (let i = 0; i < volume; i += 1) {
      const t = hourStart + Math.floor(((i + Math.random()) / volume) * hourMs);
      const domain = pickDomain(world.mix);
      const vmta = vmtas[rr++ % vmtas.length];
      const rcpt = randomRcpt(domain);
      const o = attemptOutcome(world, domain, vmta.sourceIp, rcpt);
      if (!records.includes(o.type)) continue;
      const [mxHost, mxIp] = mxOf(domain);
      out.push(acctRecord({ ...o, timeLogged: t, timeQueued: t - 2000, orig: 'bounce@news.example.org', rcpt, mxHost, mxIp, sourceIp: vmta.sourceIp, size: 4096, vmta: vmta.name, jobId: `job${Math.floor(t / hourMs) % 1000}`, domain, pool, hostName }));
    }
  }
  return out;
}
