import { script } from '../transport/quote.js';
import { parseDomainListing, parseQueueListing, truncationWarning, type DomainRow, type QueueRow } from './pmta-listings.js';
import { num, parseMarkers } from './sections.js';
import type { Probe, ProbeOutput, ProbeResult } from './types.js';

export interface Flow {
  rcpts: number;
  msgs: number;
  kbytes: number;
}
export interface TrafficRow {
  in: Flow;
  out: Flow;
}
export interface ConnRow {
  active: number;
  top: number;
  max: number;
}

export interface PmtaStatusFacts {
  /** Where the figures came from: `pmta show status` text and/or HTTP /status?format=json. */
  sources: Array<'cli' | 'http'>;
  host?: string;
  traffic: Partial<Record<'total' | 'lastHour' | 'topPerHour' | 'lastMin' | 'topPerMin', TrafficRow>>;
  connections: { smtpIn?: ConnRow; smtpOut?: ConnRow };
  queue: { smtp?: { rcpts: number; domains: number; kbytes: number } };
  spool: { filesInUse?: number; recycled?: number };
  status?: string;
  startedAt?: string;
  uptime?: string;
  /** Outbound messages in the last minute / last hour (the delivery rate). */
  deliveredLastMin?: number;
  deliveredLastHour?: number;
  /** PowerMTA version from the status header or the JSON `mta.product.version`. */
  version?: string;
  vmtas: Array<{ name: string; domains: number; rcpts: number; kbytes: number; connections: number }>;
  /** The busiest domains by recipients (`show topdomains`), plus config-named domains it did not list. */
  domains: DomainRow[];
  /** How many domains the topdomains listing showed of how many queued (its footer). */
  domainsListed?: { shown: number; total: number };
  /** Queues in backoff mode (`show queues --mode=backoff`, UG §6.3.11/§6.3.13). */
  backoffQueues: QueueRow[];
}

/** Uses the CLI when present and the HTTP interface when enabled; either one is enough. */
/** Rows asked of the domain and queue listings (PowerMTA shows 20 by default, UG §6.3.12). */
export const MAX_ITEMS = 200;
/** Config-named domains read one by one when the topdomains listing was cut short. */
const MAX_CONFIG_DOMAINS = 8;

/**
 * Uses the CLI when present and the HTTP interface when enabled; either one is enough.
 * Domains come from `show topdomains` (= `show domains --sort=rcpt`, UG §6.3.17): the busiest
 * queues whatever their names. When that listing is truncated, the domains named in the
 * config (`<domain>` blocks and `domain-macro` members) that it missed are asked one by one,
 * at most MAX_CONFIG_DOMAINS of them, so a configured limit is never judged unseen.
 */
export const pmtaStatusProbe: Probe<PmtaStatusFacts> = {
  name: 'pmta-status',
  command: script(`if mtaf_has pmta; then
  mtaf_sub status pmta show status
  mtaf_sub vmtas pmta show vmtas
  mtaf_td="$MTAF_TMP/pmta-topdomains"
  pmta show topdomains --maxitems=${MAX_ITEMS} >"$mtaf_td" 2>&1
  mtaf_rc=$?
  printf '@@mtafleet-sub domains\n'; cat "$mtaf_td"; printf '\n@@mtafleet-rc domains %s\n' "$mtaf_rc"
  if [ "$mtaf_rc" = 0 ] && [ -n "$MTAF_CFG_FILES" ] && awk '/ of [0-9]+ domains? shown/ { if ($1 + 0 < $3 + 0) t = 1 } END { exit !t }' "$mtaf_td"; then
    for mtaf_d in $(awk '
      { sub(/#.*/, ""); l = tolower($0) }
      l ~ /^[ \t]*<domain[ \t]/ { sub(/^[ \t]*<[^ \t]*[ \t]+/, "", l); sub(/>.*/, "", l); n = split(l, a, /[ \t,]+/); for (i = 1; i <= n; i++) print a[i] }
      l ~ /^[ \t]*domain-macro[ \t]/ { n = split(l, a, /[ \t,]+/); for (i = 3; i <= n; i++) print a[i] }
    ' $MTAF_CFG_FILES 2>/dev/null | grep -E '^[a-z0-9][a-z0-9-]*(\.[a-z0-9-]+)+$' | sort -u | head -n ${MAX_CONFIG_DOMAINS}); do
      awk -v d="$mtaf_d" 'tolower($1) == d { f = 1 } END { exit !f }' "$mtaf_td" || mtaf_sub "domain:$mtaf_d" pmta show domains "$mtaf_d"
    done
  fi
  mtaf_sub backoff pmta show queues --mode=backoff --maxitems=${MAX_ITEMS} --no-rcpt-events
else
  printf '@@mtafleet-missing pmta command\n'
fi
if [ "$MTAF_HTTP_PORT" != 0 ]; then
  mtaf_url="http://127.0.0.1:$MTAF_HTTP_PORT/status?format=json"
  if mtaf_has curl; then mtaf_sub http curl -fsS -m 3 "$mtaf_url"
  elif mtaf_has wget; then mtaf_sub http wget -q -T 3 -O - "$mtaf_url"
  else printf '@@mtafleet-missing curl or wget\n'
  fi
fi`),
  parse: parsePmtaStatusOutput,
};

export function parsePmtaStatusOutput(output: ProbeOutput): ProbeResult<PmtaStatusFacts> {
  const markers = parseMarkers(output.stdout);
  const warnings: string[] = [];
  const facts = emptyStatus();
  const status = markers.subs.get('status');
  if (status && status.exitCode === 0) {
    parseShowStatus(status.text, facts, warnings);
    facts.sources.push('cli');
  } else if (status) {
    warnings.push(`pmta show status failed (exit ${status.exitCode}): ${status.text.trim().slice(0, 120)}`);
  }
  const vmtas = markers.subs.get('vmtas');
  if (vmtas?.exitCode === 0) facts.vmtas = parseShowVmtas(vmtas.text, warnings);
  readDomains(markers.subs, facts, warnings);
  const backoff = markers.subs.get('backoff');
  if (backoff?.exitCode === 0) {
    const what = `${PROBE}: pmta show queues --mode=backoff`;
    const listing = parseQueueListing(backoff.text, what, warnings);
    facts.backoffQueues = listing.rows;
    const cut = truncationWarning(listing, what, 'matching queues');
    if (cut) warnings.push(cut);
  } else if (backoff) {
    warnings.push(`${PROBE}: pmta show queues --mode=backoff failed (exit ${backoff.exitCode}): ${firstLine(backoff.text)}`);
  }
  const http = markers.subs.get('http');
  if (http && http.exitCode === 0) {
    if (mergeHttpStatus(http.text, facts, warnings)) facts.sources.push('http');
  } else if (http) {
    warnings.push(`HTTP /status?format=json not reachable (exit ${http.exitCode}): ${http.text.trim().slice(0, 120)}`);
  }
  if (facts.sources.length === 0) {
    const reasons = [...markers.missing.map((m) => `${m} not found`), ...warnings];
    return { status: 'unavailable', reason: reasons.join('; ') || 'no PowerMTA status source answered' };
  }
  facts.deliveredLastMin = facts.traffic.lastMin?.out.msgs;
  facts.deliveredLastHour = facts.traffic.lastHour?.out.msgs;
  // An answer without counters must not read as an idle server (item 7: never a silent zero).
  if (!facts.traffic.lastHour && !facts.connections.smtpOut && !facts.queue.smtp) {
    warnings.push(`${PROBE}: ${facts.sources.join(' and ')} answered but gave no traffic, connection or queue counters`);
  }
  if (facts.version && !KNOWN_VERSION.test(facts.version)) {
    warnings.push(`${PROBE}: PowerMTA version ${facts.version} is not one whose formats mtafleet knows (4.x, 5.x): figures may be misread`);
  }
  return { status: 'ok', facts, warnings };
}

const PROBE = 'pmta-status';
/** Versions whose show/JSON layouts are those of the v5.0 User's Guide (v4.5 prints the same). */
const KNOWN_VERSION = /^v?[45]\./;
const firstLine = (text: string): string => text.trim().split('\n')[0].slice(0, 120);

/** The topdomains listing, then any per-domain listings the script added for config-named domains. */
function readDomains(subs: Map<string, { text: string; exitCode: number | null }>, facts: PmtaStatusFacts, warnings: string[]): void {
  const top = subs.get('domains');
  if (top && top.exitCode !== 0) {
    warnings.push(`${PROBE}: pmta show topdomains failed (exit ${top.exitCode}): ${firstLine(top.text)}`);
    return;
  }
  if (!top) return;
  const what = `${PROBE}: pmta show topdomains --maxitems=${MAX_ITEMS}`;
  const listing = parseDomainListing(top.text, what, warnings);
  facts.domains = listing.rows;
  if (listing.shown !== undefined && listing.total !== undefined) facts.domainsListed = { shown: listing.shown, total: listing.total };
  const cut = truncationWarning(listing, what, 'domains shown');
  if (cut) warnings.push(`${cut} (the busiest by recipients)`);
  // Without its footer a listing may be cut anywhere: say so rather than trust the rows.
  if (listing.shown === undefined) warnings.push(`${what}: no "N of M domains shown." footer: ${listing.rows.length} rows read, completeness unknown`);
  const seen = new Set(facts.domains.map((d) => d.domain));
  for (const [name, sub] of subs) {
    if (!name.startsWith('domain:')) continue;
    const domain = name.slice('domain:'.length);
    if (sub.exitCode !== 0) {
      warnings.push(`${PROBE}: pmta show domains ${domain} failed (exit ${sub.exitCode}): ${firstLine(sub.text)}`);
      continue;
    }
    for (const row of parseDomainListing(sub.text, `${PROBE}: pmta show domains ${domain}`, warnings).rows) {
      if (!seen.has(row.domain)) facts.domains.push(row);
      seen.add(row.domain);
    }
  }
}

export function emptyStatus(): PmtaStatusFacts {
  return { sources: [], traffic: {}, connections: {}, queue: {}, spool: {}, vmtas: [], domains: [], backoffQueues: [] };
}

const TRAFFIC_ROWS: Record<string, keyof PmtaStatusFacts['traffic']> = {
  Total: 'total',
  'Last Hour': 'lastHour',
  'Top/Hour': 'topPerHour',
  'Last Min.': 'lastMin',
  'Top/Min.': 'topPerMin',
};

const NUMBER = String.raw`(-?[\d.]+)`;

/** Accounting records of a domain at or above which it counts as busy for the cross-check. */
const BUSY_RECORDS = 50;

/**
 * Cross-check with accounting (already read by its own probe, so free): busy domains that a
 * truncated topdomains listing left out. Their connections were not read, so a limit on them
 * could go unseen: say which. Empty when the listing was complete.
 */
export function unlistedBusyDomains(
  status: Pick<PmtaStatusFacts, 'domains' | 'domainsListed'> | undefined,
  byDomain: Record<string, { delivered: number; deferred: number; bounced: number }> | undefined,
): string[] {
  const listed = status?.domainsListed;
  if (!status || !byDomain || !listed || listed.shown >= listed.total) return [];
  const seen = new Set(status.domains.map((d) => d.domain));
  const missing = Object.entries(byDomain)
    .map(([domain, c]) => ({ domain, records: c.delivered + c.deferred + c.bounced }))
    .filter((d) => d.domain !== '(none)' && d.records >= BUSY_RECORDS && !seen.has(d.domain))
    .sort((a, b) => b.records - a.records || (a.domain < b.domain ? -1 : 1))
    .slice(0, 10);
  if (missing.length === 0) return [];
  const names = missing.map((d) => `${d.domain} (${d.records} records)`).join(', ');
  return [`${PROBE}: busy in accounting but not in the ${listed.shown} of ${listed.total} domains listed (fewer queued recipients, or none): ${names}; their connections were not read`];
}

/** `pmta show status` in the UG §6.2.1 layout. Lines it does not know become warnings. */
export function parseShowStatus(text: string, facts: PmtaStatusFacts, warnings: string[]): void {
  text.split('\n').forEach((raw, i) => parseStatusLine(raw.trim(), i + 1, facts, warnings));
}

function parseStatusLine(line: string, lineNo: number, facts: PmtaStatusFacts, warnings: string[]): void {
  if (line === '' || /^Traffic\b/.test(line) || /^rcpts\s+msgs/.test(line)) return;
  if (/^(Connections|Queues)\b/.test(line)) return;
  const head = /^PowerMTA\s+(\S+)\s+status on\s+(\S+)/.exec(line);
  if (head) {
    facts.version = head[1];
    facts.host = head[2];
    return;
  }
  const traffic = new RegExp(`^(Total|Last Hour|Top/Hour|Last Min\\.|Top/Min\\.)\\s+${Array(6).fill(NUMBER).join('\\s+')}$`).exec(line);
  if (traffic) {
    const n = traffic.slice(2).map(Number);
    facts.traffic[TRAFFIC_ROWS[traffic[1]]] = {
      in: { rcpts: n[0], msgs: n[1], kbytes: n[2] },
      out: { rcpts: n[3], msgs: n[4], kbytes: n[5] },
    };
    return;
  }
  const conn = new RegExp(`^(Inbound|Outbound)\\s+${NUMBER}\\s+${NUMBER}\\s+${NUMBER}\\b`).exec(line);
  if (conn) {
    const row = { active: Number(conn[2]), top: Number(conn[3]), max: Number(conn[4]) };
    if (conn[1] === 'Inbound') facts.connections.smtpIn = row;
    else facts.connections.smtpOut = row;
    return;
  }
  const queue = new RegExp(`^SMTP\\s+${NUMBER}\\s+${NUMBER}\\s+${NUMBER}(?:\\s+Files\\s+${NUMBER}\\s+${NUMBER})?`).exec(line);
  if (queue) {
    facts.queue.smtp = { rcpts: Number(queue[1]), domains: Number(queue[2]), kbytes: Number(queue[3]) };
    if (queue[4] !== undefined) facts.spool = { filesInUse: Number(queue[4]), recycled: Number(queue[5]) };
    return;
  }
  if (/^other\s/.test(line)) return;
  const st = /^Status\s+(\S+)(?:\s+Started\s+(\S+\s+\S+))?(?:\s+Uptime\s+(.+))?$/.exec(line);
  if (st) {
    facts.status = st[1];
    facts.startedAt = st[2];
    facts.uptime = st[3]?.trim().replace(/\s+/g, ' ');
    return;
  }
  warnings.push(`${PROBE}: pmta show status line ${lineNo}: unrecognised: ${line.slice(0, 100)}`);
}

export function parseShowVmtas(text: string, warnings: string[]): PmtaStatusFacts['vmtas'] {
  const rows: PmtaStatusFacts['vmtas'] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || /^name\s+domains/.test(line) || /^-+[\s-]*$/.test(line) || /virtual MTAs?\.?$/.test(line)) return;
    const f = line.split(/\s+/);
    if (f.length === 6 && f.slice(1).every((x) => num(x) !== undefined)) {
      rows.push({ name: f[0], domains: Number(f[1]), rcpts: Number(f[2]), kbytes: Number(f[4]), connections: Number(f[5]) });
    } else {
      warnings.push(`${PROBE}: pmta show vmtas line ${i + 1}: unrecognised: ${line.slice(0, 100)}`);
    }
  });
  return rows;
}

/** Rows of a `show domains` / `show topdomains` listing (footer: see parseDomainListing). */
export function parseShowDomains(text: string, warnings: string[]): PmtaStatusFacts['domains'] {
  return parseDomainListing(text, `${PROBE}: pmta show domains`, warnings).rows;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});
const n = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'string' ? num(v) : undefined);

/**
 * `/status?format=json` over HTTP or `pmta --json show status` (UG §5, §6.2.1): the envelope is
 * `{"data":{"mta":{...},"status":{...counters}},"status":"success"}`. Fills what the CLI did not
 * give. False (with a warning naming the node) if it carries no counters.
 */
export function mergeHttpStatus(text: string, facts: PmtaStatusFacts, warnings: string[]): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1));
  } catch {
    warnings.push(`${PROBE}: HTTP status: not JSON: ${text.trim().slice(0, 100)}`);
    return false;
  }
  const envelope = obj(parsed);
  const data = obj(envelope.data);
  if (typeof envelope.status === 'string' && envelope.status !== 'success') {
    warnings.push(`${PROBE}: HTTP status: answer status "${envelope.status.slice(0, 40)}": ${String(envelope.message ?? '').slice(0, 100)}`);
    return false;
  }
  const status = obj(data.status);
  if (Object.keys(status).length === 0) {
    const keys = Object.keys(data).slice(0, 8).join(', ');
    warnings.push(`${PROBE}: HTTP status: JSON without a "data.status" node (data has: ${keys.slice(0, 100) || 'nothing'}); counters not read`);
    return false;
  }
  const product = obj(obj(data.mta).product);
  if (!facts.version && typeof product.version === 'string') facts.version = product.version.slice(0, 40);
  const traffic = obj(status.traffic);
  const keys: Array<[string, keyof PmtaStatusFacts['traffic']]> = [
    ['total', 'total'],
    ['lastHr', 'lastHour'],
    ['topPerHr', 'topPerHour'],
    ['lastMin', 'lastMin'],
    ['topPerMin', 'topPerMin'],
  ];
  const flow = (v: unknown): Flow => ({ rcpts: n(obj(v).rcp) ?? 0, msgs: n(obj(v).msg) ?? 0, kbytes: n(obj(v).kb) ?? 0 });
  for (const [jsonKey, key] of keys) {
    const row = obj(traffic[jsonKey]);
    if (facts.traffic[key] || n(obj(row.out).msg) === undefined) continue;
    facts.traffic[key] = { in: flow(row.in), out: flow(row.out) };
  }
  const conn = obj(status.conn);
  const connRow = (v: unknown): ConnRow | undefined => {
    const o = obj(v);
    return n(o.cur) === undefined ? undefined : { active: n(o.cur) ?? 0, top: n(o.top) ?? 0, max: n(o.max) ?? 0 };
  };
  facts.connections.smtpIn ??= connRow(conn.smtpIn);
  facts.connections.smtpOut ??= connRow(conn.smtpOut);
  const smtp = obj(obj(status.queue).smtp);
  if (!facts.queue.smtp && n(smtp.rcp) !== undefined) {
    facts.queue.smtp = { rcpts: n(smtp.rcp) ?? 0, domains: n(smtp.dom) ?? 0, kbytes: n(smtp.kb) ?? 0 };
  }
  const files = obj(obj(status.spool).files);
  facts.spool.filesInUse ??= n(files.inUse);
  facts.spool.recycled ??= n(files.recycled);
  if (!facts.status && typeof status.status === 'string') facts.status = status.status.slice(0, 40);
  if (!facts.startedAt && typeof status.startupTime === 'string') facts.startedAt = status.startupTime.slice(0, 40);
  return true;
}
