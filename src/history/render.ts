/**
 * Text renderings of history data and of an audit comparison. Host names, finding titles and
 * subjects came from hosts: every line goes through the one sanitiser (safeLine).
 */
import { safeLine } from '../util/sanitize.js';
import { escapeMarkdown } from '../util/markdown.js';
import type { Comparison, Move } from './compare.js';
import type { HistoryData, HostHistory } from './trends.js';

const n = (x: number | null | undefined): string => (x === null || x === undefined ? '-' : Math.round(x).toLocaleString('en-US'));
const pct = (x: number | null | undefined): string => (x === null || x === undefined ? '-' : `${(x * 100).toFixed(1)} %`);

export function duration(seconds: number): string {
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 2 * 86400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} d`;
}

function hostSummary(h: HostHistory): string[] {
  const pts = h.points ?? [];
  const rates = pts.flatMap((p) => (p.rate === null ? [] : [p.rate]));
  const first = pts[0];
  return [
    h.name,
    n(first?.rate),
    n(h.latest?.rate),
    rates.length > 0 ? `${n(Math.min(...rates))}..${n(Math.max(...rates))}` : '-',
    n(h.latest?.queue),
    pct(h.latest?.deferralRate),
    h.latest ? (h.latest.reachable ? (h.latest.failed ? 'failed' : (h.latest.worst ?? 'ok')) : 'unreachable') : '-',
  ];
}

export function renderHistoryTable(d: HistoryData): string {
  const out: string[] = [`history ${d.since} .. ${d.until}${d.limit ? ` (hosts ${d.limit})` : ''}, ${d.fleet.length} audit(s), store ${d.store}`];
  const first = d.fleet[0];
  const last = d.fleet[d.fleet.length - 1];
  if (first && last) {
    out.push(`fleet: rate/h ${n(first.rate)} -> ${n(last.rate)}; queue ${n(first.queue)} -> ${n(last.queue)}; median deferral ${pct(first.deferralRate)} -> ${pct(last.deferralRate)}; hosts critical ${first.critical} -> ${last.critical}, warn ${first.warn} -> ${last.warn}`);
  }
  out.push('', ...table(['HOST', 'RATE/H FIRST', 'RATE/H NOW', 'RANGE', 'QUEUE', 'DEFERRAL', 'STATE'], d.hosts.map(hostSummary), new Set([1, 2, 4, 5])));
  if (d.pointsOmitted) out.push(`(${d.hosts.length} hosts: per-host series left out; narrow with --limit for first and range)`);
  out.push('', d.findings.length === 0 ? 'no findings in this period' : 'findings:');
  for (const f of d.findings) {
    const status = f.resolved === null ? `OPEN for ${duration(f.openSeconds)}` : `resolved ${f.resolved} after ${duration(f.openSeconds)}`;
    out.push(`  ${f.host}  ${f.kind}${f.subject ? ` (${f.subject})` : ''} ${f.severity}  first seen ${f.firstSeen}  ${status}`);
  }
  return out.map(safeLine).join('\n') + '\n';
}

export function renderHistoryMarkdown(d: HistoryData): string {
  const row = (cells: string[]): string => `| ${cells.map((c) => escapeMarkdown(c)).join(' | ')} |`;
  const out = [`# Fleet history ${d.since} .. ${d.until}`, '', `${d.fleet.length} audit(s)${d.limit ? `, hosts ${escapeMarkdown(d.limit)}` : ''}.`, ''];
  out.push('## Hosts', '', row(['host', 'rate/h first', 'rate/h now', 'range', 'queue', 'deferral', 'state']), '|---|---:|---:|---|---:|---:|---|');
  for (const h of d.hosts) out.push(row(hostSummary(h)));
  out.push('', '## Findings', '');
  if (d.findings.length === 0) out.push('None in this period.');
  else {
    out.push(row(['host', 'finding', 'severity', 'first seen', 'resolved', 'open for']), '|---|---|---|---|---|---|');
    for (const f of d.findings) out.push(row([f.host, `${f.kind}${f.subject ? ` (${f.subject})` : ''}`, f.severity, f.firstSeen, f.resolved ?? 'open', duration(f.openSeconds)]));
  }
  return out.join('\n') + '\n';
}

export function renderComparison(c: Comparison): string {
  const out = [`compared with audit ${c.against.auditId} (${c.against.at}):`];
  const f = (x: { host: string; kind: string; subject: string; severity: string }): string => `${x.host}  ${x.kind}${x.subject ? ` (${x.subject})` : ''}  ${x.severity}`;
  out.push(`  new findings: ${c.newFindings.length}`, ...c.newFindings.map((x) => `    + ${f(x)}`));
  out.push(`  resolved findings: ${c.resolvedFindings.length}`, ...c.resolvedFindings.map((x) => `    - ${f(x)}`));
  for (const x of c.severityChanged) out.push(`    ~ ${f(x)} (was ${x.before})`);
  const move = (m: Move, fmt: (v: number) => string): string => `    ${m.host}  ${fmt(m.before)} -> ${fmt(m.after)}`;
  if (c.rateMoves.length > 0) out.push('  rate/h moved most:', ...c.rateMoves.map((m) => move(m, n)));
  if (c.deferralMoves.length > 0) out.push('  deferral rate moved most:', ...c.deferralMoves.map((m) => move(m, pct)));
  if (c.hostsAdded.length > 0) out.push(`  hosts new since: ${c.hostsAdded.join(', ')}`);
  if (c.hostsGone.length > 0) out.push(`  hosts not in this audit: ${c.hostsGone.join(', ')}`);
  return out.map(safeLine).join('\n') + '\n';
}

function table(headers: string[], rows: string[][], right: Set<number>): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)];
}
