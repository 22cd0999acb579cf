/**
 * The terminal table (default format): one row per host — state, rate, queue, top finding,
 * evidence in short — then the fleet summary and the error of every host not fully probed.
 * Colour is the caller's decision (a TTY without NO_COLOR); host strings are made one-line
 * with control characters shown as escapes (the one sanitiser), so host output cannot move
 * the cursor or recolour the screen.
 */
import type { AuditReport } from '../audit/types.js';
import { summaryLine } from './summary-line.js';
import { safeLine } from '../util/sanitize.js';
import { formatCount, truncate } from './text.js';
import { hostView, severityLabel, type HostState } from './view.js';

export interface TableOptions {
  color?: boolean;
  /** Longest evidence cell, in characters. */
  evidenceWidth?: number;
}

const HEADERS = ['HOST', 'STATE', 'RATE/H', 'QUEUE', 'TOP FINDING', 'EVIDENCE'] as const;
const RIGHT_ALIGNED = new Set([2, 3]);
const COLORS: Record<HostState, string> = { ok: '32', warn: '33', critical: '31;1', failed: '35', unreachable: '35' };

export function renderTable(report: AuditReport, options: TableOptions = {}): string {
  const evidenceWidth = options.evidenceWidth ?? 60;
  const rows = report.hosts.map((host) => {
    const v = hostView(host);
    const finding = v.top ? `${v.top.kind} (${severityLabel(v.top)})` : '-';
    const evidence = host.error !== null ? host.error : v.top ? v.top.evidence.slice(0, 2).join('; ') : '';
    return {
      state: v.state,
      cells: [cell(host.name), v.state, formatCount(v.rate), formatCount(v.queue), cell(finding), truncate(cell(evidence), evidenceWidth)],
    };
  });
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...rows.map((r) => [...r.cells[i]!].length)));
  const line = (cells: readonly string[], state?: HostState): string =>
    cells
      .map((c, i) => {
        const padded = RIGHT_ALIGNED.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!);
        return i === 1 && state && options.color ? paint(padded, COLORS[state]) : padded;
      })
      .join('  ')
      .trimEnd();
  const out = [line(HEADERS), ...rows.map((r) => line(r.cells, r.state)), '', summaryLine(report)];
  const troubled = report.hosts.filter((h) => h.error !== null);
  for (const host of troubled) {
    const label = host.reachable ? 'failed' : 'unreachable';
    out.push(`${label}: ${cell(host.name)}: ${cell(host.error!)}`);
  }
  return `${out.join('\n')}\n`;
}

function paint(text: string, code: string): string {
  return `\u001b[${code}m${text}\u001b[0m`;
}

/** A host string as a table cell: one line, controls visible, whitespace runs as one space. */
function cell(s: string): string {
  return safeLine(s).replace(/\s+/g, ' ').trim();
}
