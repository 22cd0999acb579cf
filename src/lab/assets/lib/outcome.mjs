// What the remote side answers to one delivery attempt, decided by the world file.
import { ispOf, deferralDiag, bounceDiag, blockDiag } from './world.mjs';

/** The share of attempts from sourceIp to domain the ISP refuses outright (world.ipBlocks), 0 when none. */
export function blockRate(world, domain, sourceIp) {
  const block = world?.ipBlocks?.[sourceIp];
  return block && Array.isArray(block.domains) && block.domains.includes(domain) ? Number(block.rate ?? 1) : 0;
}

/** The chances for one domain and source IP: { bounce, defer } (hold.test: always deferred). */
export function outcomeOdds(world, domain, sourceIp) {
  if (domain === 'hold.test') return { bounce: 0, defer: 1 };
  const isp = ispOf(world, domain);
  const penalty = Number(world.ipReputation?.[sourceIp] ?? 0);
  const blocked = blockRate(world, domain, sourceIp);
  return { bounce: Math.min(0.98, isp.bounceRate + blocked), defer: Math.min(0.98 - blocked, isp.deferRate + penalty) };
}

/** 'd', 't' or 'b' for a uniform random x in [0, 1). */
export function outcomeType(odds, x) {
  if (x < odds.bounce) return 'b';
  if (x < odds.bounce + odds.defer) return 't';
  return 'd';
}

/** The remote answer of a given type: { type, status, diag, bounceCat }; a blocked IP's bounces are the block. */
export function outcomeOf(type, domain, sourceIp, rcpt, world) {
  if (type === 'b') return { type, ...(blockRate(world, domain, sourceIp) > 0 ? blockDiag(sourceIp) : bounceDiag(rcpt)) };
  if (type === 't') return { type, ...deferralDiag(domain, sourceIp) };
  return { type, status: '2.0.0', bounceCat: '', diag: 'smtp;250 2.0.0 OK' };
}

/** Returns { type:'d'|'t'|'b', status, diag, bounceCat }. */
export function attemptOutcome(world, domain, sourceIp, rcpt, rand = Math.random) {
  const odds = outcomeOdds(world, domain, sourceIp);
  const type = domain === 'hold.test' ? 't' : outcomeType(odds, rand());
  return outcomeOf(type, domain, sourceIp, rcpt, world);
}
