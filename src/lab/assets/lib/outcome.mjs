// What the remote side answers to one delivery attempt, decided by the world file.
import { ispOf, deferralDiag, bounceDiag } from './world.mjs';

/** The chances for one domain and source IP: { bounce, defer } (hold.test: always deferred). */
export function outcomeOdds(world, domain, sourceIp) {
  if (domain === 'hold.test') return { bounce: 0, defer: 1 };
  const isp = ispOf(world, domain);
  const penalty = Number(world.ipReputation?.[sourceIp] ?? 0);
  return { bounce: isp.bounceRate, defer: Math.min(0.98, isp.deferRate + penalty) };
}

/** 'd', 't' or 'b' for a uniform random x in [0, 1). */
export function outcomeType(odds, x) {
  if (x < odds.bounce) return 'b';
  if (x < odds.bounce + odds.defer) return 't';
  return 'd';
}

/** The remote answer of a given type: { type, status, diag, bounceCat }. */
export function outcomeOf(type, domain, sourceIp, rcpt) {
  if (type === 'b') return { type, ...bounceDiag(rcpt) };
  if (type === 't') return { type, ...deferralDiag(domain, sourceIp) };
  return { type, status: '2.0.0', bounceCat: '', diag: 'smtp;250 2.0.0 OK' };
}

/** Returns { type:'d'|'t'|'b', status, diag, bounceCat }. */
export function attemptOutcome(world, domain, sourceIp, rcpt, rand = Math.random) {
  const odds = outcomeOdds(world, domain, sourceIp);
  const type = domain === 'hold.test' ? 't' : outcomeType(odds, rand());
  return outcomeOf(type, domain, sourceIp, rcpt);
}
