import { script } from '../transport/quote.js';
import { looseValues, num, parseMarkers } from './sections.js';
import type { Probe, ProbeOutput, ProbeResult } from './types.js';

export interface CpuFacts {
  cores: number;
  /** Busy % per core over the sample (machine-wide: in a namespace lab all hosts share it). */
  perCore: Array<{ cpu: string; busyPercent: number; iowaitPercent: number }>;
  totalBusyPercent?: number;
  iowaitPercent?: number;
  /** The daemon's own CPU (utime+stime) as % of ONE core over the same interval. */
  daemonCpuPercent?: number;
  daemonThreads?: number;
  sampleSeconds?: number;
}

/** Two samples ~1 s apart of /proc/stat, /proc/PID/stat and /proc/uptime. */
export const cpuProbe: Probe<CpuFacts> = {
  name: 'cpu',
  command: script(`printf 'clk\\t%s\\n' "$(getconf CLK_TCK 2>/dev/null || echo 100)"
mtaf_sample() {
  printf '@@mtafleet-sub sample%s\\n' "$1"
  cat /proc/uptime
  grep '^cpu' /proc/stat
  [ -n "$MTAF_PID" ] && printf 'pidstat %s\\n' "$(cat "/proc/$MTAF_PID/stat" 2>/dev/null)"
  printf '\\n@@mtafleet-rc sample%s 0\\n' "$1"
}
mtaf_sample 1
sleep 1
mtaf_sample 2
[ -n "$MTAF_PID" ] && printf 'threads\\t%s\\n' "$(awk '/^Threads:/ { print $2 }' "/proc/$MTAF_PID/status" 2>/dev/null)"
printf 'nproc\\t%s\\n' "$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)"`),
  parse: parseCpu,
};

interface Sample {
  uptime?: number;
  cpus: Map<string, number[]>;
  daemonTicks?: number;
}

export function parseSample(text: string): Sample {
  const sample: Sample = { cpus: new Map() };
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (/^cpu\d*$/.test(f[0])) sample.cpus.set(f[0], f.slice(1).map(Number));
    else if (f[0] === 'pidstat') sample.daemonTicks = procStatTicks(line.slice('pidstat '.length));
    else if (f.length === 2 && num(f[0]) !== undefined && sample.uptime === undefined) sample.uptime = Number(f[0]);
  }
  return sample;
}

/** utime + stime of a /proc/PID/stat line; comm may hold spaces and parens, so cut at the last ')'. */
export function procStatTicks(line: string): number | undefined {
  const end = line.lastIndexOf(')');
  if (end < 0) return undefined;
  const f = line.slice(end + 1).trim().split(/\s+/);
  const utime = num(f[11]);
  const stime = num(f[12]);
  return utime !== undefined && stime !== undefined ? utime + stime : undefined;
}

/** Busy and iowait % between two /proc/stat cpu lines (user nice system idle iowait irq softirq steal). */
export function cpuBusy(before: number[], after: number[]): { busy: number; iowait: number } {
  const d = after.slice(0, 8).map((v, i) => v - (before[i] ?? 0));
  const total = d.reduce((a, b) => a + b, 0);
  if (total <= 0) return { busy: 0, iowait: 0 };
  const idle = (d[3] ?? 0) + (d[4] ?? 0);
  return { busy: ((total - idle) / total) * 100, iowait: ((d[4] ?? 0) / total) * 100 };
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

export function parseCpu(output: ProbeOutput): ProbeResult<CpuFacts> {
  const markers = parseMarkers(output.stdout);
  const values = looseValues(markers.loose);
  const a = markers.subs.get('sample1');
  const b = markers.subs.get('sample2');
  if (!a || !b) return { status: 'unavailable', reason: '/proc/stat could not be sampled' };
  const warnings: string[] = [];
  const s1 = parseSample(a.text);
  const s2 = parseSample(b.text);
  const perCore: CpuFacts['perCore'] = [];
  for (const [cpu, after] of s2.cpus) {
    const before = s1.cpus.get(cpu);
    if (cpu === 'cpu' || !before) continue;
    const r = cpuBusy(before, after);
    perCore.push({ cpu, busyPercent: round1(r.busy), iowaitPercent: round1(r.iowait) });
  }
  const facts: CpuFacts = { cores: num(values.get('nproc')?.[0]) ?? perCore.length, perCore };
  const all1 = s1.cpus.get('cpu');
  const all2 = s2.cpus.get('cpu');
  if (all1 && all2) {
    const r = cpuBusy(all1, all2);
    facts.totalBusyPercent = round1(r.busy);
    facts.iowaitPercent = round1(r.iowait);
  }
  const clk = num(values.get('clk')?.[0]) ?? 100;
  if (s1.uptime !== undefined && s2.uptime !== undefined) {
    facts.sampleSeconds = round1(s2.uptime - s1.uptime);
    if (s1.daemonTicks !== undefined && s2.daemonTicks !== undefined && s2.uptime > s1.uptime) {
      facts.daemonCpuPercent = round1(((s2.daemonTicks - s1.daemonTicks) / clk / (s2.uptime - s1.uptime)) * 100);
    }
  }
  facts.daemonThreads = num(values.get('threads')?.[0]);
  if (perCore.length === 0) warnings.push('cpu: no per-core lines in /proc/stat');
  return { status: 'ok', facts, warnings };
}
