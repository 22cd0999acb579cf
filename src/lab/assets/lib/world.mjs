// The simulated outside world (/etc/pmta-sim/world.json): remote ISPs, IP reputation, inbound
// mail. Only the daemon reads it; it decides what the remote side answers, never what a probe sees.
import fs from 'node:fs';
import { hostPath, PATHS } from './paths.mjs';

export const DEFAULT_WORLD = {
  /** Recipient domains and their share of the traffic. */
  mix: { 'gmail.com': 0.4, 'outlook.com': 0.25, 'yahoo.com': 0.2, 'example.net': 0.15 },
  /** Per remote domain ('*' for all others): deferral/bounce probability, seconds per message on a connection. */
  isps: {
    '*': { deferRate: 0.01, bounceRate: 0.005, secondsPerMsg: 1 },
  },
  /** Source IP -> extra deferral probability (poor reputation). */
  ipReputation: {},
  /** Source IP -> { domains, rate }: the share of its attempts those ISP domains refuse with a 5xx block. */
  ipBlocks: {},
  /** Inbound mail: messages per minute written to the spool ('continuous' = as fast as one writer can). */
  inbound: { perMinute: 30, sizeBytes: 4096, domains: null, maxQueued: 5000 },
  /** Messages queued once at first start, per domain. */
  backlog: {},
  /** Queues ("domain" or "domain/vmta", `*` wildcards) in backoff mode from the start (UG §6.3.11). */
  backoff: [],
  /** Hourly message volumes for the 24 h of history written at first start. */
  hourlyVolume: [400, 350, 300, 300, 320, 380, 500, 700, 900, 1000, 1050, 1000, 950, 980, 1000, 1020, 990, 900, 800, 700, 650, 600, 520, 450],
  /** Seconds a deferred message waits before the next attempt (the simulator compresses retry-after). */
  retrySeconds: 30,
  /** CPU milliseconds the queue processing needs per message. */
  cpuMsPerMsg: 2,
  /** Upper bound on how long a saturated processing thread spins, in seconds. */
  maxBusySeconds: 300,
  /** Remote MX behaviour over real TCP (port-exhaustion): null = simulated connections only. */
  mxSockets: null,
};

function merge(base, over) {
  if (!over || typeof over !== 'object' || Array.isArray(over)) return over ?? base;
  const out = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = base && typeof base[k] === 'object' && base[k] !== null && !Array.isArray(base[k]) ? merge(base[k], v) : v;
  }
  return out;
}

export function loadWorld() {
  const file = hostPath(PATHS.world);
  if (!fs.existsSync(file)) return DEFAULT_WORLD;
  return merge(DEFAULT_WORLD, JSON.parse(fs.readFileSync(file, 'utf8')));
}

export function ispOf(world, domain) {
  return { ...world.isps['*'], ...(world.isps[domain] ?? {}) };
}

/** Remote MX names and addresses (documentation ranges, never contacted). */
export function mxOf(domain) {
  const table = {
    'gmail.com': ['gmail-smtp-in.l.google.com', '192.0.2.26'],
    'outlook.com': ['outlook-com.olc.protection.outlook.com', '192.0.2.52'],
    'hotmail.com': ['hotmail-com.olc.protection.outlook.com', '192.0.2.53'],
    'yahoo.com': ['mta5.am0.yahoodns.net', '192.0.2.77'],
    'hold.test': ['mx.hold.test', '192.0.2.99'],
  };
  return table[domain] ?? [`mx.${domain}`, '192.0.2.10'];
}

/** The remote server's deferral text, as the big ISPs word it. */
export function deferralDiag(domain, sourceIp) {
  if (domain === 'gmail.com') {
    return { status: '4.7.0', bounceCat: 'policy-related', diag: `smtp;421 4.7.0 [${sourceIp}] Our system has detected an unusual rate of unsolicited mail originating from your IP address. To protect our users from spam, mail sent from your IP address has been temporarily rate limited.` };
  }
  if (domain === 'outlook.com' || domain === 'hotmail.com') {
    return { status: '4.7.650', bounceCat: 'policy-related', diag: `smtp;451 4.7.650 The mail server [${sourceIp}] has been temporarily rate limited due to IP reputation. For e-mail delivery information, see https://postmaster.live.com` };
  }
  if (domain === 'yahoo.com') {
    // Yahoo's wording as published (corpus isp-deferral-texts.txt).
    return { status: '4.7.0', bounceCat: 'policy-related', diag: `smtp;421 4.7.0 [TSS04] Messages from ${sourceIp} temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes` };
  }
  if (domain === 'hold.test') {
    return { status: '4.4.1', bounceCat: 'no-answer-from-host', diag: 'smtp;421 4.4.1 mx.hold.test: service temporarily unavailable, try again later' };
  }
  return { status: '4.7.0', bounceCat: 'other', diag: 'smtp;421 4.7.0 Try again later, closing connection.' };
}

/**
 * Microsoft's block of a source IP (corpus isp-deferral-texts.txt: S3150 is a 550, a hard
 * bounce, not a deferral). PowerMTA classes a bounce by its text (UG §11.2.3 bounceCat): a
 * block list refusal of the sender is policy-related (the Guide's spam-rejection sample is
 * spam-related).
 */
export function blockDiag(sourceIp) {
  return {
    status: '5.7.1',
    bounceCat: 'policy-related',
    diag: `smtp;550 5.7.1 Unfortunately, messages from [${sourceIp}] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors.`,
  };
}

export function bounceDiag(rcpt) {
  return { status: '5.1.1', bounceCat: 'bad-mailbox', diag: `smtp;550 5.1.1 <${rcpt}>: Recipient address rejected: user unknown` };
}
