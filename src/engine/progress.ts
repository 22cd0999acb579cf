/**
 * Terminal progress on stderr (stdout stays for results and JSON). One line per host event
 * for small batches; past COMPACT_AFTER hosts, one summary line per batch.
 */
import type { EngineEvent, EngineListener } from './events.js';

export const COMPACT_AFTER = 30;

export function progressPrinter(write: (line: string) => void = (l) => process.stderr.write(l + '\n')): EngineListener {
  let compact = false;
  return (e: EngineEvent) => {
    switch (e.type) {
      case 'batch-start':
        compact = e.hosts.length > COMPACT_AFTER;
        write(`== ${e.play}: batch ${e.batch}/${e.batches} (${e.hosts.length} host(s)${compact ? '' : `: ${e.hosts.join(', ')}`})`);
        return;
      case 'change-applied':
        if (!compact) write(`   ${e.host}: ${e.ok ? 'applied' : 'FAILED'} ${e.summary}${e.error ? `: ${e.error}` : ''}`);
        return;
      case 'rollback':
        if (!compact || !e.ok) write(`   ${e.host}: ${e.ok ? 'undone' : 'NOT UNDONE'} ${e.summary}${e.error ? `: ${e.error}` : ''}`);
        return;
      case 'host-done':
        if (!compact) write(`   ${e.host}: ${e.outcome.status}${e.outcome.error ? ` (${e.outcome.error})` : ''}`);
        return;
      case 'batch-done': {
        const counts: Record<string, number> = {};
        for (const o of e.outcomes) counts[o.status] = (counts[o.status] ?? 0) + 1;
        write(`   batch ${e.batch} done: ${Object.entries(counts).map(([k, v]) => `${k}=${v}`).join(' ')}`);
        return;
      }
      case 'run-stopped':
        write(`!! ${e.reason}`);
        return;
      default:
        return;
    }
  };
}
