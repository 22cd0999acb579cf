/**
 * A play's rolling rules and health gate in words, for every rendering of a plan: the gate
 * runs a command on each host, so a reviewer must see it exactly as it will execute.
 */
import type { HealthGate } from '../playbook/types.js';
import { healthGateCommand } from '../engine/health-gate.js';
import type { Rolling } from '../engine/planfile.js';

export interface RollingLine {
  label: string;
  text: string;
  /** Shell text that will run on the hosts, shown verbatim (code in Markdown). */
  command?: string;
}

export function describeRolling(r: Rolling): RollingLine[] {
  const serial =
    r.serial.length === 0
      ? 'all hosts in one batch'
      : r.serial.map((s) => ('count' in s ? `${s.count} host(s)` : `${s.percent}% of the hosts`)).join(', then ') + (r.serial.length > 1 ? ' (the last size repeats)' : ' per batch');
  const stop =
    r.maxFailPercentage === undefined
      ? 'when every host of a batch failed'
      : `when more than ${r.maxFailPercentage}% of a batch failed (max_fail_percentage)`;
  return [{ label: 'batches (serial)', text: serial }, { label: 'stop the play', text: stop }, ...describeHealthGate(r.healthGate)];
}

/** describeRolling as plain text lines (text plan, apply's confirmation). */
export function rollingText(r: Rolling): string[] {
  return describeRolling(r).map((l) => `${l.label}: ${l.text}${l.command !== undefined ? ` $ ${l.command}` : ''}`);
}

function describeHealthGate(gate: HealthGate | undefined): RollingLine[] {
  const label = 'health gate after each batch';
  if (!gate) return [{ label, text: 'none' }];
  const out: RollingLine[] = [];
  const command = healthGateCommand(gate);
  if (command) {
    const timeout = gate.timeoutSeconds ? `, timeout ${gate.timeoutSeconds}s` : '';
    out.push({ label, text: `on each host, exit 0 = healthy${timeout}:`, command: command.text });
  }
  if (gate.noNewCritical) out.push({ label, text: 'no new critical finding of the audit probes on any host of the batch' });
  return out;
}
