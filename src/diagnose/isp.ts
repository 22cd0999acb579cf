/**
 * Recipient domains grouped into the ISPs that receive them, by domain name and by the MX host
 * their accounting records name (dsnMta, UG §11.2: "DSN remote MTA"), so per-IP rates compare
 * like with like: a block at Microsoft shows at hotmail.com, outlook.com, live.* and every
 * domain hosted on Exchange Online together. MX rollup queues (UG §10.17, e.g. the Guide's
 * `yahoo.rollup`) go by their name. A domain nobody here knows is its own ISP. Pure.
 */

export const GOOGLE = 'Google';
export const MICROSOFT = 'Microsoft';
export const YAHOO = 'Yahoo/AOL';

/** Country-code variants: hotmail.co.uk, yahoo.com.br, live.fr (not live.example.org). */
const TLD = String.raw`(?:[a-z]{2,3}|co\.[a-z]{2}|com\.[a-z]{2})`;

/**
 * By domain: the consumer mailbox domains of the big receivers. Apple, United Internet (GMX,
 * WEB.DE, mail.com), Yandex and Comcast run their own mail systems with their own reputation
 * (each publishes its own postmaster pages), so they are ISPs of their own too.
 */
const BY_DOMAIN: Array<[RegExp, string]> = [
  [/^(gmail|googlemail)\.com$/, GOOGLE],
  [new RegExp(`^(hotmail|outlook|live|windowslive)\\.${TLD}$`), MICROSOFT],
  [/^(msn|passport)\.com$/, MICROSOFT],
  [new RegExp(`^(yahoo|ymail|rocketmail|aol)\\.${TLD}$`), YAHOO],
  [/^(aim|verizon)\.(com|net)$/, YAHOO],
  [/^(icloud|me|mac)\.com$/, 'Apple'],
  [new RegExp(`^(gmx|web|mail)\\.${TLD}$`), 'United Internet (GMX, WEB.DE)'],
  [new RegExp(`^(yandex\\.${TLD}|ya\\.ru)$`), 'Yandex'],
  [/^comcast\.net$/, 'Comcast'],
];

/** By MX host: Google Workspace, Exchange Online, Yahoo's MX for its and AOL's domains, ... */
const BY_MX: Array<[RegExp, string]> = [
  [/(^|\.)(google\.com|googlemail\.com)$/, GOOGLE],
  [/(^|\.)(protection\.outlook\.com|hotmail\.com|outlook\.com)$/, MICROSOFT],
  [/(^|\.)(yahoodns\.net|aol\.com)$/, YAHOO],
  [/(^|\.)icloud\.com$/, 'Apple'],
  [/(^|\.)(gmx\.net|web\.de)$/, 'United Internet (GMX, WEB.DE)'],
  [/(^|\.)yandex\.(net|ru)$/, 'Yandex'],
];

/** MX rollup queue names (UG §10.17: the operator names them, e.g. hotmail.rollup). */
const BY_ROLLUP: Array<[RegExp, string]> = [
  [/google|gmail/, GOOGLE],
  [/hotmail|outlook|microsoft|msn|live/, MICROSOFT],
  [/yahoo|aol/, YAHOO],
];

/** The ISP receiving mail for `domain` (lower-case), given the MX host its records name, if any. */
export function ispOf(domain: string, mx?: string): string {
  const d = domain.toLowerCase().replace(/\.$/, '');
  for (const [re, isp] of BY_DOMAIN) if (re.test(d)) return isp;
  if (d.endsWith('.rollup')) for (const [re, isp] of BY_ROLLUP) if (re.test(d)) return isp;
  const host = (mx ?? '').toLowerCase().replace(/\.$/, '');
  if (host) for (const [re, isp] of BY_MX) if (re.test(host)) return isp;
  return d;
}

/** ISP -> its domains (sorted), for the domains given; `mx` maps a domain to its MX host. */
export function groupByIsp(domains: Iterable<string>, mx: Record<string, string> = {}): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const d of domains) {
    const isp = ispOf(d, Object.hasOwn(mx, d) ? mx[d] : undefined);
    const list = out.get(isp) ?? [];
    list.push(d);
    out.set(isp, list);
  }
  for (const list of out.values()) list.sort();
  return out;
}

/** "Microsoft (hotmail.com, outlook.com)", or just the domain when it is its own ISP. */
export function ispLabel(isp: string, domains: string[]): string {
  if (domains.length === 1 && domains[0] === isp) return isp;
  const shown = domains.slice(0, 3).join(', ');
  return `${isp} (${shown}${domains.length > 3 ? `, +${domains.length - 3}` : ''})`;
}
