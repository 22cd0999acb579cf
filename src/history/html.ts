/**
 * `history --format html`: one self-contained page (no scripts, no external assets; a
 * Content-Security-Policy that forbids scripts as a second line of defence) with the fleet
 * timeline, then per host a trend chart (delivery rate and queue over time, finding episodes
 * shaded) and its episodes. Drawn from historyData()/trendSeries(). Host names, finding kinds,
 * subjects and titles came from hosts: every one is escaped.
 */
import { pageHead } from '../report/html-page.js';
import { escapeHtml as esc, formatCount } from '../report/text.js';
import { duration } from './render.js';
import { fleetTimeline, hostTrendChart } from './trend-svg.js';
import { HOST_POINTS_MAX, trendSeries, type FindingEpisode, type HistoryData } from './trends.js';

const pct = (x: number | null | undefined): string => (typeof x === 'number' && Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : '-');

export function renderHistoryHtml(data: HistoryData): string {
  const title = 'mtafleet history';
  const period = `${data.since} – ${data.until}${data.limit !== null ? ` · hosts ${data.limit}` : ''} · ${data.store}`;
  return [
    ...pageHead(title, CSS),
    '<body>',
    `<header><h1>${esc(title)}</h1><p class="summary">${esc(period)}</p></header>`,
    fleetSection(data),
    ...data.hosts.map((h, i) => hostSection(data, h.name, i)),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function fleetSection(data: HistoryData): string {
  const opened = data.findings.filter((f) => Date.parse(f.firstSeen) >= Date.parse(data.since)).length;
  const resolved = data.findings.filter((f) => f.resolved !== null).length;
  const open = data.findings.filter((f) => f.resolved === null).length;
  const last = data.fleet[data.fleet.length - 1];
  const parts = [
    '<section class="fleet" id="fleet">',
    '<h2>Fleet</h2>',
    `<p class="figures">${data.fleet.length} audit(s) · findings opened in the period: <strong>${opened}</strong> · resolved: <strong>${resolved}</strong> · still open: <strong>${open}</strong>${
      last ? ` · latest: ${formatCount(last.rate)} delivered/hour, queue ${formatCount(last.queue)}, median deferral ${pct(last.deferralRate)}` : ''
    }</p>`,
  ];
  parts.push(data.fleet.length > 0 ? `<figure>${fleetTimeline(trendSeries(data), data.findings, data.since, data.until)}</figure>` : '<p class="muted">No audit in the period.</p>');
  if (data.pointsOmitted) {
    parts.push(`<p class="muted">More than ${HOST_POINTS_MAX} hosts selected: per-host charts are left out (narrow the selection with --limit).</p>`);
  }
  parts.push('</section>');
  return parts.join('\n');
}

function hostSection(data: HistoryData, name: string, index: number): string {
  const h = data.hosts[index]!;
  const episodes = data.findings.filter((f) => f.host === name);
  const state = h.latest === null ? 'unknown' : !h.latest.reachable ? 'unreachable' : h.latest.worst ?? 'ok';
  const parts = [
    `<section class="host state-${state}" id="host-${index}">`,
    `<h2>${esc(name)} <span class="badge state-${state}">${esc(state)}</span></h2>`,
  ];
  if (h.latest) {
    parts.push(`<p class="figures">latest ${esc(h.latest.at)}: <strong>${formatCount(h.latest.rate)}</strong> delivered/hour · queue <strong>${formatCount(h.latest.queue)}</strong> · deferral ${pct(h.latest.deferralRate)}</p>`);
  }
  if (h.points !== undefined) {
    parts.push(h.points.length > 0 ? `<figure>${hostTrendChart(name, trendSeries(data, name), episodes, data.since, data.until)}</figure>` : '<p class="muted">No audit of this host in the period.</p>');
  }
  if (episodes.length > 0) parts.push(episodeTable(episodes));
  parts.push('</section>');
  return parts.join('\n');
}

function episodeTable(episodes: readonly FindingEpisode[]): string {
  const rows = episodes.map(
    (e) =>
      `<tr class="sev-${e.severity === 'critical' ? 'critical' : 'warn'}"><td>${esc(e.kind)}</td><td>${esc(e.subject)}</td><td>${esc(e.severity)}</td><td>${esc(e.title)}</td><td>${esc(e.firstSeen)}</td><td>${e.resolved === null ? 'open' : esc(e.resolved)}</td><td>${esc(duration(e.openSeconds))}</td></tr>`,
  );
  return `<table class="episodes"><thead><tr><th>finding</th><th>about</th><th>severity</th><th>title</th><th>first seen</th><th>resolved</th><th>open for</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

const CSS = `
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1rem 1.5rem;color:#222;background:#fafafa}
h1{margin:.2rem 0}h2{margin:.2rem 0 .6rem}
.summary{color:#555}.muted{color:#777}
section{background:#fff;border:1px solid #ddd;border-left-width:8px;border-radius:6px;padding:.8rem 1rem;margin:1rem 0}
section.state-ok{border-left-color:#3a9d5d}section.state-warn{border-left-color:#e0a020}
section.state-critical{border-left-color:#d64545}section.state-unreachable,section.state-unknown{border-left-color:#888}
.badge{font-size:.75rem;font-weight:600;padding:.1rem .45rem;border-radius:4px;vertical-align:middle;background:#eee}
.badge.state-ok{background:#dff3e4}.badge.state-warn{background:#fff1cc}.badge.state-critical{background:#fbd5d5}
figure{margin:.3rem 0}svg.chart{max-width:100%;height:auto;background:#fff}
table.episodes{border-collapse:collapse;font-size:.9rem}table.episodes td,table.episodes th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left}
tr.sev-critical td:nth-child(3){background:#fbd5d5}tr.sev-warn td:nth-child(3){background:#fff1cc}
`;
