/**
 * Markdown for tickets and change records: the fleet summary table, then one section per
 * host with its findings, evidence, remedy and the exact command line that applies it.
 * Host strings are escaped so they stay text in any Markdown renderer.
 */
import { isProblem } from '../audit/summary.js';
import type { AuditHost, AuditReport, Finding } from '../audit/types.js';
import { remedyCommand } from './remedy.js';
import { summaryLine } from './summary-line.js';
import { codeBlock, escapeMarkdown as md } from '../util/markdown.js';
import { formatCount } from './text.js';
import { hostView, severityLabel } from './view.js';

export interface MarkdownOptions {
  /** Inventory path for the remedy command lines (a placeholder when unknown). */
  inventoryFile?: string;
  /** When the audit ran; the caller passes it so the renderer stays pure. */
  generatedAt?: string;
}

export function renderMarkdown(report: AuditReport, options: MarkdownOptions = {}): string {
  const out: string[] = ['# mtafleet audit', ''];
  if (options.generatedAt) out.push(`Generated ${md(options.generatedAt)}${options.inventoryFile ? ` from inventory ${md(options.inventoryFile)}` : ''}.`, '');
  out.push(md(summaryLine(report)), '');
  out.push('| Host | State | Rate/h | Queue | Top finding |', '|---|---|---:|---:|---|');
  for (const host of report.hosts) {
    const v = hostView(host);
    const top = v.top ? `${v.top.kind} (${severityLabel(v.top)})` : '-';
    out.push(`| ${md(host.name)} | ${v.state} | ${formatCount(v.rate)} | ${formatCount(v.queue)} | ${md(top)} |`);
  }
  for (const host of report.hosts) out.push('', ...hostSection(host, options));
  return `${out.join('\n')}\n`;
}

function hostSection(host: AuditHost, options: MarkdownOptions): string[] {
  const v = hostView(host);
  const out = [`## ${md(host.name)} (${v.state})`, ''];
  if (host.error !== null) out.push(`**${host.reachable ? 'Probe failed' : 'Unreachable'}:** ${md(host.error)}`, '');
  const shown = host.findings.filter(isProblem);
  if (host.error === null && shown.length === 0) out.push('No bottleneck found.', '');
  for (const finding of shown) out.push(...findingSection(finding, host.name, options));
  const info = host.findings.filter((f) => !isProblem(f));
  if (info.length > 0) {
    out.push('Notes:', '', ...info.map((f) => `- ${md(f.title || f.kind)}: ${f.evidence.map(md).join('; ')}`), '');
  }
  const unavailable = Object.entries(host.unavailable);
  if (unavailable.length > 0) {
    out.push('Probes unavailable:', '', ...unavailable.map(([probe, why]) => `- ${md(probe)}: ${md(why)}`), '');
  }
  if (host.warnings.length > 0) {
    out.push('Probe warnings:', '', ...host.warnings.map((w) => `- ${md(w)}`), '');
  }
  return trimTrailingBlank(out);
}

function findingSection(finding: Finding, host: string, options: MarkdownOptions): string[] {
  const out = [`### ${md(finding.kind)} (${severityLabel(finding)})${finding.title ? `: ${md(finding.title)}` : ''}`, ''];
  if (finding.evidence.length > 0) out.push('Evidence:', '', ...finding.evidence.map((e) => `- ${md(e)}`), '');
  const command = remedyCommand(finding, host, options.inventoryFile);
  if (command) {
    out.push(`Remedy: ${md(finding.remedy!)}`, '', codeBlock(command, 'sh'), '');
  } else if (finding.remedy) {
    out.push(`Remedy: ${md(finding.remedy)}`, '');
  } else {
    out.push('Remedy: none to run from here (see the evidence).', '');
  }
  return out;
}

function trimTrailingBlank(lines: string[]): string[] {
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}
