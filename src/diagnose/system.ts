import type { Facts } from '../probes/index.js';
import { own } from '../util/dict.js';
import { fmt, pct } from './format.js';
import type { DiagnoseOptions, Finding } from './types.js';

/** Seed: "HDD storage becomes a bottleneck above approximately 100,000 messages per hour". */
export const HDD_MSGS_PER_HOUR = 100_000;
export const UTIL_WARN = 80;
export const UTIL_CRITICAL = 90;
/** With the daemon blocked on disk this often, a device busy above UTIL_BUSY is the constraint. */
export const UTIL_BUSY = 30;
export const BLOCKED_SHARE = 0.5;

/** Delivered messages in the last hour: PowerMTA's own counter, else the busiest accounting hour. */
export function hourlyRate(facts: Facts): { value: number; source: string } | null {
  const status = facts.pmtaStatus?.deliveredLastHour;
  if (status !== undefined) return { value: status, source: 'pmta show status, last hour outbound' };
  const hours = facts.accounting?.hourly ?? [];
  if (hours.length === 0) return null;
  return { value: Math.max(...hours.map((h) => h.delivered)), source: 'accounting, busiest hour' };
}

export function spoolIo(facts: Facts, options: DiagnoseOptions): Finding[] {
  const spool = facts.spool;
  if (!spool) return [];
  const out: Finding[] = [];
  const rate = hourlyRate(facts);
  for (const s of spool.spools) {
    if (!s.device) continue;
    const io = own(spool.io, s.device);
    const evidence: string[] = [];
    let severity: Finding['severity'] | null = null;
    let strength = 0;
    if (io?.util !== undefined && io.util >= UTIL_WARN) {
      severity = io.util >= UTIL_CRITICAL ? 'critical' : 'warn';
      strength = io.util / UTIL_WARN;
      evidence.push(`${s.device} %util ${fmt(io.util)} (${io.source}) holding spool ${s.dir}`);
      const ops = [
        io.writesPerSec !== undefined ? `w/s ${fmt(io.writesPerSec)}` : null,
        io.readsPerSec !== undefined ? `r/s ${fmt(io.readsPerSec)}` : null,
        io.writeAwaitMs !== undefined ? `w_await ${fmt(io.writeAwaitMs)} ms` : io.awaitMs !== undefined ? `await ${fmt(io.awaitMs)} ms` : null,
        io.queueSize !== undefined ? `aqu-sz ${fmt(io.queueSize, 2)}` : null,
      ].filter(Boolean);
      if (ops.length > 0) evidence.push(`${s.device} ${ops.join(', ')} (${io.source})`);
    }
    const blocked = facts.cpu?.ioBlockedShare;
    if (!severity && io?.util !== undefined && io.util >= UTIL_BUSY && blocked !== undefined && blocked >= BLOCKED_SHARE) {
      // A busy device the daemon keeps waiting on: on a loaded machine %util alone reads low.
      severity = 'warn';
      strength = Math.max(io.util / UTIL_WARN, blocked);
      evidence.push(`${s.device} %util ${fmt(io.util)} (${io.source}) holding spool ${s.dir}`);
    }
    if (severity && blocked !== undefined) {
      evidence.push(`pmtad threads in disk sleep (state D) in ${pct(blocked)} of looks over ~1 s (/proc/PID/task/*/stat)`);
    }
    if (s.rotational && rate && rate.value > HDD_MSGS_PER_HOUR) {
      const hddStrength = rate.value / HDD_MSGS_PER_HOUR;
      if (!severity) severity = 'warn';
      strength = Math.max(strength, hddStrength);
      evidence.push(`${fmt(rate.value, 0)} msgs/h (${rate.source}) on a rotational spool disk; HDD spools cap near ${fmt(HDD_MSGS_PER_HOUR, 0)} msgs/h`);
    }
    if (!severity) continue;
    if (s.rotational !== undefined) evidence.push(`${s.device} rotational=${s.rotational ? 1 : 0} (/sys/block/${s.device}/queue/rotational)`);
    if (facts.cpu?.iowaitPercent !== undefined) evidence.push(`iowait ${fmt(facts.cpu.iowaitPercent)} % (/proc/stat)`);
    if (spool.benchmark) {
      evidence.push(`fio 4k randrw: ${fmt(spool.benchmark.readIops, 0)} read + ${fmt(spool.benchmark.writeIops, 0)} write IOPS (target > 10,000 medium, > 50,000 high volume)`);
    }
    out.push({
      kind: 'spool-io',
      severity,
      title: `Spool disk ${s.device} is saturated: move the spool to NVMe`,
      evidence,
      remedy: 'playbooks/spool-migrate-nvme.yaml',
      remedyVars: { device: options.hostVars?.lab_nvme_device ?? options.hostVars?.nvme_device ?? '?', spool_dir: s.dir },
      strength,
    });
  }
  return out;
}

export function fdLimit(facts: Facts): Finding[] {
  const fd = facts.fd;
  if (!fd) return [];
  const evidence: string[] = [];
  let severity: Finding['severity'] | null = null;
  let strength = 0;
  // Every form counts (fdExhaustion: "Too many open files", EMFILE, ENFILE, "... in system").
  const errors = fd.logs.reduce((a, l) => a + l.tooManyOpenFiles, 0);
  const systemWide = fd.logs.reduce((a, l) => a + (l.systemWide ?? 0), 0);
  for (const log of fd.logs.filter((l) => l.tooManyOpenFiles > 0)) {
    evidence.push(`${fmt(log.tooManyOpenFiles, 0)} "Too many open files" lines in recent ${log.file}`);
    if (log.systemWide) evidence.push(`${fmt(log.systemWide, 0)} of them system-wide (ENFILE, "Too many open files in system"): the kernel's file table is full; LimitNOFILE does not raise it`);
    if (log.lastLines.length > 0) evidence.push(`last: ${log.lastLines[log.lastLines.length - 1].slice(0, 160)}`);
  }
  if (systemWide > 0 && fd.systemFiles) {
    evidence.push(`file handles ${fmt(fd.systemFiles.allocated, 0)} allocated of fs.file-max ${fmt(fd.systemFiles.max, 0)} (/proc/sys/fs/file-nr)`);
  }
  if (errors > 0) {
    severity = 'critical';
    strength = 1 + Math.log10(errors);
  }
  let processBound = errors > systemWide;
  if (fd.softLimit !== undefined && Number.isFinite(fd.softLimit) && fd.openFds !== undefined && fd.softLimit > 0) {
    const ratio = fd.openFds / fd.softLimit;
    const line = `pmtad (pid ${fd.pid}) has ${fmt(fd.openFds, 0)} open files of soft limit ${fmt(fd.softLimit, 0)} (${pct(ratio)}; /proc/${fd.pid}/fd, /proc/${fd.pid}/limits)`;
    if (ratio >= 0.8) {
      severity = ratio >= 0.95 || severity === 'critical' ? 'critical' : 'warn';
      strength = Math.max(strength, ratio / 0.8);
      processBound = true;
      evidence.push(line);
    } else if (severity) {
      evidence.push(line);
    }
  } else if (severity && fd.softLimit !== undefined) {
    evidence.push(`pmtad soft limit ${Number.isFinite(fd.softLimit) ? fmt(fd.softLimit, 0) : 'unlimited'} (/proc/${fd.pid}/limits)`);
  }
  if (!severity) return [];
  if (!processBound) {
    // Only the kernel's table ran out: a higher LimitNOFILE would not help.
    evidence.push('instead of LimitNOFILE: raise fs.file-max (sysctl, e.g. a drop-in in /etc/sysctl.d/) and find what else holds file handles on this host');
    return [{ kind: 'fd-limit', severity, title: 'The system-wide file table is full (ENFILE): raise fs.file-max', evidence, remedy: null, strength }];
  }
  return [
    {
      kind: 'fd-limit',
      severity,
      title: 'PowerMTA runs out of file descriptors: raise LimitNOFILE',
      evidence,
      remedy: 'playbooks/fd-limit.yaml',
      remedyVars: { nofile: '65535' },
      strength,
    },
  ];
}

/** Seed: TIME-WAIT "should be low (<5000) after tuning"; sockets tying up half the port range is a pile. */
export const TIME_WAIT_LIMIT = 5000;
export const PORT_SHARE_WARN = 0.5;
export const PORT_SHARE_CRITICAL = 0.8;

export function portExhaustion(facts: Facts): Finding[] {
  const ports = facts.ports;
  if (!ports) return [];
  const timeWait = ports.timeWait ?? 0;
  const closeWait = ports.closeWait ?? 0;
  const estab = ports.summary.estab ?? 0;
  const held = timeWait + closeWait + estab;
  const share = ports.localPorts ? held / ports.localPorts : 0;
  let severity: Finding['severity'] | null = null;
  let strength = 0;
  if (ports.localPorts && share >= PORT_SHARE_WARN) {
    severity = share >= PORT_SHARE_CRITICAL ? 'critical' : 'warn';
    strength = share / PORT_SHARE_WARN;
  }
  if (timeWait > TIME_WAIT_LIMIT) {
    severity ??= 'warn';
    strength = Math.max(strength, timeWait / TIME_WAIT_LIMIT);
  }
  if (!severity) return [];
  const range = ports.sysctl.ipLocalPortRange;
  const evidence = [
    `TIME-WAIT ${fmt(timeWait, 0)}, CLOSE-WAIT ${fmt(closeWait, 0)}, established ${fmt(estab, 0)} (${ports.source === 'ss' ? 'ss -s, ss -tan state' : ports.source})`,
  ];
  if (range && ports.localPorts) {
    evidence.push(`ip_local_port_range ${range[0]} ${range[1]} = ${fmt(ports.localPorts, 0)} ports; sockets hold ${pct(share)} of them (sysctl)`);
  }
  if (ports.sysctl.tcpFinTimeout !== undefined) evidence.push(`tcp_fin_timeout ${ports.sysctl.tcpFinTimeout}, tcp_tw_reuse ${ports.sysctl.tcpTwReuse ?? '?'}, somaxconn ${ports.sysctl.somaxconn ?? '?'} (sysctl)`);
  return [
    {
      kind: 'port-exhaustion',
      severity,
      title: 'Local ports are running out: widen the port range and recycle TIME-WAIT faster',
      evidence,
      remedy: 'playbooks/network-tuning.yaml',
      remedyVars: { port_range: '10240 65535' },
      strength,
    },
  ];
}

/** "One CPU at 100 %": the daemon using about one full core, not more (it would be spreading). */
export const DAEMON_ONE_CORE_MIN = 85;
export const DAEMON_ONE_CORE_MAX = 130;

/** A thread runnable (on a CPU or queued for one) this much of the time is close to needing a whole core, whatever a busy machine gives it. */
export const THREAD_RUNNABLE_MIN = 70;

/**
 * The directives playbooks/pmta-threads.yaml writes (its defaults): the article's names, which
 * the PowerMTA v5.0 User's Guide does not document, so the audit asks the host (pmta test
 * config on a copy, src/audit/thread-check.ts) before recommending them.
 */
export function threadRemedyDirectives(cores: number): string[] {
  return [`queue-processing-threads ${cores}`, 'smtp-service-threads 32', 'num-hosts 512'];
}

/** What to do when the host rejects the thread directives: the Guide has no thread-count directive. */
export const THREADS_INSTEAD =
  "instead: the PowerMTA v5.0 User's Guide documents no thread-count directive (only thread-min-priority/thread-max-priority, §3.3.1.27, and thread-reuse, §3.3.1.28): check that nothing pins pmtad to one CPU (taskset, a cgroup cpuset, Cpus_allowed_list in /proc/PID/status), ask SparkPost support how this version spreads queue processing over cores, or spread the traffic over more PowerMTA hosts";

export function threadContention(facts: Facts): Finding[] {
  const cpu = facts.cpu;
  if (!cpu || cpu.cores < 2) return [];
  const used = cpu.daemonCpuPercent ?? 0;
  const looks = cpu.runnableLooks;
  // Over ~1.3 cores the daemon spreads its work, unless the looks saw exactly one thread busy
  // (one spinning thread plus the others' bookkeeping on an idle machine can pass 1.3 cores).
  if (used > DAEMON_ONE_CORE_MAX && looks?.busyThreads !== 1) return [];
  const oneCore = used >= DAEMON_ONE_CORE_MIN;
  const { hot, lookPercent, threadBound } = threadReadings(cpu);
  if (!oneCore && !threadBound) return [];
  const threads = facts.config?.settings.threads.queueProcessingThreads;
  if (threads !== undefined && threads >= cpu.cores) return [];
  const cores = cpu.perCore.map((c) => `${c.cpu} ${fmt(c.busyPercent)} %`).join(', ');
  const test = facts.configTest;
  const rejected = test?.verdict === 'rejected';
  return [
    {
      kind: 'thread-contention',
      severity: used >= 95 || (hot?.runnablePercent ?? 0) >= 97 || lookPercent >= 95 ? 'critical' : 'warn',
      title: rejected
        ? `PowerMTA is bound to one core of ${cpu.cores}, and this PowerMTA rejects queue-processing-threads: see the evidence for what to do`
        : `PowerMTA is bound to one core of ${cpu.cores}: raise queue-processing-threads`,
      evidence: [
        `pmtad uses ${fmt(used)} % of one core (/proc/PID/stat over ${fmt(cpu.sampleSeconds ?? 1)} s)`,
        ...(hot && threadBound
          ? [`pmtad thread ${hot.tid} runnable ${fmt(hot.runnablePercent)} % of the time, on a CPU ${fmt(hot.onCpuPercent)} % (/proc/PID/task/${hot.tid}/schedstat)`]
          : []),
        ...(looks && threadBound && lookPercent > 0
          ? [`pmtad thread ${looks.tid} runnable (state R) in ${fmt(looks.share * looks.looks, 0)} of ${looks.looks} looks (/proc/PID/task/${looks.tid}/stat)`]
          : []),
        `queue-processing-threads ${threads ?? 'not set'} < ${cpu.cores} cores (/etc/pmta/config, nproc)`,
        ...(cores ? [`per core: ${cores} (/proc/stat, machine-wide)`] : []),
        ...(cpu.daemonThreads !== undefined ? [`pmtad threads ${cpu.daemonThreads} (/proc/PID/status)`] : []),
        ...threadTestEvidence(test),
      ],
      remedy: rejected ? null : 'playbooks/pmta-threads.yaml',
      ...(rejected ? {} : { remedyVars: { threads: String(cpu.cores) } }),
      strength: Math.max(used / DAEMON_ONE_CORE_MIN, (hot?.runnablePercent ?? 0) / THREAD_RUNNABLE_MIN, lookPercent / THREAD_RUNNABLE_MIN),
    },
  ];
}

/**
 * The two readings of "a thread that wants a whole core": the share of ~10 looks that saw it
 * runnable (state R), and schedstat's runnable time. schedstat counts a run-queue wait only when
 * the wait ends, so on a starved machine a thread that waited before the sample and then slept
 * reads ~100 % runnable with ~0 % on a CPU (seen on a healthy lab host): where there are looks,
 * they decide, and schedstat counts only for the same thread. `hot` is undefined when it does not.
 */
export function threadReadings(cpu: NonNullable<Facts['cpu']>): {
  hot: NonNullable<Facts['cpu']>['hottestThread'];
  lookPercent: number;
  threadBound: boolean;
} {
  const looks = cpu.runnableLooks;
  const looked = looks !== undefined && looks.looks >= 5;
  const lookPercent = looked ? looks.share * 100 : 0;
  const hot = cpu.hottestThread && (!looked || (looks.share > 0 && cpu.hottestThread.tid === looks.tid)) ? cpu.hottestThread : undefined;
  const threadBound = lookPercent >= THREAD_RUNNABLE_MIN || (!looked && hot !== undefined && hot.runnablePercent >= THREAD_RUNNABLE_MIN);
  return { hot, lookPercent, threadBound };
}

function threadTestEvidence(test: Facts['configTest']): string[] {
  if (!test) return ["queue-processing-threads is not in the PowerMTA v5.0 User's Guide: the playbook checks it with pmta test config and refuses before changing anything if this PowerMTA rejects it"];
  const tried = `"${test.directives.join('; ')}" added to a copy of ${test.file}`;
  const answer = test.output.split('\n').find((l) => l.trim() !== '') ?? '';
  if (test.verdict === 'accepted') return [`pmta test config accepts ${tried} (tested in a private mount namespace; the installed config is unchanged)`];
  if (test.verdict === 'rejected') return [`pmta test config rejects ${tried}: ${answer.slice(0, 200)} (the installed config is unchanged)`, THREADS_INSTEAD];
  return [`not checked whether this PowerMTA accepts queue-processing-threads (not in the v5.0 User's Guide): ${answer.slice(0, 200)}; the playbook checks it with pmta test config and refuses if rejected`];
}
