/**
 * Inline SVG trend charts for `history --format html` (pure string building, in the style of
 * the audit report's charts, src/report/svg.ts): per host, delivery rate and queue over the
 * period with each finding episode marked as a shaded span; for the fleet, the summed rate over
 * time with findings opened and resolved marked below it. Every label that came from a host or
 * the store is escaped; a figure that is not a finite number is left out, never drawn as 0.
 */
import { niceMax } from '../report/svg.js';
import { escapeHtml as esc, formatCount } from '../report/text.js';
import type { FindingEpisode } from './trends.js';

const FONT = 'font-family="system-ui, sans-serif" font-size="11" fill="#444"';
const W = 680;
const LEFT = 64;
const RIGHT = 64;
const PLOT_W = W - LEFT - RIGHT;

export interface TrendPoint {
  at: string;
  rate: number | null;
  queue: number | null;
}

interface Frame {
  t0: number;
  t1: number;
  top: number;
  plotH: number;
}

const finite = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);
const ms = (iso: string): number => Date.parse(iso);

function xOf(f: Frame, t: number): number {
  const span = Math.max(1, f.t1 - f.t0);
  return LEFT + (Math.min(Math.max(t, f.t0), f.t1) - f.t0) / span * PLOT_W;
}

/** A polyline per run of measured points (a point not measured breaks the line). */
function lines(f: Frame, points: readonly TrendPoint[], value: (p: TrendPoint) => number | null, max: number, cls: string, attrs: string): string[] {
  const out: string[] = [];
  let run: string[] = [];
  const flush = (): void => {
    if (run.length > 1) out.push(`<polyline class="${cls}" points="${run.join(' ')}" fill="none" ${attrs}/>`);
    if (run.length === 1) out.push(`<circle class="${cls}" cx="${run[0]!.split(',')[0]}" cy="${run[0]!.split(',')[1]}" r="2" ${attrs}/>`);
    run = [];
  };
  for (const p of points) {
    const v = value(p);
    const t = ms(p.at);
    if (!finite(v) || !Number.isFinite(t)) {
      flush();
      continue;
    }
    const y = f.top + f.plotH - (Math.max(0, v) / max) * f.plotH;
    run.push(`${xOf(f, t).toFixed(1)},${y.toFixed(1)}`);
  }
  flush();
  return out;
}

function timeAxis(f: Frame): string[] {
  const y = f.top + f.plotH;
  const out = [`<line x1="${LEFT}" y1="${y}" x2="${W - RIGHT}" y2="${y}" stroke="#888"/>`];
  for (const frac of [0, 0.5, 1]) {
    const t = new Date(f.t0 + (f.t1 - f.t0) * frac).toISOString().slice(0, 16).replace('T', ' ');
    out.push(`<text x="${(LEFT + frac * PLOT_W).toFixed(1)}" y="${y + 14}" text-anchor="${frac === 0 ? 'start' : frac === 1 ? 'end' : 'middle'}" ${FONT}>${esc(t)}</text>`);
  }
  return out;
}

function grid(f: Frame, max: number, side: 'left' | 'right'): string[] {
  return [0, 0.5, 1].map((frac) => {
    const y = (f.top + f.plotH - frac * f.plotH).toFixed(1);
    const label = `<text x="${side === 'left' ? LEFT - 6 : W - RIGHT + 6}" y="${y}" text-anchor="${side === 'left' ? 'end' : 'start'}" dominant-baseline="middle" ${FONT}>${formatCount(max * frac)}</text>`;
    return (side === 'left' ? `<line x1="${LEFT}" y1="${y}" x2="${W - RIGHT}" y2="${y}" stroke="#e3e3e3"/>` : '') + label;
  });
}

/** The span of a finding episode over the plot: shaded by severity, its text in a tooltip. */
function spanRect(f: Frame, e: FindingEpisode): string {
  const start = ms(e.firstSeen);
  const end = e.resolved === null ? f.t1 : ms(e.resolved);
  if (!Number.isFinite(start) || !Number.isFinite(end) || end < f.t0 || start > f.t1) return '';
  const x1 = xOf(f, start);
  const x2 = Math.max(x1 + 2, xOf(f, end));
  const colour = e.severity === 'critical' ? '#d64545' : '#e0a020';
  const what = `${e.kind}${e.subject ? ` (${e.subject})` : ''} ${e.severity}: ${e.title}; first seen ${e.firstSeen}, ${e.resolved === null ? 'still open' : `resolved ${e.resolved}`}`;
  return `<rect class="finding-span sev-${e.severity === 'critical' ? 'critical' : 'warn'}" x="${x1.toFixed(1)}" y="${f.top}" width="${(x2 - x1).toFixed(1)}" height="${f.plotH}" fill="${colour}" fill-opacity="0.14"><title>${esc(what)}</title></rect>`;
}

/** One host's delivery rate (left axis) and queue (right axis) over [since, until], finding episodes shaded. */
export function hostTrendChart(host: string, points: readonly TrendPoint[], episodes: readonly FindingEpisode[], since: string, until: string): string {
  const height = 220;
  const f: Frame = { t0: ms(since), t1: ms(until), top: 14, plotH: height - 14 - 40 };
  const rateMax = niceMax(Math.max(0, ...points.map((p) => p.rate).filter(finite)));
  const queueMax = niceMax(Math.max(0, ...points.map((p) => p.queue).filter(finite)));
  return [
    `<svg class="chart trend-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${height}" width="${W}" height="${height}" role="img" aria-label="${esc(`${host}: delivery rate and queue over time`)}">`,
    ...episodes.map((e) => spanRect(f, e)).filter(Boolean),
    ...grid(f, rateMax, 'left'),
    ...grid(f, queueMax, 'right'),
    ...lines(f, points, (p) => p.queue, queueMax, 'queue-line', 'stroke="#8a8a8a" stroke-width="1.5" stroke-dasharray="4 3"'),
    ...lines(f, points, (p) => p.rate, rateMax, 'rate-line', 'stroke="#3b7dd8" stroke-width="2"'),
    ...timeAxis(f),
    `<text transform="translate(12 ${f.top + f.plotH / 2}) rotate(-90)" text-anchor="middle" ${FONT}>delivered / hour</text>`,
    `<text transform="translate(${W - 8} ${f.top + f.plotH / 2}) rotate(90)" text-anchor="middle" ${FONT}>queue (dashed)</text>`,
    '</svg>',
  ].join('');
}

/** The fleet's summed rate over time; below it, a mark where each finding episode opened (red) or resolved (green). */
export function fleetTimeline(points: readonly TrendPoint[], episodes: readonly FindingEpisode[], since: string, until: string): string {
  const height = 250;
  const f: Frame = { t0: ms(since), t1: ms(until), top: 14, plotH: 150 };
  const rateMax = niceMax(Math.max(0, ...points.map((p) => p.rate).filter(finite)));
  const bandY = f.top + f.plotH + 30;
  const marks: string[] = [];
  for (const e of episodes) {
    const label = `${e.host}: ${e.kind}${e.subject ? ` (${e.subject})` : ''} ${e.severity}`;
    const opened = ms(e.firstSeen);
    if (Number.isFinite(opened) && opened >= f.t0 && opened <= f.t1) {
      marks.push(`<circle class="opened" cx="${xOf(f, opened).toFixed(1)}" cy="${bandY}" r="4" fill="#d64545"><title>${esc(`opened ${e.firstSeen}: ${label}`)}</title></circle>`);
    }
    const resolved = e.resolved === null ? NaN : ms(e.resolved);
    if (Number.isFinite(resolved) && resolved >= f.t0 && resolved <= f.t1) {
      marks.push(`<circle class="resolved" cx="${xOf(f, resolved).toFixed(1)}" cy="${bandY + 14}" r="4" fill="#3a9d5d"><title>${esc(`resolved ${e.resolved}: ${label}`)}</title></circle>`);
    }
  }
  return [
    `<svg class="chart fleet-timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${height}" width="${W}" height="${height}" role="img" aria-label="Fleet delivery rate over time, findings opened and resolved">`,
    ...grid(f, rateMax, 'left'),
    ...lines(f, points, (p) => p.rate, rateMax, 'rate-line', 'stroke="#3b7dd8" stroke-width="2"'),
    ...timeAxis(f),
    `<text transform="translate(12 ${f.top + f.plotH / 2}) rotate(-90)" text-anchor="middle" ${FONT}>delivered / hour</text>`,
    `<text x="${LEFT - 6}" y="${bandY}" text-anchor="end" dominant-baseline="middle" ${FONT}>opened</text>`,
    `<text x="${LEFT - 6}" y="${bandY + 14}" text-anchor="end" dominant-baseline="middle" ${FONT}>resolved</text>`,
    ...marks,
    '</svg>',
  ].join('');
}
