/**
 * Inline SVG charts for the HTML report: delivered messages per hour (24 vertical bars)
 * and deferral rate per source IP (horizontal bars). Pure string building; every label
 * that came from a host is escaped.
 */
import { escapeHtml as esc, formatCount, formatPercent, truncate } from './text.js';
import type { HourSlot, IpDeferral } from './view.js';

const FONT = 'font-family="system-ui, sans-serif" font-size="11" fill="#444"';

/** The bar chart of delivered messages per hour; one <rect> per hour and no other rect. */
export function hourlyChart(slots: readonly HourSlot[]): string {
  const width = 680;
  const height = 220;
  const left = 64;
  const right = 12;
  const top = 14;
  const bottom = 44;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const max = niceMax(Math.max(0, ...slots.map((s) => s.delivered)));
  const step = plotW / Math.max(1, slots.length);
  const barW = Math.max(1, step * 0.75);
  const y = (v: number): number => top + plotH - (v / max) * plotH;

  const grid = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const value = max * f;
    const gy = y(value).toFixed(1);
    return `<line x1="${left}" y1="${gy}" x2="${width - right}" y2="${gy}" stroke="#e3e3e3"/>`
      + `<text x="${left - 6}" y="${gy}" text-anchor="end" dominant-baseline="middle" ${FONT}>${formatCount(value)}</text>`;
  });
  const bars = slots.map((s, i) => {
    const x = (left + i * step + (step - barW) / 2).toFixed(1);
    const by = y(s.delivered);
    const h = (top + plotH - by).toFixed(1);
    const label = `${s.hour || 'unknown hour'}: ${formatCount(s.delivered)} delivered`;
    return `<rect class="bar" x="${x}" y="${by.toFixed(1)}" width="${barW.toFixed(1)}" height="${h}" fill="#3b7dd8"><title>${esc(label)}</title></rect>`;
  });
  const ticks = slots.map((s, i) => {
    if (i % 3 !== 0 && i !== slots.length - 1) return '';
    const x = (left + i * step + step / 2).toFixed(1);
    const hh = s.hour.length >= 2 ? s.hour.slice(-2) : '';
    return `<text x="${x}" y="${top + plotH + 14}" text-anchor="middle" ${FONT}>${esc(hh)}</text>`;
  });
  const first = slots[0]?.hour ?? '';
  const last = slots[slots.length - 1]?.hour ?? '';
  return [
    `<svg class="chart hourly-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(`Delivered messages per hour, ${first} to ${last}`)}">`,
    ...grid,
    ...bars,
    `<line x1="${left}" y1="${top + plotH}" x2="${width - right}" y2="${top + plotH}" stroke="#888"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" stroke="#888"/>`,
    ...ticks.filter(Boolean),
    `<text x="${left + plotW / 2}" y="${height - 6}" text-anchor="middle" ${FONT}>${esc(`hour as logged (${first} – ${last})`)}</text>`,
    `<text transform="translate(14 ${top + plotH / 2}) rotate(-90)" text-anchor="middle" ${FONT}>delivered / hour</text>`,
    '</svg>',
  ].join('');
}

export const MAX_IP_BARS = 24;

/** Deferral rate per source IP, worst first; bars coloured by DESIGN.md's 5 % / 15 % lines. */
export function ipDeferralChart(rows: readonly IpDeferral[]): string {
  const shown = rows.slice(0, MAX_IP_BARS);
  const rowH = 20;
  const left = 150;
  const right = 210;
  const top = 8;
  const plotW = 380;
  const width = left + plotW + right;
  const height = top + shown.length * rowH + 30;
  const scale = Math.max(0.2, Math.ceil(Math.max(0, ...shown.map((r) => r.rate)) * 10) / 10);
  const bars = shown.map((r, i) => {
    const y = top + i * rowH;
    const w = Math.max(0, (r.rate / scale) * plotW).toFixed(1);
    const colour = r.rate > 0.15 ? '#d64545' : r.rate > 0.05 ? '#e0a020' : '#3a9d5d';
    const detail = `${formatPercent(r.rate)} deferred (${formatCount(r.deferred)} of ${formatCount(r.total)})`;
    // Source IPs are short; anything longer came from a malformed log and is cut to fit.
    return `<text x="${left - 8}" y="${y + rowH / 2}" text-anchor="end" dominant-baseline="middle" ${FONT}>${esc(truncate(r.ip, 22))}</text>`
      + `<rect class="bar" x="${left}" y="${y + 3}" width="${w}" height="${rowH - 6}" fill="${colour}"><title>${esc(`${r.ip}: ${detail}`)}</title></rect>`
      + `<text x="${left + Number(w) + 6}" y="${y + rowH / 2}" dominant-baseline="middle" ${FONT}>${esc(detail)}</text>`;
  });
  const axisY = top + shown.length * rowH;
  const ticks = [0, 0.5, 1].map((f) => {
    const x = (left + f * plotW).toFixed(1);
    return `<line x1="${x}" y1="${top}" x2="${x}" y2="${axisY}" stroke="#e3e3e3"/>`
      + `<text x="${x}" y="${axisY + 14}" text-anchor="middle" ${FONT}>${formatPercent(scale * f)}</text>`;
  });
  return [
    `<svg class="chart ip-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="Deferral rate per source IP">`,
    ...ticks,
    ...bars,
    `<text x="${left + plotW / 2}" y="${height - 4}" text-anchor="middle" ${FONT}>deferral rate (deferred / all records) per source IP</text>`,
    '</svg>',
  ].join('');
}

/** A round axis maximum at or above `value` (1, 2, 2.5, 5 × 10^n). */
export function niceMax(value: number): number {
  if (value <= 0) return 1;
  const exp = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * exp >= value) return m * exp;
  return 10 * exp;
}
