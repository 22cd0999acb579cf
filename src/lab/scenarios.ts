/**
 * Lab scenarios: what each lab host is set up with so that the REAL diagnostic commands see a
 * bottleneck (iostat, /proc/PID/limits, ss -s, /proc/stat, pmta show ..., the accounting file).
 * Nothing here is a flag a probe could read: the config and drop-ins are what an operator would
 * have; /etc/pmta-sim/world.json is the simulated outside world (remote ISPs, IP reputation,
 * inbound mail) and only the simulator daemon reads it.
 */
import { InputError } from '../util/errors.js';

export const SCENARIO_NAMES = [
  'healthy',
  'spool-io',
  'fd-limit',
  'port-exhaustion',
  'thread-contention',
  'isp-limit',
  'ip-reputation',
  // The same as healthy / isp-limit, with limits laid out as operators write them (macros, per-vmta blocks, a rollup).
  'healthy-macros',
  'isp-limit-macros',
  // The busy ISPs outside the first 20 domains of `pmta show domains` (name order).
  'isp-limit-many-domains',
  // Several acct files with overlapping records, hourly move-to archives (UG §11.3).
  'acct-layout',
  // One source IP refused by Microsoft (550 5.7.1 S3150 hard bounces); the others deliver.
  'microsoft-block',
  // Yahoo defers ~30 % on every source IP ([TSS04]), connections far from full.
  'isp-deferral-uniform',
  // thread-contention on a PowerMTA build that rejects the article's thread directives (the v5.0
  // User's Guide has none): one processing thread, `pmta test config` says "unknown directive".
  'thread-contention-no-directive',
] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export interface ScenarioSetup {
  /** Files to write inside the host (absolute in-host path -> content). */
  files: Record<string, string>;
  /** sysctls to set inside the host's network namespace (sysctl -w). */
  sysctls: Record<string, string>;
  /** true: the spool lives on its own XFS loop device presented as rotational, mounted at /var/spool/pmta. */
  spoolOnOwnDevice: boolean;
}

export interface ScenarioContext {
  hostIndex: number;
  hostName: string;
  address: string;
  cores: number;
  /**
   * No background work: no inbound mail and no deliberate CPU burn (benchmarks: many busy
   * simulated hosts would saturate the machine they all share). Configuration, limits,
   * sysctls, backlog and accounting history stay as the scenario has them.
   */
  quiet?: boolean;
}

/**
 * Seconds after `lab up` a scenario needs before an audit reads its steady state, with margin:
 * port-exhaustion piles TIME-WAIT sockets at a few a second, fd-limit's backlog has to reach
 * the descriptor limit and log EMFILE, isp-limit's Gmail connections have to fill up and collect
 * 421 deferrals. Measured on a 2-core machine running an 11-host all-scenario lab with audits
 * back to back (load 35-45): every scenario showed within 15 s. The lab's settle time is the
 * longest of its scenarios'; `npm run demo` and the audit lab test wait exactly that long.
 */
export const SETTLE_SECONDS: Record<ScenarioName, number> = {
  healthy: 5,
  'healthy-macros': 5,
  'acct-layout': 5,
  'spool-io': 20,
  'fd-limit': 30,
  'port-exhaustion': 30,
  'thread-contention': 20,
  'isp-limit': 30,
  'isp-limit-macros': 30,
  'isp-limit-many-domains': 30,
  'ip-reputation': 20,
  'thread-contention-no-directive': 20,
  // Their symptoms are in the backdated day of accounting; 30 s adds live records on top (reputation-lab.test.ts waits as long).
  'microsoft-block': 30,
  'isp-deferral-uniform': 30,
};

/** The settle time of a lab running these scenarios (unknown names count as the longest). */
export function labSettleSeconds(names: readonly string[]): number {
  const longest = Math.max(...Object.values(SETTLE_SECONDS));
  return Math.max(0, ...names.map((n) => (isScenarioName(n) ? SETTLE_SECONDS[n] : longest)));
}

export function isScenarioName(name: string): name is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(name);
}

/** "healthy,fd-limit" -> names; throws InputError naming the unknown ones. */
export function parseScenarioList(csv: string): ScenarioName[] {
  const names = csv.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const unknown = names.filter((n) => !isScenarioName(n));
  if (unknown.length > 0) {
    throw new InputError(`unknown scenario${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')}; known: ${SCENARIO_NAMES.join(', ')}`);
  }
  return names as ScenarioName[];
}

/** Four source IPs per host from 203.0.113.0/24 (TEST-NET-3), distinct for up to 63 hosts. */
export function sourceIps(hostIndex: number): string[] {
  const base = (hostIndex % 63) * 4 + 1;
  return [0, 1, 2, 3].map((k) => `203.0.113.${base + k}`);
}

interface DomainLimits {
  gmail: number;
  outlook: number;
  yahoo: number;
  other: number;
}

const NORMAL_LIMITS: DomainLimits = { gmail: 8, outlook: 10, yahoo: 10, other: 20 };

function lanCidr(address: string): string {
  const parts = address.split('/')[0].split('.');
  return parts.length === 4 ? `${parts.slice(0, 3).join('.')}.0/24` : '127.0.0.1/32';
}

/**
 * The acct-file blocks. 'split-hourly': as operators lay them out (UG §11.3.1 "Multiple files",
 * the martechstack corpus config): d in two files, t in a third, each moved to an archive
 * directory every hour.
 */
function acctBlocks(layout: 'single' | 'split-hourly'): string[] {
  if (layout === 'single') return ['<acct-file /var/log/pmta/acct.csv>', '    records d,b,t', '    max-size 50M', '    delete-after 8d', '</acct-file>'];
  const block = (path: string, records: string) => [`<acct-file ${path}>`, `    records ${records}`, '    move-to /var/log/pmta/archive', '    move-interval 1h', '    max-size 50M', '</acct-file>'];
  return [...block('/var/log/pmta/acct.csv', 'd,b'), ...block('/var/log/pmta/delivered.csv', 'd'), ...block('/var/log/pmta/transient.csv', 't')];
}

/**
 * The operator's /etc/pmta/config for a host. `operator` layout: the limits as real configs write
 * them (UG §3.3.1.33.4 domain-macro, `<domain>` inside each `<virtual-mta>` (§3.3.12), `[*.]` wildcards (§3.3.10),
 * an `<mx-rollup-list>` queue for Microsoft, §10.17), resolving to the same numbers.
 */
export function renderConfig(ctx: ScenarioContext, opts: { limits?: DomainLimits; processingThreads?: number; layout?: 'plain' | 'operator'; acct?: 'single' | 'split-hourly' } = {}): string {
  const limits = opts.limits ?? NORMAL_LIMITS;
  const fqdn = `${ctx.hostName}.lab.example`;
  const ips = sourceIps(ctx.hostIndex);
  const operator = opts.layout === 'operator';
  const domain = (name: string, max: number, extra = '', indent = '') =>
    [`<domain ${name}>`, `    max-smtp-out ${max}`, '    max-msg-per-connection 150', '    retry-after 10m', ...extra.split('\n').filter(Boolean), '</domain>'].map((l) => indent + l).join('\n');
  const inVmta = operator ? `\n${domain('$google', limits.gmail, '', '    ')}` : '';
  const vmtas = ips.map((ip, i) => `<virtual-mta vmta${i + 1}>\n    smtp-source-host ${ip} mta${i + 1}.${fqdn}${inVmta}\n</virtual-mta>`);
  const domains = operator
    ? [
        '<mx-rollup-list>',
        '    mx *.olc.protection.outlook.com microsoft.rollup',
        '</mx-rollup-list>',
        domain('microsoft.rollup', limits.outlook),
        domain('[*.]yahoo.com', limits.yahoo),
      ]
    : [domain('gmail.com', limits.gmail), domain('outlook.com', limits.outlook), domain('yahoo.com', limits.yahoo)];
  return [
    `# PowerMTA configuration for ${fqdn}`,
    `host-name ${fqdn}`,
    'http-mgmt-port 8080',
    'http-access 127.0.0.1 monitor',
    `http-access ${lanCidr(ctx.address)} monitor`,
    'run-as-root no',
    'log-file /var/log/pmta/pmta.log',
    'total-max-smtp-out 10000',
    ...(opts.processingThreads !== undefined ? [`queue-processing-threads ${opts.processingThreads}`] : []),
    ...(operator ? ['domain-macro google gmail.com, googlemail.com'] : []),
    '',
    ...acctBlocks(opts.acct ?? 'single'),
    '',
    '<spool /var/spool/pmta>',
    '    deliver-only no',
    '</spool>',
    '',
    '<source 127.0.0.1>',
    '    always-allow-relaying yes',
    '    process-x-virtual-mta yes',
    '</source>',
    '',
    ...vmtas,
    '',
    '<virtual-mta-pool default>',
    ...ips.map((_, i) => `    virtual-mta vmta${i + 1}`),
    '    <domain *>',
    `        max-smtp-out ${limits.other}`,
    '        retry-after 10m',
    '    </domain>',
    '</virtual-mta-pool>',
    '',
    ...domains,
    domain('hold.test', 2, '    bounce-after 4d12h\n'),
    '',
  ].join('\n');
}

type World = Record<string, unknown>;

function worldFor(name: ScenarioName, ctx: ScenarioContext): World {
  const ips = sourceIps(ctx.hostIndex);
  switch (name) {
    case 'healthy':
    case 'healthy-macros':
      return { inbound: { perMinute: 60 } };
    case 'acct-layout':
      // Healthy traffic; the accounting named and moved as UG §11.3.1 says (see acctBlocks).
      return { inbound: { perMinute: 60 }, acctDatedNames: true };
    case 'spool-io':
      // Three writers, back to back, 4 KiB blocks each fsynced: the spool device runs near saturation
      // (one writer left it idle whenever that writer waited for a CPU on a busy machine: 35-55 %util).
      // 128 KiB messages keep the message rate (~50/s) below what delivery drains on a loaded
      // machine: with 16 KiB the queue reached maxQueued, the writers paused and %util fell to 30-45.
      return { inbound: { perMinute: 'continuous', writers: 3, sizeBytes: 131072, maxQueued: 3000 }, isps: { '*': { secondsPerMsg: 0.5 } } };
    case 'fd-limit':
      // A backlog wanting far more open spool files than LimitNOFILE allows; slow remote answers keep them open.
      // Inbound outpaces what ~230 descriptors can carry, so the backlog (and the EMFILEs) persist.
      return { backlog: { 'gmail.com': 800, 'outlook.com': 600, 'yahoo.com': 600 }, inbound: { perMinute: 480, maxQueued: 3000 }, isps: { '*': { secondsPerMsg: 30 } } };
    case 'port-exhaustion':
      return { inbound: { perMinute: 60 }, mxSockets: { listen: 'host', port: 25, closeWait: 300, timeWaitPerSec: 6 } };
    case 'thread-contention':
    case 'thread-contention-no-directive':
      // Processing costs 60 ms CPU per step (two steps a message): one thread manages ~8 msg/s, below
      // the ~24 msg/s the connections could carry, so it stays saturated while the backlog lasts:
      // ~8 minutes, so a settled lab (LAB_SETTLE_SECONDS) still shows it for many audits (CPU capped
      // at 480 s). With queue-processing-threads = cores the threads keep up and the load spreads.
      return { backlog: { 'gmail.com': 1500, 'outlook.com': 1000, 'yahoo.com': 1000, 'example.net': 500 }, inbound: { perMinute: 30 }, isps: { '*': { secondsPerMsg: 8 } }, cpuMsPerMsg: 60, maxBusySeconds: 480 };
    case 'isp-limit':
    case 'isp-limit-macros':
      // Gmail throttles every IP alike: slow sessions and many 421 4.7.0 deferrals.
      return {
        backlog: { 'gmail.com': 2000 },
        inbound: { perMinute: 90, domains: { 'gmail.com': 0.7, 'outlook.com': 0.15, 'yahoo.com': 0.15 } },
        mix: { 'gmail.com': 0.6, 'outlook.com': 0.2, 'yahoo.com': 0.15, 'example.net': 0.05 },
        isps: { 'gmail.com': { deferRate: 0.35, secondsPerMsg: 4 } },
      };
    case 'isp-limit-many-domains':
      // The isp-limit symptom at gmail.com, hidden in a queue of ~245 domains.
      return {
        backlog: { 'gmail.com': 2000, 'hotmail.com': 300, 'yahoo.com': 300, ...Object.fromEntries(SMALL_DOMAINS.map((d) => [d, 1])) },
        inbound: { perMinute: 90, domains: { 'gmail.com': 0.7, 'hotmail.com': 0.15, 'yahoo.com': 0.15 } },
        mix: { 'gmail.com': 0.6, 'hotmail.com': 0.15, 'yahoo.com': 0.15, 'outlook.com': 0.05, 'example.net': 0.05 },
        isps: {
          '*': { secondsPerMsg: 86400 },
          'gmail.com': { deferRate: 0.35, secondsPerMsg: 4 },
          'hotmail.com': { secondsPerMsg: 1 },
          'yahoo.com': { secondsPerMsg: 1 },
          'outlook.com': { secondsPerMsg: 1 },
          'example.net': { secondsPerMsg: 1 },
        },
      };
    case 'microsoft-block':
      // The second source IP is on Microsoft's block list: 9 in 10 of its attempts at hotmail.com
      // and outlook.com bounce (550 5.7.1 ... S3150, policy-related); other IPs and ISPs are fine.
      return {
        inbound: { perMinute: 60 },
        mix: { 'gmail.com': 0.35, 'outlook.com': 0.2, 'hotmail.com': 0.15, 'yahoo.com': 0.15, 'example.net': 0.15 },
        ipBlocks: { [ips[1]]: { domains: ['hotmail.com', 'outlook.com'], rate: 0.9 } },
      };
    case 'isp-deferral-uniform':
      // Yahoo defers ~30 % of attempts on every IP alike ([TSS04]); its connections stay far below max-smtp-out.
      return { inbound: { perMinute: 60 }, isps: { 'yahoo.com': { deferRate: 0.3 } } };
    case 'ip-reputation':
      // Two of the four source IPs have a poor reputation: their deferrals dominate.
      return { inbound: { perMinute: 90 }, backlog: { 'gmail.com': 200, 'outlook.com': 150, 'yahoo.com': 150 }, ipReputation: { [ips[2]]: 0.45, [ips[3]]: 0.25 } };
  }
}

/**
 * Small recipient domains of a real-size queue: their names sort before gmail.com, hotmail.com
 * and yahoo.com, so `pmta show domains` (20 rows in name order, UG §6.3.12) never reaches the
 * busy ISPs. One message each, held by a slow remote (no deferral records, one open spool file).
 */
export const SMALL_DOMAINS = Array.from({ length: 240 }, (_, i) => `customer-${String(i + 1).padStart(3, '0')}.example`);

function quietWorld(world: World): World {
  return { ...world, inbound: { ...(world.inbound as object | undefined), perMinute: 0 }, maxBusySeconds: 0 };
}

/** How each scenario's /etc/pmta/config differs from the default one. */
const CONFIG_OPTIONS: Partial<Record<ScenarioName, Parameters<typeof renderConfig>[1]>> = {
  'thread-contention': { processingThreads: 1 },
  'isp-limit': { limits: { ...NORMAL_LIMITS, gmail: 2 } },
  'isp-limit-many-domains': { limits: { ...NORMAL_LIMITS, gmail: 2 } },
  'isp-limit-macros': { limits: { ...NORMAL_LIMITS, gmail: 2 }, layout: 'operator' },
  'healthy-macros': { layout: 'operator' },
  'fd-limit': { limits: { gmail: 60, outlook: 60, yahoo: 60, other: 60 } },
  'acct-layout': { acct: 'split-hourly' },
};

/** The simulated PowerMTA build of thread-contention-no-directive (lib/config.mjs loadBuild). */
const STRICT_BUILD = { unknownDirectives: ['queue-processing-threads', 'smtp-service-threads', 'num-hosts'], processingThreads: 1 };

export function scenarioSetup(name: ScenarioName, ctx: ScenarioContext): ScenarioSetup {
  const files: Record<string, string> = {};
  const sysctls: Record<string, string> = {};
  const config = renderConfig(ctx, CONFIG_OPTIONS[name] ?? {});
  files['/etc/pmta/config'] = config;
  files['/etc/pmta-sim/world.json'] = `${JSON.stringify(ctx.quiet ? quietWorld(worldFor(name, ctx)) : worldFor(name, ctx), null, 2)}\n`;
  if (name === 'thread-contention-no-directive') files['/etc/pmta-sim/build.json'] = `${JSON.stringify(STRICT_BUILD, null, 2)}\n`;
  if (name === 'fd-limit') files['/etc/systemd/system/pmta.service.d/limits.conf'] = '[Service]\nLimitNOFILE=256\n';
  if (name === 'port-exhaustion') sysctls['net.ipv4.ip_local_port_range'] = '40000 40500';
  return { files, sysctls, spoolOnOwnDevice: name === 'spool-io' };
}
