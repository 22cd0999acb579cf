/**
 * Markdown for tickets and change records (audit reports, plans): host text must stay text in
 * any renderer (GitHub included). Inline text is escaped; code blocks get a fence no line of
 * the content can close. One place for both, used by every Markdown rendering.
 */
import { safeLine, safeText } from './sanitize.js';

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/**
 * Markdown inline text (always written after a prefix: a list dash, a table pipe, a heading):
 * backslash-escape the inline punctuation CommonMark and GFM give meaning to (emphasis, code,
 * links, table pipes, strikethrough), and write < > & as entities so no renderer takes host
 * output for HTML (tags, `<!--` comments). One line, so a host cannot start a block of its own.
 */
export function escapeMarkdown(s: string): string {
  return safeLine(s)
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[\\`*[\]|~]/g, (c) => `\\${c}`)
    // "_" inside a word (ip_local_port_range) is never emphasis in CommonMark: leave it readable.
    .replace(/_(?![A-Za-z0-9])|(?<![A-Za-z0-9])_/g, '\\_')
    .replace(/[&<>]/g, (c) => HTML_ENTITIES[c]!);
}

/**
 * A fenced code block whose fence is longer than any backtick run inside it, so no content
 * line closes it (CommonMark: a closing fence is at least as long as the opening one).
 */
export function codeBlock(text: string, lang = ''): string {
  const body = safeText(text);
  const longest = Math.max(0, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${lang}\n${body}\n${fence}`;
}
