import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { argv, quote, sh } from '../../../src/transport/quote.js';

/** Run shell text locally and return the bytes printf %s wrote. */
function run(shell: string, text: string): Buffer {
  return execFileSync(shell, ['-c', text]);
}

const hostile = [
  "it's",
  `"double"`,
  '$(touch /tmp/mtaf-tr-pwned)',
  '`touch /tmp/mtaf-tr-pwned`',
  '${HOME}',
  '$HOME',
  'a\nb\n',
  'a; rm -rf /tmp/mtaf-tr-x',
  'a | cat',
  'a && b || c',
  '',
  ' ',
  '\t',
  "'",
  "''",
  "\\'",
  '\\',
  '*',
  '~root',
  '-n',
  '#comment',
  'a>b',
  '!',
  'ünïcödé ✓ 日本',
  'new\r\nline',
  '{a,b}',
];

describe('quote', () => {
  for (const shell of ['sh', 'dash']) {
    it.each(hostile.map((v) => [JSON.stringify(v), v]))(`${shell}: %s stays one inert word`, (_label, value) => {
      expect(run(shell, `printf %s ${quote(value)}`).equals(Buffer.from(value))).toBe(true);
    });
  }

  it('leaves plain words unquoted and quotes the rest', () => {
    expect(quote('/var/spool/pmta')).toBe('/var/spool/pmta');
    expect(quote(42)).toBe('42');
    expect(quote('')).toBe("''");
    expect(quote("it's")).toBe(`'it'\\''s'`);
  });

  it('refuses NUL', () => {
    expect(() => quote('a\0b')).toThrow(/NUL/);
  });

  it('argv() keeps every element a separate argument', () => {
    const cmd = argv('printf', '%s|', ...hostile);
    expect(run('dash', cmd.text).toString()).toBe(hostile.map((v) => `${v}|`).join(''));
  });

  it('argv() never lets the program name become an assignment (A=b would run the next word)', () => {
    const cmd = argv('MTAF_X=1', 'echo', 'ran');
    expect(cmd.text).toBe("'MTAF_X=1' echo ran");
    expect(() => run('dash', cmd.text)).toThrow(/not found/);
    expect(argv('printf', '%s', 'a=b').text).toBe('printf %s a=b');
  });

  it('sh`` quotes interpolations and arrays but keeps literal text', () => {
    const cmd = sh`printf '%s|' ${hostile[2]!} ${['x y', "z'"]} | tr -d ' '`;
    expect(run('dash', cmd.text).toString()).toBe('$(touch/tmp/mtaf-tr-pwned)|xy|z\'|');
  });

  it('any string without NUL round-trips through dash (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (s) => {
        expect(run('dash', `printf %s ${quote(s)}`).toString('utf8')).toBe(s);
      }),
      { numRuns: 60 },
    );
  });
});
