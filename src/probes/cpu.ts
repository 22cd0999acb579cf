import { script } from '../transport/quote.js';
import { looseValues, num, parseMarkers, unreadLine } from './sections.js';
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
  /**
   * The daemon thread that most wanted a CPU: % of the interval on a CPU and % runnable
   * (on a CPU or waiting in the run queue, /proc/PID/task/TID/schedstat). A thread runnable
   * ~100 % of the time needs a whole core even when a busy machine gives it less.
   */
  hottestThread?: { tid: number; onCpuPercent: number; runnablePercent: number };
  /**
   * The daemon thread seen runnable (state R) in most of the ~10 looks over the sample, and in
   * what share of them. A spinning thread is R at every look however little CPU a busy machine
   * gives it, where schedstat's wait time lags (a wait is counted only when it ends), so on a
   * loaded machine a 1 s schedstat sample can read 55 % for a thread that never sleeps.
   */
  runnableLooks?: { tid: number; share: number; looks: number; /** threads runnable in >= 70 % of the looks */ busyThreads: number };
  /** Share of ~10 looks over the sample in which some daemon thread was in disk sleep (state D). */
  ioBlockedShare?: number;
  sampleSeconds?: number;
}

/** Two samples ~1 s apart of /proc/stat, /proc/PID/stat and /proc/uptime. */
export const cpuProbe: Probe<CpuFacts> = {
  name: 'cpu',
  samples: true,
  command: script(`printf 'clk\\t%s\\n' "$(getconf CLK_TCK 2>/dev/null || echo 100)"
# One awk reads a whole sample (a cat per thread cost more than the sample window's reading):
# getline, so a thread that ended since the glob is a "task TID" line without figures.
mtaf_sample() {
  mtaf_sn=$1
  printf '@@mtafleet-sub sample%s\\n' "$mtaf_sn"
  if [ -n "$MTAF_PID" ]; then set -- /proc/uptime /proc/stat "/proc/$MTAF_PID/stat" /proc/$MTAF_PID/task/*/schedstat
  else set -- /proc/uptime /proc/stat
  fi
  awk 'BEGIN {
    for (i = 1; i < ARGC; i++) {
      f = ARGV[i]; t = f; sub(/\\/schedstat$/, "", t); sub(/.*\\//, "", t)
      if (index(f, "*")) continue
      n = 0
      while ((getline line < f) > 0) {
        n++
        if (f == "/proc/uptime") print line
        else if (f == "/proc/stat") { if (line ~ /^cpu/) print line }
        else if (f ~ /\\/schedstat$/) print "task " t " " line
        else print "pidstat " line
      }
      close(f)
      if (n == 0 && f ~ /\\/schedstat$/) print "task " t " "
      else if (n == 0 && f != "/proc/uptime" && f != "/proc/stat") print "pidstat "
    }
  }' "$@"
  printf '\\n@@mtafleet-rc sample%s 0\\n' "$mtaf_sn"
}
mtaf_sample 1
if [ -n "$MTAF_PID" ]; then
  # How often some daemon thread is blocked in uninterruptible (disk) sleep, and which threads are
  # runnable (R: on a CPU or queued for one): 10 looks in ~1 s, one awk per look to disturb a busy
  # machine as little as possible.
  ( mtaf_k=0
    while [ $mtaf_k -lt 10 ]; do
      awk '{ tid = $1; sub(/^.*\\) /, ""); if ($1 == "D") n++; if ($1 == "R") r = r " " tid } END { printf "dstate\\t%d\\nrstate\\t%s\\n", n, r }' /proc/$MTAF_PID/task/*/stat 2>/dev/null
      sleep 0.1 2>/dev/null || break
      mtaf_k=$((mtaf_k + 1))
    done ) > "$MTAF_TMP/cpu-dstate" &
fi
sleep 1
mtaf_sample 2
wait
cat "$MTAF_TMP/cpu-dstate" 2>/dev/null
[ -n "$MTAF_PID" ] && printf 'threads\\t%s\\n' "$(awk '/^Threads:/ { print $2 }' "/proc/$MTAF_PID/status" 2>/dev/null)"
printf 'nproc\\t%s\\n' "$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)"`),
  parse: parseCpu,
};

interface Sample {
  uptime?: number;
  cpus: Map<string, number[]>;
  daemonTicks?: number;
  /** tid -> [ns on cpu, ns waiting on a run queue]. */
  tasks: Map<number, [number, number]>;
}

export function parseSample(text: string, warnings: string[] = [], source = 'sample'): Sample {
  const sample: Sample = { cpus: new Map(), tasks: new Map() };
  text.split('\n').forEach((line, i) => {
    const f = line.trim().split(/\s+/);
    if (f[0] === '') return;
    const numbers = (xs: string[]) => xs.length > 0 && xs.every((x) => num(x) !== undefined);
    if (/^cpu\d*$/.test(f[0]!) && numbers(f.slice(1))) sample.cpus.set(f[0]!, f.slice(1).map(Number));
    else if (f[0] === 'pidstat') {
      sample.daemonTicks = procStatTicks(line.trim().slice('pidstat '.length));
      if (sample.daemonTicks === undefined) warnings.push(unreadLine(`cpu: /proc/PID/stat (${source})`, i + 1, line));
    } else if (f[0] === 'task' && f.length >= 4 && numbers(f.slice(1))) sample.tasks.set(Number(f[1]), [Number(f[2]), Number(f[3])]);
    // A thread that ended between the listing and the read has no schedstat: not bad input.
    else if (f[0] === 'task' && f.length === 2 && numbers(f.slice(1))) return;
    else if (f.length === 2 && numbers(f) && sample.uptime === undefined) sample.uptime = Number(f[0]);
    // Anything else is a layout we do not know: said, never skipped silently.
    else warnings.push(unreadLine(`cpu: /proc/uptime, /proc/stat, schedstat (${source})`, i + 1, line));
  });
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
  const s1 = parseSample(a.text, warnings, 'sample1');
  const s2 = parseSample(b.text, warnings, 'sample2');
  if (s1.uptime === undefined || s2.uptime === undefined) warnings.push('cpu: no /proc/uptime line in a sample: the daemon CPU share is unknown');
  const perCore: CpuFacts['perCore'] = [];
  for (const [cpu, after] of s2.cpus) {
    const before = s1.cpus.get(cpu);
    if (cpu === 'cpu' || !before) continue;
    const r = cpuBusy(before, after);
    perCore.push({ cpu, busyPercent: round1(r.busy), iowaitPercent: round1(r.iowait) });
  }
  const nproc = num(values.get('nproc')?.[0]);
  if (nproc === undefined) warnings.push(`cpu: nproc not understood ("${(values.get('nproc')?.[0] ?? '(none)').slice(0, 40)}"): cores counted from /proc/stat (${perCore.length})`);
  const facts: CpuFacts = { cores: nproc ?? perCore.length, perCore };
  const all1 = s1.cpus.get('cpu');
  const all2 = s2.cpus.get('cpu');
  if (all1 && all2) {
    const r = cpuBusy(all1, all2);
    facts.totalBusyPercent = round1(r.busy);
    facts.iowaitPercent = round1(r.iowait);
  }
  const clk = num(values.get('clk')?.[0]) ?? 100;
  if (num(values.get('clk')?.[0]) === undefined) warnings.push(`cpu: getconf CLK_TCK not understood ("${(values.get('clk')?.[0] ?? '(none)').slice(0, 40)}"): 100 ticks/s assumed`);
  if (s1.uptime !== undefined && s2.uptime !== undefined) {
    facts.sampleSeconds = round1(s2.uptime - s1.uptime);
    if (s1.daemonTicks !== undefined && s2.daemonTicks !== undefined && s2.uptime > s1.uptime) {
      facts.daemonCpuPercent = round1(((s2.daemonTicks - s1.daemonTicks) / clk / (s2.uptime - s1.uptime)) * 100);
    }
  }
  facts.daemonThreads = num(values.get('threads')?.[0]);
  if (s1.uptime !== undefined && s2.uptime !== undefined && s2.uptime > s1.uptime) {
    facts.hottestThread = hottestThread(s1, s2, (s2.uptime - s1.uptime) * 1e9);
  }
  const looks = (values.get('dstate') ?? []).map((v) => num(v)).filter((v): v is number => v !== undefined);
  if (looks.length !== (values.get('dstate') ?? []).length) warnings.push('cpu: some disk-sleep (state D) counts were not numbers');
  if (looks.length > 0) facts.ioBlockedShare = looks.filter((n) => n > 0).length / looks.length;
  facts.runnableLooks = runnableLooks(values.get('rstate') ?? []);
  if (perCore.length === 0) warnings.push('cpu: no per-core lines in /proc/stat');
  return { status: 'ok', facts, warnings };
}

function hottestThread(a: Sample, b: Sample, wallNs: number): CpuFacts['hottestThread'] {
  let best: CpuFacts['hottestThread'];
  for (const [tid, [run2, wait2]] of b.tasks) {
    const before = a.tasks.get(tid);
    if (!before) continue;
    const onCpu = ((run2 - before[0]) / wallNs) * 100;
    const runnable = ((run2 - before[0] + wait2 - before[1]) / wallNs) * 100;
    if (!best || runnable > best.runnablePercent) best = { tid, onCpuPercent: round1(onCpu), runnablePercent: round1(Math.min(100, runnable)) };
  }
  return best;
}

/** The thread most often in state R over the looks (ties: the lower tid, so the same looks give the same answer). */
export function runnableLooks(lines: string[]): CpuFacts['runnableLooks'] {
  if (lines.length === 0) return undefined;
  const counts = new Map<number, number>();
  for (const line of lines) {
    for (const word of line.trim().split(/\s+/)) {
      const tid = num(word);
      if (tid !== undefined && Number.isInteger(tid)) counts.set(tid, (counts.get(tid) ?? 0) + 1);
    }
  }
  const busyThreads = [...counts.values()].filter((n) => n >= 0.7 * lines.length).length;
  let best: CpuFacts['runnableLooks'];
  for (const [tid, n] of counts) {
    if (!best || n > best.share * lines.length || (n === best.share * lines.length && tid < best.tid)) best = { tid, share: n / lines.length, looks: lines.length, busyThreads };
  }
  return best ?? { tid: 0, share: 0, looks: lines.length, busyThreads };
}
