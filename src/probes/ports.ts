import { script } from '../transport/quote.js';
import { looseValues, num, parseMarkers, unreadLine } from './sections.js';
import type { Probe, ProbeOutput, ProbeResult } from './types.js';

export interface SsSummary {
  total?: number;
  estab?: number;
  closed?: number;
  orphaned?: number;
  timewait?: number;
}

export interface PortsFacts {
  sysctl: {
    ipLocalPortRange?: [number, number];
    tcpFinTimeout?: number;
    tcpTwReuse?: number;
    somaxconn?: number;
  };
  /** Size of the local port range (high - low + 1). */
  localPorts?: number;
  summary: SsSummary;
  timeWait?: number;
  closeWait?: number;
  source: 'ss' | '/proc/net/tcp';
}

const SYSCTLS = ['net.ipv4.ip_local_port_range', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_tw_reuse', 'net.core.somaxconn'];

/** Kernel values read from /proc/sys (what `sysctl -n` prints), socket states from ss. */
export const portsProbe: Probe<PortsFacts> = {
  name: 'ports',
  // One awk for the sysctls and one ss for both socket states (a tr per value and an ss, tail
  // and wc per state were most of this probe's CPU); getline, so a missing file is skipped.
  command: script(`awk 'BEGIN {
  for (i = 1; i < ARGC; i++) {
    f = ARGV[i]; k = substr(f, 11); gsub(/\\//, ".", k); v = ""; n = 0
    while ((r = (getline line < f)) > 0) { v = v (n++ ? "\\n" : "") line }
    if (r < 0) continue
    close(f); gsub(/\\t/, " ", v); printf "sysctl\\t%s\\t%s\\n", k, v
  }
}' ${SYSCTLS.map((k) => `/proc/sys/${k.replace(/\./g, '/')}`).join(' ')}
if mtaf_has ss; then
  mtaf_sub ss-s ss -s
  ss -tan state close-wait state time-wait 2>/dev/null | awk 'NR > 1 { n[$1]++ } END { printf "closewait\\t%d\\ntimewait\\t%d\\n", n["CLOSE-WAIT"], n["TIME-WAIT"] }'
else
  mtaf_sub proc-net-tcp awk 'FNR > 1 { c[$4]++ } END { for (s in c) print s, c[s] }' /proc/net/tcp /proc/net/tcp6
fi`),
  parse: parsePorts,
};

/** `ss -s` across iproute2 versions: "TCP: N (estab N, closed N, orphaned N, synrecv N, timewait N/N), ports N". */
export function parseSsSummary(text: string, warnings: string[] = []): SsSummary {
  const out: SsSummary = {};
  const tcp = text.split('\n').find((l) => /^TCP:\s/.test(l));
  if (!tcp) {
    warnings.push('ss -s: no "TCP:" line');
    return out;
  }
  out.total = num(/^TCP:\s+(\d+)/.exec(tcp)?.[1]);
  for (const [key, field] of [
    ['estab', 'estab'],
    ['closed', 'closed'],
    ['orphaned', 'orphaned'],
    ['timewait', 'timewait'],
  ] as const) {
    const m = new RegExp(`\\b${key}\\s+(\\d+)`).exec(tcp);
    if (m) out[field] = Number(m[1]);
  }
  if (out.timewait === undefined) warnings.push(`ss -s: no timewait count in: ${tcp.trim()}`);
  return out;
}

/** /proc/net/tcp state codes: 06 TIME_WAIT, 08 CLOSE_WAIT. */
function parseProcNetTcp(text: string, warnings: string[] = []): { timeWait: number; closeWait: number; estab: number } {
  const counts = new Map<string, number>();
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const m = /^([0-9A-Fa-f]{2})\s+(\d+)$/.exec(line.trim());
    if (m) counts.set(m[1]!.toUpperCase(), Number(m[2]));
    else warnings.push(unreadLine('/proc/net/tcp state counts', i + 1, line));
  });
  return { timeWait: counts.get('06') ?? 0, closeWait: counts.get('08') ?? 0, estab: counts.get('01') ?? 0 };
}

export function parsePorts(output: ProbeOutput): ProbeResult<PortsFacts> {
  const markers = parseMarkers(output.stdout);
  const values = looseValues(markers.loose);
  const warnings: string[] = [];
  const facts: PortsFacts = { sysctl: {}, summary: {}, source: 'ss' };
  for (const line of values.get('sysctl') ?? []) {
    const [name, value = ''] = line.split('\t');
    const numbers = value.trim().split(/\s+/).map(Number);
    // A value we cannot read is said, never taken as "not set" (the range drives the port-share rule).
    const bad = () => warnings.push(`ports: sysctl ${name}: not understood: "${value.trim().slice(0, 80)}"`);
    if (name === 'net.ipv4.ip_local_port_range') {
      if (numbers.length === 2 && numbers.every(Number.isInteger) && numbers[0]! <= numbers[1]!) {
        facts.sysctl.ipLocalPortRange = [numbers[0]!, numbers[1]!];
        facts.localPorts = numbers[1]! - numbers[0]! + 1;
      } else bad();
    } else {
      const n = num(value);
      if (n === undefined) bad();
      else if (name === 'net.ipv4.tcp_fin_timeout') facts.sysctl.tcpFinTimeout = n;
      else if (name === 'net.ipv4.tcp_tw_reuse') facts.sysctl.tcpTwReuse = n;
      else if (name === 'net.core.somaxconn') facts.sysctl.somaxconn = n;
    }
  }
  const ss = markers.subs.get('ss-s');
  if (ss) {
    facts.summary = parseSsSummary(ss.text, warnings);
    facts.closeWait = num(values.get('closewait')?.[0]);
    facts.timeWait = num(values.get('timewait')?.[0]) ?? facts.summary.timewait;
    for (const key of ['closewait', 'timewait'] as const) {
      const v = values.get(key)?.[0];
      if (num(v) === undefined) warnings.push(`ports: ss -tan state ${key === 'closewait' ? 'close-wait' : 'time-wait'} count not understood: "${(v ?? '(none)').slice(0, 80)}"`);
    }
  }
  const proc = markers.subs.get('proc-net-tcp');
  if (proc) {
    const counts = parseProcNetTcp(proc.text, warnings);
    facts.source = '/proc/net/tcp';
    facts.timeWait = counts.timeWait;
    facts.closeWait = counts.closeWait;
    facts.summary = { estab: counts.estab, timewait: counts.timeWait };
    warnings.push('ss not installed: socket states counted from /proc/net/tcp');
  }
  if (!ss && !proc && Object.keys(facts.sysctl).length === 0) {
    return { status: 'unavailable', reason: 'neither ss nor /proc/sys/net readable' };
  }
  return { status: 'ok', facts, warnings };
}
