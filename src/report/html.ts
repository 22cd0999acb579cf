/**
 * One self-contained HTML file: no external assets, no scripts. A fleet overview with one
 * tile per host coloured by its worst finding, then per host its findings (evidence, remedy,
 * command line), an inline SVG chart of delivered messages per hour over 24 h and per-IP
 * deferral bars. Every string from the report is escaped; a Content-Security-Policy that
 * forbids scripts is a second line of defence.
 */
import { pageHead } from './html-page.js';
import { isProblem } from '../audit/summary.js';
import type { AuditHost, AuditReport, Finding } from '../audit/types.js';
import { remedyCommand } from './remedy.js';
import { summaryLine } from './summary-line.js';
import { hourlyChart, ipDeferralChart, MAX_IP_BARS } from './svg.js';
import { escapeHtml as esc, formatCount } from './text.js';
import { hostView, severityLabel, type HostState } from './view.js';

export interface HtmlOptions {
  inventoryFile?: string;
  /** Shown in the header; the caller passes it so the renderer stays pure. */
  generatedAt?: string;
}

const STATE_LABEL: Record<HostState, string> = {
  ok: 'healthy',
  warn: 'warning',
  critical: 'critical',
  failed: 'probe failed',
  unreachable: 'unreachable',
};

export function renderHtml(report: AuditReport, options: HtmlOptions = {}): string {
  const title = 'mtafleet audit';
  return [
    ...pageHead(title, CSS),
    '<body>',
    '<header>',
    `<h1>${esc(title)}</h1>`,
    `<p class="summary">${esc(summaryLine(report))}${options.generatedAt ? ` &middot; ${esc(options.generatedAt)}` : ''}</p>`,
    '</header>',
    overview(report),
    ...report.hosts.map((h, i) => hostSection(h, i, options)),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function overview(report: AuditReport): string {
  const tiles = report.hosts.map((host, i) => {
    const v = hostView(host);
    const top = v.top && isProblem(v.top) ? `${v.top.kind} (${severityLabel(v.top)})` : STATE_LABEL[v.state];
    return `<a class="tile state-${v.state}" href="#host-${i}"><span class="name">${esc(host.name)}</span><span class="top">${esc(top)}</span></a>`;
  });
  const kinds = Object.entries(report.summary.byKind).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const byKind = kinds.length === 0
    ? '<p>No bottleneck found on any reachable host.</p>'
    : `<table class="by-kind"><thead><tr><th>finding</th><th>hosts</th></tr></thead><tbody>${kinds
        .map(([k, n]) => `<tr><td>${esc(k)}</td><td>${n}</td></tr>`)
        .join('')}</tbody></table>`;
  return `<section class="overview"><h2>Fleet</h2><div class="tiles">${tiles.join('')}</div>${byKind}</section>`;
}

function hostSection(host: AuditHost, index: number, options: HtmlOptions): string {
  const v = hostView(host);
  const parts: string[] = [
    `<section class="host state-${v.state}" id="host-${index}">`,
    `<h2>${esc(host.name)} <span class="badge state-${v.state}">${esc(STATE_LABEL[v.state])}</span></h2>`,
  ];
  if (host.error !== null) {
    parts.push(`<p class="error"><strong>${host.reachable ? 'Probe failed' : 'Unreachable'}:</strong> ${esc(host.error)}</p>`);
  }
  if (host.reachable) {
    parts.push(`<p class="figures">delivered last hour: <strong>${formatCount(v.rate)}</strong> &middot; queue (recipients): <strong>${formatCount(v.queue)}</strong></p>`);
  }
  const problems = host.findings.filter(isProblem);
  if (host.error === null && problems.length === 0) parts.push('<p class="ok">No bottleneck found.</p>');
  parts.push(...problems.map((f) => findingBlock(f, host.name, options)));
  const notes = host.findings.filter((f) => !isProblem(f));
  if (notes.length > 0) {
    parts.push(`<ul class="notes">${notes.map((f) => `<li>${esc(f.title || f.kind)}: ${esc(f.evidence.join('; '))}</li>`).join('')}</ul>`);
  }
  if (v.hourly.length > 0) {
    parts.push('<h3>Delivered per hour (last 24 h of the accounting window)</h3>', `<figure>${hourlyChart(v.hourly)}</figure>`);
  } else if (host.reachable && host.error === null) {
    parts.push('<p class="muted">No accounting data for the hourly chart.</p>');
  }
  if (!v.deferralsKnown) {
    parts.push('<p class="muted">The accounting file has no <code>t</code> (deferral) records: deferral rates per IP are unknown, not 0 %.</p>');
  } else if (v.ipDeferrals.length > 0) {
    const more = v.ipDeferrals.length > MAX_IP_BARS ? ` (worst ${MAX_IP_BARS} of ${v.ipDeferrals.length})` : '';
    parts.push(`<h3>Deferral rate per source IP${more}</h3>`, `<figure>${ipDeferralChart(v.ipDeferrals)}</figure>`);
  }
  const unavailable = Object.entries(host.unavailable);
  if (unavailable.length > 0) {
    parts.push(`<details><summary>Probes unavailable (${unavailable.length})</summary><ul>${unavailable
      .map(([p, why]) => `<li><code>${esc(p)}</code>: ${esc(why)}</li>`)
      .join('')}</ul></details>`);
  }
  if (host.warnings.length > 0) {
    parts.push(`<details><summary>Probe warnings (${host.warnings.length})</summary><ul>${host.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul></details>`);
  }
  parts.push('</section>');
  return parts.join('\n');
}

function findingBlock(finding: Finding, host: string, options: HtmlOptions): string {
  const command = remedyCommand(finding, host, options.inventoryFile);
  const evidence = finding.evidence.length > 0 ? `<ul class="evidence">${finding.evidence.map((e) => `<li>${esc(e)}</li>`).join('')}</ul>` : '';
  const remedy = command
    ? `<p class="remedy">Remedy: <code>${esc(finding.remedy!)}</code></p><pre><code>${esc(command)}</code></pre>`
    : finding.remedy
      ? `<p class="remedy">Remedy: ${esc(finding.remedy)}</p>`
      : '';
  return `<div class="finding sev-${esc(finding.severity)}"><h3>${esc(finding.kind)} <span class="badge sev-${esc(finding.severity)}">${esc(finding.severity)}</span>${finding.title ? ` &mdash; ${esc(finding.title)}` : ''}</h3>${evidence}${remedy}</div>`;
}

const CSS = `
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1rem 1.5rem;color:#222;background:#fafafa}
h1{margin:.2rem 0}h2{margin:.2rem 0 .6rem}h3{margin:.8rem 0 .4rem;font-size:1rem}
.summary{color:#555}.muted{color:#777}.ok{color:#2b7a46}
.tiles{display:flex;flex-wrap:wrap;gap:.5rem;margin:.5rem 0 1rem}
.tile{display:flex;flex-direction:column;min-width:9rem;padding:.5rem .7rem;border-radius:6px;text-decoration:none;color:#111;border:1px solid rgba(0,0,0,.12)}
.tile .name{font-weight:600}.tile .top{font-size:.85rem}
.state-ok{background:#dff3e4}.state-warn{background:#fff1cc}.state-critical{background:#fbd5d5}
.state-failed{background:#ead9f5}.state-unreachable{background:#e2e2e2}
section.host{background:#fff;border:1px solid #ddd;border-left-width:8px;border-radius:6px;padding:.8rem 1rem;margin:1rem 0}
section.host.state-ok{border-left-color:#3a9d5d}section.host.state-warn{border-left-color:#e0a020}
section.host.state-critical{border-left-color:#d64545}section.host.state-failed{border-left-color:#8e44ad}
section.host.state-unreachable{border-left-color:#888}
section.host{background:#fff}
.badge{font-size:.75rem;font-weight:600;padding:.1rem .45rem;border-radius:4px;vertical-align:middle}
.sev-critical{background:#fbd5d5}.sev-warn{background:#fff1cc}.sev-info{background:#e3ecfa}
.finding{border-top:1px solid #eee;padding-top:.3rem}
.error{color:#8a1f1f}
pre{background:#f3f3f3;padding:.5rem .7rem;border-radius:4px;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
figure{margin:.3rem 0}svg.chart{max-width:100%;height:auto;background:#fff}
table.by-kind{border-collapse:collapse}table.by-kind td,table.by-kind th{border:1px solid #ddd;padding:.2rem .6rem;text-align:left}
`;
