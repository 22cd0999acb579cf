/**
 * `audit --format openmetrics`: the audit as Prometheus text exposition (format 0.0.4, the
 * one node_exporter's textfile collector and `promtool check metrics` read; no `# EOF`, which
 * only the OpenMetrics 1.0 negotiation would need). Every metric is a gauge of this audit.
 * Pure: report in, text out.
 *
 * Label values come from hosts (source IPs and recipient domains from accounting files, finding
 * kinds) or the inventory: they are bounded (MAX_LABEL_CHARS code points), control characters
 * replaced, and `\`, `"` and newline escaped, so no host text can end a label or start a line.
 * Per host at most MAX_IPS source IPs and MAX_ISPS ISPs (the busiest) are exported, so a
 * long tail of domains cannot blow up the number of series.
 */
import { hostView } from './view.js';
import { groupByIsp } from '../diagnose/isp.js';
import type { AuditHost, AuditReport } from '../audit/types.js';

export const MAX_LABEL_CHARS = 128;
export const MAX_IPS = 64;
export const MAX_ISPS = 20;

/** Every finding kind gets a severity series per host (0 when absent), so alerts see it go. */
const KNOWN_KINDS = ['spool-io', 'fd-limit', 'port-exhaustion', 'thread-contention', 'isp-limit', 'deferrals', 'ip-reputation'];
const SEVERITY_VALUE: Record<string, number> = { info: 1, warn: 2, critical: 3 };

/** name -> help; the order here is the order of the exposition. */
const FAMILIES = {
  mtafleet_audit_hosts: 'Hosts in the audit.',
  mtafleet_audit_hosts_reachable: 'Hosts of the audit that could be connected to.',
  mtafleet_host_reachable: '1 when the host could be connected to, else 0.',
  mtafleet_host_probed: '1 when every probe of the host ran and the host was diagnosed, else 0.',
  mtafleet_host_probe_duration_seconds: 'Wall time to connect to, probe and diagnose the host.',
  mtafleet_delivery_rate_messages_per_second: 'Messages delivered in the last hour (PowerMTA status, else the newest accounting hour), per second.',
  mtafleet_queue_recipients: 'Recipients queued for SMTP delivery (PowerMTA status).',
  mtafleet_smtp_out_connections: 'Outbound SMTP connections open (PowerMTA status).',
  mtafleet_smtp_out_connections_limit: 'Ceiling on outbound SMTP connections: total-max-smtp-out of the config, else the maximum PowerMTA reports.',
  mtafleet_open_files: 'File descriptors open by the PowerMTA daemon.',
  mtafleet_open_files_limit: "Soft limit on the PowerMTA daemon's open files (+Inf when unlimited).",
  mtafleet_tcp_time_wait_sockets: 'TCP sockets in TIME-WAIT.',
  mtafleet_local_ports: 'Size of the local port range (net.ipv4.ip_local_port_range): the ceiling on outbound connections to one destination.',
  mtafleet_source_ip_recipients: 'Recipients (d, t and b records) per source IP in the accounting window.',
  mtafleet_source_ip_deferral_ratio: 'Deferred share of the source IP\'s records in the accounting window (absent when the window has no t records).',
  mtafleet_source_ip_bounce_ratio: "Bounced share of the source IP's records in the accounting window.",
  mtafleet_isp_recipients: 'Recipients (d, t and b records) per receiving ISP in the accounting window.',
  mtafleet_isp_deferral_ratio: "Deferred share of the ISP's records in the accounting window (absent when the window has no t records).",
  mtafleet_isp_bounce_ratio: "Bounced share of the ISP's records in the accounting window.",
  mtafleet_finding_severity: 'Worst severity of the finding kind on the host: 0 none, 1 info, 2 warn, 3 critical.',
  mtafleet_findings: 'Findings on the host by severity.',
} as const;

type FamilyName = keyof typeof FAMILIES;
type Labels = ReadonlyArray<readonly [string, string]>;

class Exposition {
  readonly #samples = new Map<FamilyName, Map<string, string>>();

  add(name: FamilyName, labels: Labels, value: number | undefined): void {
    if (value === undefined || Number.isNaN(value)) return;
    const rendered = labels.length === 0 ? '' : `{${labels.map(([k, v]) => `${k}="${labelValue(v)}"`).join(',')}}`;
    const family = this.#samples.get(name) ?? new Map<string, string>();
    this.#samples.set(name, family);
    // Two label values cut to the same prefix would repeat a series: the first one stays.
    if (!family.has(rendered)) family.set(rendered, `${name}${rendered} ${formatValue(value)}`);
  }

  render(): string {
    const out: string[] = [];
    for (const name of Object.keys(FAMILIES) as FamilyName[]) {
      const family = this.#samples.get(name);
      if (!family || family.size === 0) continue;
      out.push(`# HELP ${name} ${FAMILIES[name]}`, `# TYPE ${name} gauge`, ...family.values());
    }
    return out.length === 0 ? '' : out.join('\n') + '\n';
  }
}

export function renderOpenMetrics(report: AuditReport): string {
  const x = new Exposition();
  x.add('mtafleet_audit_hosts', [], report.summary.hosts);
  x.add('mtafleet_audit_hosts_reachable', [], report.summary.reachable);
  for (const host of report.hosts) addHost(x, host);
  return x.render();
}

function addHost(x: Exposition, host: AuditHost): void {
  const h = [['host', host.name]] as const;
  x.add('mtafleet_host_reachable', h, host.reachable ? 1 : 0);
  x.add('mtafleet_host_probed', h, host.reachable && host.error === null ? 1 : 0);
  if (host.probeSeconds !== undefined) x.add('mtafleet_host_probe_duration_seconds', h, host.probeSeconds);
  if (!host.reachable) return;
  const view = hostView(host);
  x.add('mtafleet_delivery_rate_messages_per_second', h, view.rate === null ? undefined : view.rate / 3600);
  x.add('mtafleet_queue_recipients', h, view.queue ?? undefined);
  const facts = host.facts as Record<string, unknown>;
  const status = obj(facts.pmtaStatus);
  const smtpOut = obj(obj(status?.connections)?.smtpOut);
  x.add('mtafleet_smtp_out_connections', h, num(smtpOut?.active));
  const settings = obj(obj(facts.config)?.settings);
  x.add('mtafleet_smtp_out_connections_limit', h, num(settings?.totalMaxSmtpOut) ?? positive(num(smtpOut?.max)));
  const fd = obj(facts.fd);
  x.add('mtafleet_open_files', h, num(fd?.openFds));
  x.add('mtafleet_open_files_limit', h, num(fd?.softLimit, true));
  const ports = obj(facts.ports);
  x.add('mtafleet_tcp_time_wait_sockets', h, num(ports?.timeWait));
  x.add('mtafleet_local_ports', h, num(ports?.localPorts));
  addAccounting(x, host.name, obj(facts.accounting));
  addFindings(x, host);
}

interface Counts {
  delivered: number;
  deferred: number;
  bounced: number;
}

function addAccounting(x: Exposition, host: string, acc: Record<string, unknown> | undefined): void {
  if (!acc) return;
  const deferralsKnown = acc.hasTransientRecords !== false;
  const rates = (labels: Labels, c: Counts, family: 'source_ip' | 'isp'): void => {
    const total = c.delivered + c.deferred + c.bounced;
    x.add(`mtafleet_${family}_recipients`, labels, total);
    if (total === 0) return;
    if (deferralsKnown) x.add(`mtafleet_${family}_deferral_ratio`, labels, c.deferred / total);
    x.add(`mtafleet_${family}_bounce_ratio`, labels, c.bounced / total);
  };
  for (const [ip, c] of busiest(countsOf(acc.bySourceIp), MAX_IPS)) rates([['host', host], ['ip', ip]], c, 'source_ip');
  const byDomain = countsOf(acc.byDomain);
  const mx = new Map<string, string>();
  for (const [d, m] of Object.entries(obj(acc.mxHosts) ?? {})) if (typeof m === 'string') mx.set(d, m);
  const byIsp = new Map<string, Counts>();
  const domains = new Map(byDomain);
  for (const [isp, members] of groupByIsp(domains.keys(), Object.fromEntries(mx))) {
    const sum: Counts = { delivered: 0, deferred: 0, bounced: 0 };
    for (const d of members) {
      const c = domains.get(d)!;
      sum.delivered += c.delivered;
      sum.deferred += c.deferred;
      sum.bounced += c.bounced;
    }
    byIsp.set(isp, sum);
  }
  for (const [isp, c] of busiest([...byIsp], MAX_ISPS)) rates([['host', host], ['isp', isp]], c, 'isp');
}

function addFindings(x: Exposition, host: AuditHost): void {
  const worst = new Map<string, number>(KNOWN_KINDS.map((k) => [k, 0]));
  const bySeverity = new Map<string, number>([['info', 0], ['warn', 0], ['critical', 0]]);
  for (const f of host.findings) {
    const value = SEVERITY_VALUE[f.severity] ?? 0;
    worst.set(f.kind, Math.max(worst.get(f.kind) ?? 0, value));
    if (bySeverity.has(f.severity)) bySeverity.set(f.severity, bySeverity.get(f.severity)! + 1);
  }
  for (const [kind, value] of worst) x.add('mtafleet_finding_severity', [['host', host.name], ['kind', kind]], value);
  for (const [severity, n] of bySeverity) x.add('mtafleet_findings', [['host', host.name], ['severity', severity]], n);
}

/** Host counters keyed by host text, read defensively (numbers only), as an entry list. */
function countsOf(value: unknown): Array<[string, Counts]> {
  const out: Array<[string, Counts]> = [];
  for (const [key, c] of Object.entries(obj(value) ?? {})) {
    const o = obj(c);
    if (!o) continue;
    out.push([key, { delivered: num(o.delivered) ?? 0, deferred: num(o.deferred) ?? 0, bounced: num(o.bounced) ?? 0 }]);
  }
  return out;
}

/** The `limit` entries with the most records, busiest first (ties by name, for stable output). */
function busiest(entries: Array<[string, Counts]>, limit: number): Array<[string, Counts]> {
  const total = (c: Counts): number => c.delivered + c.deferred + c.bounced;
  return entries.sort((a, b) => total(b[1]) - total(a[1]) || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).slice(0, limit);
}

/**
 * A label value for the exposition: well-formed Unicode, at most MAX_LABEL_CHARS code points
 * (a cut one ends in "…"), control characters but newline as U+FFFD, then `\`, `"` and newline
 * escaped as the text format requires.
 */
export function labelValue(text: string): string {
  let s = text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\uFFFD');
  const points = Array.from(s);
  if (points.length > MAX_LABEL_CHARS) s = points.slice(0, MAX_LABEL_CHARS - 1).join('') + '…';
  return s
    .replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/g, '\uFFFD')
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n');
}

/** Go's ParseFloat reads JS's number text; infinities are spelled +Inf / -Inf. */
export function formatValue(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function num(v: unknown, allowInfinity = false): number | undefined {
  if (typeof v !== 'number' || Number.isNaN(v)) return undefined;
  return Number.isFinite(v) || allowInfinity ? v : undefined;
}

function positive(v: number | undefined): number | undefined {
  return v !== undefined && v > 0 ? v : undefined;
}
