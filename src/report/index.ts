/** Renderings of an audit report. Pure: report (+ options) in, string out. */
import type { AuditReport } from '../audit/types.js';
import { renderHtml } from './html.js';
import { renderJson } from './json.js';
import { renderMarkdown } from './markdown.js';
import { renderOpenMetrics } from './openmetrics.js';
import { renderTable } from './table.js';

import type { AuditFormat } from './formats.js';
export { AUDIT_FORMATS, type AuditFormat } from './formats.js';

export interface RenderOptions {
  /** Terminal colour for the table (the caller checks TTY and NO_COLOR). */
  color?: boolean;
  inventoryFile?: string;
  generatedAt?: string;
}

export function renderAudit(report: AuditReport, format: AuditFormat, options: RenderOptions = {}): string {
  switch (format) {
    case 'table':
      return renderTable(report, options.color !== undefined ? { color: options.color } : {});
    case 'json':
      return renderJson(report);
    case 'markdown':
      return renderMarkdown(report, { ...pick(options, 'inventoryFile'), ...pick(options, 'generatedAt') });
    case 'html':
      return renderHtml(report, { ...pick(options, 'inventoryFile'), ...pick(options, 'generatedAt') });
    case 'openmetrics':
      return renderOpenMetrics(report);
  }
}

function pick<K extends keyof RenderOptions>(options: RenderOptions, key: K): Pick<RenderOptions, K> {
  return options[key] !== undefined ? ({ [key]: options[key] } as Pick<RenderOptions, K>) : ({} as Pick<RenderOptions, K>);
}

export { renderHtml, renderJson, renderMarkdown, renderOpenMetrics, renderTable };
export { summaryLine } from './summary-line.js';
export { remedyCommand } from './remedy.js';
export { hostView, hourSlots, ipDeferrals, CHART_HOURS, type HostView, type HostState } from './view.js';
export { writeReportFile } from './write.js';
export { renderFromAuditMarkdown, renderFromAuditText } from './plan-ticket.js';

// Plans, runs and progress: the engine returns data, these render it (issue #14 item 5).
export { renderPlanText, renderChangesText, renderPlanMarkdown, renderRunText, runJson, countChanges } from './plan.js';
export { progressPrinter, withProgress, BatchView } from './progress.js';
export { rollingText, describeRolling } from './rolling-text.js';
