/**
 * Text hygiene for strings that came from hosts (dsnDiag, log lines, errors): they may hold
 * terminal escape sequences, newlines, HTML or Markdown. Control characters are made visible
 * by the one sanitiser (src/util/sanitize.ts); each output format then escapes its own syntax.
 */
import { safeText } from '../util/sanitize.js';

export { codeBlock, escapeMarkdown } from '../util/markdown.js';

export function truncate(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
}

/**
 * For HTML text and attribute values alike. Control characters other than tab and newline
 * show as visible escapes: they have no meaning in a page, some are not allowed in XML
 * (inline SVG), and bidi overrides would show host text in another order than it is.
 */
export function escapeHtml(s: string): string {
  return safeText(s).replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]!);
}
const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function formatCount(n: number | null): string {
  if (n === null) return '-';
  return Math.round(n).toLocaleString('en-US');
}

export function formatPercent(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}
