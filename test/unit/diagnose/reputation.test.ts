/**
 * Reputation per source IP and receiving ISP, and ISP-wide deferrals (issue #12 item 5):
 * pure, facts in. Texts are the corpus's ISP texts (isp-deferral-texts.txt) as the accounting
 * normaliser groups them.
 */
import { describe, expect, it } from 'vitest';
import { diagnose, type Finding } from '../../../src/diagnose/index.js';
import { groupByIsp, ispOf } from '../../../src/diagnose/isp.js';
import { isPolicyBounce, ispStats } from '../../../src/diagnose/reputation.js';
import type { AccountingFailure, Counts, IpDomainCounts } from '../../../src/probes/accounting.js';
import type { HostFacts } from '../../../src/probes/index.js';
import { accounting, counts, healthy } from './facts.js';

const IPS = ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4'];
const S3150 = "smtp;550 5.7.1 Unfortunately, messages from [<ip>] weren't s";
const TSS04 = 'smtp;421 4.7.0 [TSS04] Messages from <ip> temporarily deferr';

interface Cell {
  ip: string;
  domain: string;
  c: Counts;
  /** b records refused for policy/spam (bounceCat) or 5.7.x. */
  policy?: number;
}

/** The healthy host with accounting built from per (IP, domain) cells and failure groups. */
function hostWith(cells: Cell[], failures: AccountingFailure[] = []): HostFacts {
  const h = healthy();
  const byDomain: Record<string, Counts> = {};
  const byIp: Record<string, Counts> = {};
  const byIpDomain: Record<string, Record<string, IpDomainCounts>> = {};
  const add = (into: Record<string, Counts>, k: string, c: Counts) => {
    const t = (into[k] ??= counts(0, 0, 0));
    t.delivered += c.delivered;
    t.deferred += c.deferred;
    t.bounced += c.bounced;
  };
  for (const { ip, domain, c, policy = 0 } of cells) {
    add(byDomain, domain, c);
    add(byIp, ip, c);
    const t = ((byIpDomain[ip] ??= {})[domain] ??= { ...counts(0, 0, 0), policy: 0, queueFailures: 0 });
    t.delivered += c.delivered;
    t.deferred += c.deferred;
    t.bounced += c.bounced;
    t.policy += policy;
  }
  h.facts.accounting = { ...accounting(byDomain, byIp), byIpDomain, failures, mxHosts: {}, topDiagnostics: [] };
  return h;
}

const everyIp = (domain: string, c: (ip: string, i: number) => Counts): Cell[] => IPS.map((ip, i) => ({ ip, domain, c: c(ip, i) }));
const baseline = (): Cell[] => [
  ...everyIp('gmail.com', () => counts(2000, 20, 10)),
  ...everyIp('yahoo.com', () => counts(1000, 10, 5)),
  ...everyIp('example.net', () => counts(500, 5, 2)),
];
const serious = (f: Finding[]) => f.filter((x) => x.severity !== 'info');

describe('ISP grouping', () => {
  it('groups recipient domains by name, by MX host and by MX rollup queue name; unknown domains are their own ISP', () => {
    expect(['gmail.com', 'googlemail.com'].map((d) => ispOf(d))).toEqual(['Google', 'Google']);
    expect(['hotmail.com', 'hotmail.co.uk', 'outlook.com', 'live.fr', 'msn.com'].map((d) => ispOf(d))).toEqual(Array(5).fill('Microsoft'));
    expect(['yahoo.com', 'yahoo.fr', 'yahoo.com.br', 'ymail.com', 'rocketmail.com', 'aol.com'].map((d) => ispOf(d))).toEqual(Array(6).fill('Yahoo/AOL'));
    // Hosted domains by their MX (dsnMta host): Google Workspace, Exchange Online, Yahoo's MX.
    expect(ispOf('corp.example', 'aspmx.l.google.com')).toBe('Google');
    expect(ispOf('contoso.example', 'contoso-example.mail.protection.outlook.com')).toBe('Microsoft');
    expect(ispOf('aol.example', 'mx-aol.mail.gm0.yahoodns.net')).toBe('Yahoo/AOL');
    // The Guide's rollup queue names (UG §10.17, §11.2 samples: yahoo.rollup).
    expect(ispOf('yahoo.rollup')).toBe('Yahoo/AOL');
    expect(ispOf('hotmail.rollup')).toBe('Microsoft');
    // Not a Microsoft domain because it starts with "live.".
    expect(ispOf('live.example.org')).toBe('live.example.org');
    expect(ispOf('example.net', 'mx.example.net')).toBe('example.net');
    expect([...groupByIsp(['outlook.com', 'gmail.com', 'hotmail.com', 'x.example'])]).toEqual([
      ['Microsoft', ['hotmail.com', 'outlook.com']],
      ['Google', ['gmail.com']],
      ['x.example', ['x.example']],
    ]);
  });
});

describe('reputation per source IP and ISP', () => {
  it('a Microsoft block seen only as policy-related 550 5.7.1 bounces on one IP is ip-reputation naming the IP and Microsoft', () => {
    const cells = [
      ...baseline(),
      ...everyIp('hotmail.com', (ip) => (ip === IPS[1] ? counts(100, 0, 700) : counts(800, 8, 4))).map((x) => ({ ...x, policy: x.ip === IPS[1] ? 696 : 0 })),
      ...everyIp('outlook.com', (ip) => (ip === IPS[1] ? counts(50, 0, 350) : counts(400, 4, 2))).map((x) => ({ ...x, policy: x.ip === IPS[1] ? 348 : 0 })),
    ];
    const failures: AccountingFailure[] = [
      { type: 'b', domain: 'hotmail.com', bounceCat: 'policy-related', dsnStatus: '5.7.1', pattern: S3150, count: 696 },
      { type: 'b', domain: 'outlook.com', bounceCat: 'policy-related', dsnStatus: '5.7.1', pattern: S3150, count: 348 },
      // Ordinary bad-mailbox bounces (every IP) are not policy bounces.
      { type: 'b', domain: 'hotmail.com', bounceCat: 'bad-mailbox', dsnStatus: '5.1.1', pattern: 'smtp;550 5.1.1 <addr>: Recipient address rejected: user un', count: 16 },
    ];
    const findings = serious(diagnose(hostWith(cells, failures)));
    expect(findings.map((f) => `${f.kind}:${f.severity}`)).toEqual(['ip-reputation:critical']);
    const [f] = findings;
    expect(f!.title).toMatch(/^203\.0\.113\.2 is refused by Microsoft \(hotmail\.com, outlook\.com\)/);
    expect(f!.evidence[0]).toMatch(/^203\.0\.113\.2 at Microsoft \(hotmail\.com, outlook\.com\): 87\.0 % deferred or refused \(0 t \+ 1,044 policy\/spam b of 1,200 d\/t\/b records\) vs 1\.0 % median/);
    // What Microsoft said: the block text, summed over hotmail.com and outlook.com.
    expect(f!.evidence).toContainEqual(`Microsoft: 1,044 bounced policy-related 5.7.1: ${S3150} (accounting bounceCat, dsnStatus, dsnDiag)`);
  });

  it('counts the per-IP policy/spam bounces the accounting reports (isPolicyBounce: spam-related, policy-related, any 5.7.x; not bad-mailbox)', () => {
    expect(isPolicyBounce({ type: 'b', bounceCat: 'spam-related', dsnStatus: '5.7.1' })).toBe(true);
    expect(isPolicyBounce({ type: 'b', bounceCat: 'other', dsnStatus: '5.7.606' })).toBe(true);
    expect(isPolicyBounce({ type: 'b', bounceCat: 'policy-related', dsnStatus: '5.0.0' })).toBe(true);
    expect(isPolicyBounce({ type: 'b', bounceCat: 'bad-mailbox', dsnStatus: '5.1.1' })).toBe(false);
    expect(isPolicyBounce({ type: 't', bounceCat: 'policy-related', dsnStatus: '4.7.0' })).toBe(false);
    const cells = [...baseline(), ...everyIp('aol.com', (ip) => (ip === IPS[3] ? counts(300, 0, 200) : counts(500, 5, 2))).map((x) => ({ ...x, policy: x.ip === IPS[3] ? 200 : 0 }))];
    const failures: AccountingFailure[] = [{ type: 'b', domain: 'aol.com', bounceCat: 'spam-related', dsnStatus: '5.7.1', pattern: 'smtp;554 5.7.1 Denied - Spam Suspected - <url>', count: 200 }];
    expect(ispStats(hostWith(cells, failures).facts.accounting!)!.get('Yahoo/AOL')!.ips.find((e) => e.ip === IPS[3])!.policy).toBe(200);
    const top = serious(diagnose(hostWith(cells, failures)))[0]!;
    expect(top.kind).toBe('ip-reputation');
    expect(top.title).toContain('203.0.113.4 is refused by Yahoo/AOL (aol.com, yahoo.com)');
    expect(top.evidence).toContainEqual('Yahoo/AOL: 200 bounced spam-related 5.7.1: smtp;554 5.7.1 Denied - Spam Suspected - <url> (accounting bounceCat, dsnStatus, dsnDiag)');
  });

  it('a uniform deferral on every IP at one ISP (Yahoo TSS04) is a deferrals finding at the ISP, not pinned on an IP', () => {
    const cells = [...everyIp('gmail.com', () => counts(2000, 20, 10)), ...everyIp('yahoo.com', (_, i) => counts(700, 280 + i * 10, 5)), ...everyIp('example.net', () => counts(500, 5, 2))];
    const failures: AccountingFailure[] = [{ type: 't', domain: 'yahoo.com', bounceCat: 'policy-related', dsnStatus: '4.7.0', pattern: TSS04, count: 1180 }];
    const findings = serious(diagnose(hostWith(cells, failures)));
    expect(findings.map((f) => `${f.kind}:${f.severity}`)).toEqual(['deferrals:critical']);
    const [f] = findings;
    expect(f!.title).toMatch(/^Yahoo\/AOL \(yahoo\.com\) defers 2\d\.\d % of messages on every source IP/);
    expect(f!.evidence).toContainEqual(expect.stringMatching(/^per-IP deferral rates at Yahoo\/AOL: 203\.0\.113\.4 3\d\.\d %, .*: uniform, so not an IP reputation problem/));
    // One text on four IPs is one group (the normalised pattern holds no IP): 280 + 290 + 300 + 310.
    expect(f!.evidence).toContainEqual(`Yahoo/AOL: 1,180 deferred policy-related 4.7.0: ${TSS04} (accounting bounceCat, dsnStatus, dsnDiag)`);
  });

  it('deferrals of two IPs at every ISP are one ip-reputation finding naming the IPs and ISPs; what is left at each ISP is not a deferrals finding', () => {
    const bad = (ip: string, c: Counts): Counts => (ip === IPS[2] ? counts(c.delivered * 0.55, c.delivered * 0.45, 0) : ip === IPS[3] ? counts(c.delivered * 0.75, c.delivered * 0.25, 0) : c);
    const cells = baseline().map((x) => ({ ...x, c: bad(x.ip, x.c) }));
    const findings = serious(diagnose(hostWith(cells)));
    expect(findings.map((f) => f.kind)).toEqual(['ip-reputation']);
    expect(findings[0]!.title).toMatch(/^Deferrals and policy bounces concentrate on 2 of 4 source IPs \(203\.0\.113\.3, 203\.0\.113\.4\) at /);
    expect(findings[0]!.title).toContain('Google');
  });

  it('a healthy host with per-IP-per-ISP facts has no warn or critical finding', () => {
    expect(serious(diagnose(hostWith(baseline())))).toEqual([]);
  });

  it('an ISP with fewer than two IPs with enough records has no outlier (nothing to compare with)', () => {
    const cells = [...baseline(), { ip: IPS[0]!, domain: 'hotmail.com', c: counts(20, 0, 80), policy: 80 }];
    const failures: AccountingFailure[] = [{ type: 'b', domain: 'hotmail.com', bounceCat: 'policy-related', dsnStatus: '5.7.1', pattern: S3150, count: 80 }];
    expect(serious(diagnose(hostWith(cells, failures))).map((f) => f.kind)).not.toContain('ip-reputation');
  });
});
