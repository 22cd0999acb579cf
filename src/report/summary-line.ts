/** The fleet summary in one line, shared by the table, the --out message and Markdown. */
import { hostFailed } from '../audit/summary.js';
import type { AuditReport } from '../audit/types.js';

export function summaryLine(report: AuditReport): string {
  const { hosts, reachable, byKind } = report.summary;
  const failed = report.hosts.filter(hostFailed).length;
  const parts = [`${hosts} host${hosts === 1 ? '' : 's'}`, `${reachable} reachable`];
  if (hosts - reachable > 0) parts.push(`${hosts - reachable} unreachable`);
  if (failed > 0) parts.push(`${failed} failed`);
  const kinds = Object.entries(byKind).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const findings = kinds.length === 0 ? 'no bottleneck found' : `findings: ${kinds.map(([k, n]) => `${k} ${n}`).join(', ')}`;
  return `${parts.join(', ')}; ${findings}`;
}
