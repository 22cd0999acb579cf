/** The health gate's command: the one builder, for running it (fleet.ts) and for showing it (report/). */
import type { HealthGate } from '../playbook/types.js';
import { argv, type Command } from '../transport/quote.js';

/** The gate's command as it runs on a host. */
export function healthGateCommand(gate: HealthGate): Command | undefined {
  if (gate.argv && gate.argv.length > 0) return argv(...gate.argv);
  if (gate.cmd !== undefined) return argv('sh', '-c', gate.cmd);
  return undefined;
}
