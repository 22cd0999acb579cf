import type { Facts } from '../probes/index.js';
import { own } from '../util/dict.js';
import { MIN_RECORDS } from './delivery.js';
import { DAEMON_ONE_CORE_MIN, THREAD_RUNNABLE_MIN, threadReadings } from './system.js';
import type { Confidence, Finding } from './types.js';

/** Readings this far past their threshold are clear of sampling noise on their own. */
const CLEAR_MARGIN = 1.2;

/**
 * How sure a finding is: 'high' when two independent readings agree or one clears its threshold
 * by a margin; 'low' when it rests on one reading near its threshold (a ~1 s sample of a busy
 * device or thread can land either side of it in the next audit). Pure, from the same facts the
 * rule read, so the same facts always give the same answer. Accounting-based findings count a
 * day of records (at least MIN_RECORDS): they are not a moment's sample.
 */
export function confidenceOf(finding: Finding, facts: Facts): Confidence {
  if (finding.severity === 'info') return 'low';
  switch (finding.kind) {
    case 'spool-io': {
      const blocked = facts.cpu?.ioBlockedShare;
      const utils = Object.values(facts.spool?.io ?? {}).map((io) => io.util ?? 0);
      const util = utils.length > 0 ? Math.max(...utils) : 0;
      // %util over the warn line and the daemon seen waiting on disk; or a device pinned near 100 %.
      return (util >= 80 && blocked !== undefined && blocked >= 0.5) || util >= 90 ? 'high' : 'low';
    }
    case 'thread-contention': {
      const cpu = facts.cpu;
      if (!cpu) return 'low';
      // schedstat counts only where it agrees with the looks on the thread (threadReadings).
      const { hot, lookPercent } = threadReadings(cpu);
      const readings = [(cpu.daemonCpuPercent ?? 0) >= DAEMON_ONE_CORE_MIN, (hot?.runnablePercent ?? 0) >= THREAD_RUNNABLE_MIN, lookPercent >= THREAD_RUNNABLE_MIN].filter(Boolean).length;
      return readings >= 2 || finding.strength >= CLEAR_MARGIN ? 'high' : 'low';
    }
    case 'fd-limit':
      // "Too many open files" in the log is the failure itself; a descriptor count near the limit is one moment.
      return (facts.fd?.logs ?? []).some((l) => l.tooManyOpenFiles > 0) || finding.strength >= CLEAR_MARGIN ? 'high' : 'low';
    case 'port-exhaustion':
      return finding.strength >= CLEAR_MARGIN ? 'high' : 'low';
    case 'isp-limit': {
      // Full connections are a moment; the ISP's deferrals over the day are what corroborate them.
      const domain = finding.remedyVars?.domain;
      const acc = facts.accounting;
      const c = domain !== undefined && acc?.hasTransientRecords ? own(acc.byDomain, domain) : undefined;
      return c && c.delivered + c.deferred + c.bounced >= MIN_RECORDS ? 'high' : 'low';
    }
    default:
      return 'high';
  }
}
