/**
 * The one output sanitiser for text that came from hosts (files, command output, lock owner
 * files, errors, run records). Printed raw, ESC/CSI/OSC sequences would let a host clear the
 * operator's screen, retitle the window or overwrite a status line (CR), and bidi overrides
 * would show text in another order than it is. Every printer passes host text through here.
 *
 * Such characters are not dropped but shown as visible escapes, so the operator still sees
 * that something odd is there: `\n` `\r` `\t` by name, other C0/DEL/C1 as `\xHH`, bidi and
 * line-separator characters as `\uHHHH`. Backslashes are left alone (config files and regexes
 * are full of them); a literal `\x1b` in host text therefore reads like an escaped ESC, which
 * is harmless: the point is that no control character reaches the terminal.
 */

/** C0 but tab and newline, DEL, C1; bidi marks, embeddings, overrides, isolates; U+2028/2029. */
const HOSTILE = '\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069';
const IN_TEXT = new RegExp(`[${HOSTILE}]`, 'g');
const IN_LINE = new RegExp(`[\\n${HOSTILE}]`, 'g');
/** What JSON.stringify leaves raw although a terminal acts on it. */
const IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function visible(c: string): string {
  const code = c.charCodeAt(0);
  return NAMED[c] ?? (code <= 0xff ? `\\x${hex(code, 2)}` : `\\u${hex(code, 4)}`);
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** Multi-line host text (a diff, command output): newlines and tabs kept, the rest visible. */
export function safeText(s: string): string {
  return s.replace(IN_TEXT, visible);
}

/** One line of output: a host's newline shows as `\n`, so it cannot fake a line of ours. */
export function safeLine(s: string): string {
  return s.replace(IN_LINE, visible);
}

/**
 * JSON for stdout: JSON.stringify escapes C0 but leaves DEL, C1 and bidi characters raw.
 * Written as \uHHHH they parse back to the same string, so no data is lost.
 */
export function safeJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(IN_JSON, (c) => `\\u${hex(c.charCodeAt(0), 4)}`);
}
