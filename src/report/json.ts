/** `--format json`: the report as DESIGN.md's contract, one object, nothing else. */
import type { AuditReport } from '../audit/types.js';

export function renderJson(report: AuditReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
