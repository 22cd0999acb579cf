// What the remote side answers to one delivery attempt, decided by the world file.
import { ispOf, deferralDiag, bounceDiag } from './world.mjs';

/** Returns { type:'d'|'t'|'b', status, diag, bounceCat }. */
export function attemptOutcome(world, domain, sourceIp, rcpt, rand = Math.random) {
  if (domain === 'hold.test') return { type: 't', ...deferralDiag(domain, sourceIp) };
  const isp = ispOf(world, domain);
  const penalty = Number(world.ipReputation?.[sourceIp] ?? 0);
  const x = rand();
  if (x < isp.bounceRate) return { type: 'b', ...bounceDiag(rcpt) };
  if (x < isp.bounceRate + Math.min(0.98, isp.deferRate + penalty)) return { type: 't', ...deferralDiag(domain, sourceIp) };
  return { type: 'd', status: '2.0.0', bounceCat: '', diag: 'smtp;250 2.0.0 OK' };
}
