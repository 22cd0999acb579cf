/** The rolling loop shared by run and apply: batches, health gate, stop rule, notRun. */
import type { ConnectionSpec } from '../transport/types.js';
import { shouldStop, splitBatches } from './batches.js';
import { criticalByHost, isFailure, runHealthGate, type EngineDeps } from './fleet.js';
import type { Rolling } from './planfile.js';
import type { HostOutcome } from './run-record.js';

export interface RollingResult {
  outcomes: HostOutcome[];
  notRun: string[];
  stopped?: string;
}

export async function rollBatches(
  playName: string,
  specs: ConnectionSpec[],
  rolling: Rolling,
  forks: number,
  deps: EngineDeps,
  work: (batch: ConnectionSpec[]) => Promise<HostOutcome[]>,
): Promise<RollingResult> {
  const batches = splitBatches(specs, rolling.serial);
  const outcomes: HostOutcome[] = [];
  const notRun: string[] = [];
  let stopped: string | undefined;
  for (let b = 0; b < batches.length; b++) {
    const batch = batches[b];
    if (stopped) {
      notRun.push(...batch.map((s) => s.name));
      continue;
    }
    deps.emit?.({ type: 'batch-start', play: playName, batch: b + 1, batches: batches.length, hosts: batch.map((s) => s.name) });
    const baseline = rolling.healthGate?.noNewCritical ? await criticalByHost(batch, forks, deps) : undefined;
    let results = await work(batch);
    if (rolling.healthGate) results = await runHealthGate(rolling.healthGate, results, batch, forks, deps, baseline);
    outcomes.push(...results);
    deps.emit?.({ type: 'batch-done', play: playName, batch: b + 1, outcomes: results });
    const failed = results.filter(isFailure).length;
    if (b < batches.length - 1 && shouldStop(failed, batch.length, rolling.maxFailPercentage)) {
      const limit = rolling.maxFailPercentage === undefined ? 'every host of the batch failed' : `more than max_fail_percentage ${rolling.maxFailPercentage}% failed`;
      stopped = `play "${playName}" stopped after batch ${b + 1} of ${batches.length}: ${failed} of ${batch.length} hosts failed (${limit})`;
      deps.emit?.({ type: 'run-stopped', reason: stopped });
    }
  }
  return { outcomes, notRun, stopped };
}
