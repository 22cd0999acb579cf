import { script } from '../transport/quote.js';
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
  vmtas: Array<{ name: string; domains: number; rcpts: number; kbytes: number; connections: number }>;
  domains: Array<{ domain: string; rcpts: number; kbytes: number; connections: number; lastError: string }>;
}

/** Uses the CLI when present and the HTTP interface when enabled; either one is enough. */
export const pmtaStatusProbe: Probe<PmtaStatusFacts> = {
  name: 'pmta-status',
  command: script(`if mtaf_has pmta; then
  mtaf_sub status pmta show status
  mtaf_sub vmtas pmta show vmtas
  mtaf_sub domains pmta show domains
else
  printf '@@mtafleet-missing pmta command\\n'
fi
if [ "$MTAF_HTTP_PORT" != 0 ]; then
  mtaf_url="http://127.0.0.1:$MTAF_HTTP_PORT/status?format=json"
  if mtaf_has curl; then mtaf_sub http curl -fsS -m 3 "$mtaf_url"
  elif mtaf_has wget; then mtaf_sub http wget -q -T 3 -O - "$mtaf_url"
  else printf '@@mtafleet-missing curl or wget\\n'
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
  const domains = markers.subs.get('domains');
  if (domains?.exitCode === 0) facts.domains = parseShowDomains(domains.text, warnings);
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
  return { status: 'ok', facts, warnings };
}

export function emptyStatus(): PmtaStatusFacts {
  return { sources: [], traffic: {}, connections: {}, queue: {}, spool: {}, vmtas: [], domains: [] };
}

const TRAFFIC_ROWS: Record<string, keyof PmtaStatusFacts['traffic']> = {
  Total: 'total',
  'Last Hour': 'lastHour',
  'Top/Hour': 'topPerHour',
  'Last Min.': 'lastMin',
  'Top/Min.': 'topPerMin',
};

const NUMBER = String.raw`(-?[\d.]+)`;

/** `pmta show status` in the UG §6.2.1 layout. Lines it does not know become warnings. */
export function parseShowStatus(text: string, facts: PmtaStatusFacts, warnings: string[]): void {
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || /^Traffic\b/.test(line) || /^rcpts\s+msgs/.test(line)) continue;
    if (/^(Connections|Queues)\b/.test(line)) continue;
    const head = /^PowerMTA\s+(\S+)\s+status on\s+(\S+)/.exec(line);
    if (head) {
      facts.host = head[2];
      continue;
    }
    const traffic = new RegExp(`^(Total|Last Hour|Top/Hour|Last Min\\.|Top/Min\\.)\\s+${Array(6).fill(NUMBER).join('\\s+')}$`).exec(line);
    if (traffic) {
      const n = traffic.slice(2).map(Number);
      facts.traffic[TRAFFIC_ROWS[traffic[1]]] = {
        in: { rcpts: n[0], msgs: n[1], kbytes: n[2] },
        out: { rcpts: n[3], msgs: n[4], kbytes: n[5] },
      };
      continue;
    }
    const conn = new RegExp(`^(Inbound|Outbound)\\s+${NUMBER}\\s+${NUMBER}\\s+${NUMBER}\\b`).exec(line);
    if (conn) {
      const row = { active: Number(conn[2]), top: Number(conn[3]), max: Number(conn[4]) };
      if (conn[1] === 'Inbound') facts.connections.smtpIn = row;
      else facts.connections.smtpOut = row;
      continue;
    }
    const queue = new RegExp(`^SMTP\\s+${NUMBER}\\s+${NUMBER}\\s+${NUMBER}(?:\\s+Files\\s+${NUMBER}\\s+${NUMBER})?`).exec(line);
    if (queue) {
      facts.queue.smtp = { rcpts: Number(queue[1]), domains: Number(queue[2]), kbytes: Number(queue[3]) };
      if (queue[4] !== undefined) facts.spool = { filesInUse: Number(queue[4]), recycled: Number(queue[5]) };
      continue;
    }
    if (/^other\s/.test(line)) continue;
    const st = /^Status\s+(\S+)(?:\s+Started\s+(\S+\s+\S+))?(?:\s+Uptime\s+(.+))?$/.exec(line);
    if (st) {
      facts.status = st[1];
      facts.startedAt = st[2];
      facts.uptime = st[3]?.trim().replace(/\s+/g, ' ');
      continue;
    }
    warnings.push(`pmta show status: unrecognised line: ${line.slice(0, 100)}`);
  }
}

export function parseShowVmtas(text: string, warnings: string[]): PmtaStatusFacts['vmtas'] {
  const rows: PmtaStatusFacts['vmtas'] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || /^name\s+domains/.test(line) || /^-+[\s-]*$/.test(line) || /virtual MTAs?\.?$/.test(line)) continue;
    const f = line.split(/\s+/);
    if (f.length === 6 && f.slice(1).every((x) => num(x) !== undefined)) {
      rows.push({ name: f[0], domains: Number(f[1]), rcpts: Number(f[2]), kbytes: Number(f[4]), connections: Number(f[5]) });
    } else {
      warnings.push(`pmta show vmtas: unrecognised line: ${line.slice(0, 100)}`);
    }
  }
  return rows;
}

export function parseShowDomains(text: string, warnings: string[]): PmtaStatusFacts['domains'] {
  const rows: PmtaStatusFacts['domains'] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || /^-+domain/.test(line) || /domains? shown\.?$/.test(line)) continue;
    const m = /^(\S+)\s+(\d+)\s+([\d.]+)\s+(\d+)(?:\s+(.*))?$/.exec(line);
    if (m) {
      rows.push({ domain: m[1].toLowerCase(), rcpts: Number(m[2]), kbytes: Number(m[3]), connections: Number(m[4]), lastError: m[5]?.trim() ?? '' });
    } else {
      warnings.push(`pmta show domains: unrecognised line: ${line.slice(0, 100)}`);
    }
  }
  return rows;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});
const n = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'string' ? num(v) : undefined);

/** HTTP `/status?format=json` (UG §5): fills what the CLI did not give. False if unusable. */
export function mergeHttpStatus(text: string, facts: PmtaStatusFacts, warnings: string[]): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1));
  } catch {
    warnings.push(`HTTP status: not JSON: ${text.trim().slice(0, 100)}`);
    return false;
  }
  const data = obj(obj(parsed).data);
  if (Object.keys(data).length === 0) {
    warnings.push('HTTP status: JSON without a "data" node');
    return false;
  }
  const traffic = obj(data.traffic);
  const keys: Record<string, keyof PmtaStatusFacts['traffic']> = {
    total: 'total',
    lastHr: 'lastHour',
    topPerHr: 'topPerHour',
    lastMin: 'lastMin',
    topPerMin: 'topPerMin',
  };
  for (const [jsonKey, key] of Object.entries(keys)) {
    const row = obj(traffic[jsonKey]);
    if (facts.traffic[key] || Object.keys(row).length === 0) continue;
    const flow = (v: unknown): Flow => ({ rcpts: n(obj(v).rcp) ?? 0, msgs: n(obj(v).msg) ?? 0, kbytes: n(obj(v).kb) ?? 0 });
    facts.traffic[key] = { in: flow(row.in), out: flow(row.out) };
  }
  const conn = obj(data.conn);
  const connRow = (v: unknown): ConnRow | undefined => {
    const o = obj(v);
    return n(o.cur) === undefined ? undefined : { active: n(o.cur) ?? 0, top: n(o.top) ?? 0, max: n(o.max) ?? 0 };
  };
  facts.connections.smtpIn ??= connRow(conn.smtpIn);
  facts.connections.smtpOut ??= connRow(conn.smtpOut);
  const smtp = obj(obj(data.queue).smtp);
  if (!facts.queue.smtp && n(smtp.rcp) !== undefined) {
    facts.queue.smtp = { rcpts: n(smtp.rcp) ?? 0, domains: n(smtp.dom) ?? 0, kbytes: n(smtp.kb) ?? 0 };
  }
  const files = obj(obj(data.spool).files);
  facts.spool.filesInUse ??= n(files.inUse);
  facts.spool.recycled ??= n(files.recycled);
  if (!facts.status && typeof data.status === 'string') facts.status = data.status;
  if (!facts.startedAt && typeof data.startupTime === 'string') facts.startedAt = data.startupTime;
  return true;
}
