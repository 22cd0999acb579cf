import { dict, own } from '../util/dict.js';
import type { IspLimit, Profile } from './types.js';

/**
 * Per-ISP connection and session limits by sender reputation. Nobody authoritative
 * publishes these (POWERMTA.md): the `high` Gmail row is the article's own example
 * (8 connections x 150 messages per session for warmed, high-reputation IPs); the others
 * step down as the article advises for warming or medium reputation. Override per run with
 * DiagnoseOptions.ispLimits.
 */
export const ISP_PROFILES: Record<Profile, Record<string, IspLimit>> = {
  high: {
    'gmail.com': { maxSmtpOut: 8, maxMsgPerConnection: 150 },
    'outlook.com': { maxSmtpOut: 10, maxMsgPerConnection: 100 },
    'hotmail.com': { maxSmtpOut: 10, maxMsgPerConnection: 100 },
    'yahoo.com': { maxSmtpOut: 10, maxMsgPerConnection: 100 },
    '*': { maxSmtpOut: 20, maxMsgPerConnection: 100 },
  },
  medium: {
    'gmail.com': { maxSmtpOut: 5, maxMsgPerConnection: 100 },
    'outlook.com': { maxSmtpOut: 6, maxMsgPerConnection: 50 },
    'hotmail.com': { maxSmtpOut: 6, maxMsgPerConnection: 50 },
    'yahoo.com': { maxSmtpOut: 6, maxMsgPerConnection: 50 },
    '*': { maxSmtpOut: 10, maxMsgPerConnection: 50 },
  },
  warming: {
    'gmail.com': { maxSmtpOut: 2, maxMsgPerConnection: 20 },
    'outlook.com': { maxSmtpOut: 2, maxMsgPerConnection: 20 },
    'hotmail.com': { maxSmtpOut: 2, maxMsgPerConnection: 20 },
    'yahoo.com': { maxSmtpOut: 2, maxMsgPerConnection: 20 },
    '*': { maxSmtpOut: 4, maxMsgPerConnection: 20 },
  },
};

export function ispLimit(profile: Profile, domain: string, overrides: Record<string, IspLimit> = {}): IspLimit {
  // The domain is host text: a domain named "constructor" must get the '*' row, not Object.
  const table = dict([...Object.entries(ISP_PROFILES[profile]), ...Object.entries(overrides)]);
  return own(table, domain) ?? table['*']!;
}
