/** A run, apply or rollback as a history row (pure): who, when, what, hosts, outcome. */
import { hostname } from 'node:os';
import type { RunResult } from '../engine/run-record.js';
import type { RunRow } from './types.js';

export function whoAmI(user: string): string {
  return `${user}@${hostname()}`;
}

export function runRow(
  result: RunResult,
  meta: { id?: string; command: RunRow['command']; who: string; startedAt: number; playbook: string | null; planFile?: string | null; inventory: string | null },
): RunRow {
  const s = result.summary;
  const outcome: RunRow['outcome'] =
    s.failed > 0 ? 'failed' : s.unreachable > 0 ? 'unreachable' : s.refused > 0 ? 'refused' : result.stopped ? 'stopped' : s.changed > 0 ? 'changed' : 'ok';
  return {
    id: meta.id ?? result.runId,
    runId: result.runId,
    command: meta.command,
    who: meta.who,
    startedAt: meta.startedAt,
    finishedAt: Date.now(),
    check: result.check,
    playbook: meta.playbook,
    planFile: meta.planFile ?? null,
    inventory: meta.inventory,
    hosts: result.hosts.map((h) => ({ name: h.name, status: h.status, changes: h.changes })),
    summary: { ...s },
    outcome,
  };
}
