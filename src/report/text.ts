/**
 * Text hygiene for strings that came from hosts (dsnDiag, log lines, errors): they may hold
 * terminal escape sequences, newlines, HTML or Markdown. Each output format escapes its own.
 */

/** One line, no control characters (ESC would let a host drive the operator's terminal). */
export function oneLine(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').replace(/\s+/g, ' ').trim();
}

export function truncate(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
}

/**
 * For HTML text and attribute values alike. Control characters other than tab and newline
 * are dropped: they have no meaning in a page and some are not allowed in XML (inline SVG).
 */
export function escapeHtml(s: string): string {
  return s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g, '').replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]!);
}
const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Markdown inline text (always written after a prefix: a list dash, a table pipe, a heading):
 * backslash-escape the inline punctuation CommonMark and GFM give meaning to (emphasis, code,
 * links, table pipes, strikethrough), and write < > & as entities so no renderer takes host
 * output for HTML. One line, so a host cannot start a block of its own.
 */
export function escapeMarkdown(s: string): string {
  return oneLine(s)
    .replace(/[\\`*[\]|~]/g, (c) => `\\${c}`)
    // "_" inside a word (ip_local_port_range) is never emphasis in CommonMark: leave it readable.
    .replace(/_(?![A-Za-z0-9])|(?<![A-Za-z0-9])_/g, '\\_')
    .replace(/[&<>]/g, (c) => HTML_ENTITIES[c]!);
}

/** A fenced code block whose fence is longer than any backtick run inside it. */
export function codeBlock(text: string, lang = ''): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${lang}\n${text}\n${fence}`;
}

export function formatCount(n: number | null): string {
  if (n === null) return '-';
  return Math.round(n).toLocaleString('en-US');
}

export function formatPercent(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}
