import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { safeJson, safeLine, safeText } from '../../../src/util/sanitize.js';
import { codeBlock, escapeMarkdown } from '../../../src/util/markdown.js';
import { markdownBlocks } from './markdown-check.js';

/** What a terminal acts on: C0 but tab/newline, DEL, C1, bidi controls, line separators. */
const ACTIVE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe('safeText / safeLine', () => {
  it('shows control characters as visible escapes, one notation for all', () => {
    expect(safeText('a\x1b[2Jb\x1b]0;t\x07c\rd\u009b1m\u202ee\u2066f\x7f\x00g\th\ni')).toBe(
      'a\\x1b[2Jb\\x1b]0;t\\x07c\\rd\\x9b1m\\u202ee\\u2066f\\x7f\\x00g\th\ni',
    );
    expect(safeLine('one\ntwo\r\tthree\u2028')).toBe('one\\ntwo\\r\tthree\\u2028');
  });

  it('leaves ordinary text alone (accents, CJK, emoji, backslashes)', () => {
    const plain = 'Überweisung 送信 ✉️ C:\\spool\\pmta ^\\d+$ <b>';
    expect(safeText(plain)).toBe(plain);
    expect(safeLine(plain)).toBe(plain);
  });

  it('never lets an active character through, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(safeText(s)).not.toMatch(ACTIVE);
        expect(safeLine(s)).not.toMatch(ACTIVE);
        expect(safeLine(s)).not.toContain('\n');
        // Idempotent: sanitising twice changes nothing (printers may nest).
        expect(safeText(safeText(s))).toBe(safeText(s));
      }),
      { numRuns: 500 },
    );
  });
});

describe('safeJson', () => {
  it('escapes what JSON.stringify leaves raw, and parses back to the same value', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' })), (v) => {
        const text = safeJson(v, 2);
        expect(text).not.toMatch(ACTIVE);
        expect(JSON.parse(text)).toEqual(v);
      }),
      { numRuns: 300 },
    );
    expect(safeJson({ e: '\u009b\u202e' })).toBe('{"e":"\\u009b\\u202e"}');
  });
});

describe('codeBlock', () => {
  it('picks a fence no content line can close, and keeps the content inside it', () => {
    const hostile = '```\n<!--\n````\n~~~\n  ```` \nend';
    const block = codeBlock(hostile, 'diff');
    const doc = `before\n\n${block}\n\nRollback: visible\n`;
    const parsed = markdownBlocks(doc);
    expect(parsed.unclosed).toBe(false);
    expect(parsed.fences).toEqual([hostile.split('\n')]);
    expect(parsed.prose).toContain('Rollback: visible');
    expect(block.startsWith('`````diff\n')).toBe(true);
  });

  it('holds for any content (fuzzed with backtick and tilde runs)', () => {
    const piece = fc.constantFrom('`', '``', '```', '````', '~~~', '\n', ' ', '<!--', 'x', '\r', '\u001b');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }).map((a) => a.join('')), (content) => {
        const parsed = markdownBlocks(`${codeBlock(content)}\nafter\n`);
        expect(parsed.unclosed).toBe(false);
        expect(parsed.fences).toHaveLength(1);
        expect(parsed.prose).toContain('after');
        expect(parsed.fences[0]!.join('\n')).toBe(safeText(content));
      }),
      { numRuns: 500 },
    );
  });

  it('shows control characters in the block visibly', () => {
    expect(codeBlock("run -e 'v=\u001b[2J'", 'sh')).toBe("```sh\nrun -e 'v=\\x1b[2J'\n```");
  });
});

describe('escapeMarkdown', () => {
  it('keeps host text inline: no comment, tag, link, table cell or heading of its own', () => {
    expect(escapeMarkdown('<!-- hide')).toBe('&lt;!-- hide');
    expect(escapeMarkdown('a | b')).toBe('a \\| b');
    expect(escapeMarkdown('![i](http://x) [l](y)')).toBe('!\\[i\\](http://x) \\[l\\](y)');
    expect(escapeMarkdown('x\n# heading\n```')).toBe('x\\\\n# heading\\\\n\\`\\`\\`');
    expect(escapeMarkdown('\u202eevil')).toBe('\\\\u202eevil');
  });
});
