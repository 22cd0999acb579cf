/**
 * INI values typed exactly as Ansible 2.14 types them, asked live of Debian's ansible-core
 * (test/helpers/ansible-ini-values.py runs the INI plugin's own `_parse_value` and
 * `shlex_split`): every value is a Python literal when it is one (lists, dicts, 0x10, 1e3,
 * True), else the text as written (`true`, `yes`, `0644`, `a b`).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ansibleIniValue } from '../../../src/inventory/python-literal.js';
import { shlexSplit } from '../../../src/util/shlex.js';
import { prng } from '../../helpers/prng.js';

const VALUES = [
  // numbers
  '5', '-5', '+5', '0', '00', '007', '0644', '0x10', '0X1f', '-0x10', '0o17', '0b101', '1_000', '1__0', '1_', '1.5', '-1.5', '.5', '1.', '1e3', '1.5e-3', '1E+2',
  '1.2.3', '5abc', '9007199254740991', '10.0.0.1', '192.168.1.1', '1:2',
  // words
  'true', 'True', 'false', 'False', 'None', 'none', 'yes', 'no', 'on', 'null', 'abc', 'set()', 'set', '',
  // strings
  '"5"', "'5'", '"a b"', "'it''s'", '"a" "b"', "r'\\n'", "'\\n'", '"\\x41\\101\\u00e9"', "b'bytes'", "b'a' 'b'", "f'x'", "'unterminated", '"\\d"', "'''triple'''",
  // containers
  "['a','b']", '[1, 2, ]', '[1, [2, [3]]]', "{'a': 1, 'b': [True, None]}", '{}', '[]', '()', '(1,)', '(1)', '(1, 2)', '1,2', '1,', '{7}', "{'__proto__': 1}",
  "[a]", '[1, 2', '{1: 2}', "{'k': 'v',}", '[-1, +2, -1.5]', '- 5', '--5', '-(5)', '1+2', '1-2', "['a', # c\n 'b']",
  // text with comments, as a [group:vars] value keeps them
  '5 # five', 'abc # text', "'x' # quoted", '[1] ; semicolon', '{{ myhost }}', '{{ a }} b', "{'a': '{{ b }}'}", 'http://x/y?z=1',
  '$ANSIBLE_VAULT;1.1;AES256', 'a=b', '-', '.', 'inf', 'nan',
];

const LINES = [
  'h x=1', 'h x="a b" y=c', "h x='[1, 2]'", 'h x="[\'a\',\'b\']"', 'h x=c#comment', 'h x=c #comment', 'h # all comment', 'h x="a # not comment"',
  'h x=a\\ b', 'h x="a\\"b"', 'h x="a\\nb"', "h x='a\\nb'", 'h x="unclosed', 'h x=\'\'', 'h x=""', 'h  x=1\ty=2', 'h x=a"b c"d',
];

/** Python and mtafleet disagree here on purpose: the value has no JSON form (complex, unbounded int, infinity). */
const NOT_REPRESENTABLE = ['1j', '2+3j', '123456789012345678901234567890', '1e999'];

interface Answer {
  value?: unknown;
  type?: string;
  tokens?: string[];
  error?: string;
}

function askAnsible(cases: Array<{ value: string } | { line: string }>): Answer[] {
  const r = spawnSync('/usr/bin/python3', [join(__dirname, '../../helpers/ansible-ini-values.py')], { input: JSON.stringify(cases), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ansible-ini-values.py failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Answer[];
}

describe('INI values: Python literals, as Ansible 2.14 _parse_value', () => {
  const answers = askAnsible([...VALUES, ...NOT_REPRESENTABLE].map((value) => ({ value })));
  VALUES.forEach((text, i) => {
    it(`${JSON.stringify(text)} -> ${JSON.stringify(answers[i].value)} (${answers[i].type})`, () => {
      expect(answers[i].error, 'Ansible raised').toBeUndefined();
      const mine = ansibleIniValue(text);
      expect(JSON.parse(JSON.stringify(mine))).toEqual(answers[i].value);
      const kind = ({ int: 'number', float: 'number', str: 'string', bool: 'boolean', NoneType: 'null', list: 'array', tuple: 'array', set: 'array', dict: 'object' } as Record<string, string>)[answers[i].type!];
      expect(mine === null ? 'null' : Array.isArray(mine) ? 'array' : typeof mine).toBe(kind);
    });
  });
  NOT_REPRESENTABLE.forEach((text, j) => {
    it(`${text}: Python makes a ${answers[VALUES.length + j].type}; mtafleet keeps the text (no JSON form)`, () => {
      expect(['complex', 'int', 'float']).toContain(answers[VALUES.length + j].type);
      expect(answers[VALUES.length + j].error).toMatch(/JSON form/);
      expect(ansibleIniValue(text)).toBe(text);
    });
  });
  it('a set becomes a list of its distinct items in written order (Python: hash order; different across runs for text)', () => {
    const [set] = askAnsible([{ value: "{3, 1, 'a'}" }]);
    expect(set.error).toMatch(/hash order/);
    expect(ansibleIniValue("{3, 1, 'a', 1.0, True}")).toEqual([3, 1, 'a']);
  });
  it('a dict key named __proto__ is a key, not the prototype', () => {
    const v = ansibleIniValue("{'__proto__': {'polluted': 1}}") as Record<string, unknown>;
    expect(Object.keys(v)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
  it('nesting deeper than Python parses stays text, without a stack overflow', () => {
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    expect(ansibleIniValue(deep)).toBe(deep);
  });
});

describe('INI host lines split as Ansible 2.14 shlex_split(comments=True)', () => {
  const answers = askAnsible(LINES.map((line) => ({ line })));
  LINES.forEach((line, i) => {
    it(JSON.stringify(line), () => {
      const want = answers[i];
      if (want.error) expect(() => shlexSplit(line)).toThrow(want.error);
      else expect(shlexSplit(line)).toEqual(want.tokens);
    });
  });
});

/**
 * Random texts (seeded: a failure can be replayed): Python literals built at random (numbers in
 * every notation, strings with escapes and prefixes, lists, tuples, dicts, sets, signs,
 * comments), a third of them then damaged by one inserted or deleted character.
 */
function randomTexts(seed: number, count: number): string[] {
  const rand = prng(seed);
  const pick = <T,>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const sp = () => pick(['', '', ' ', '  ']);
  const scalar = (): string =>
    pick([
      () => String(Math.floor(rand() * 1000)),
      () => pick(['0x1F', '0o17', '0b101', '1_000', '007', '00', '1.5', '.5', '1.', '1e3', '2E-2', '1j', '9007199254740993']),
      () => `${pick(['', 'r', 'b', 'u', 'R', 'f'])}${pick(["'", '"'])}`.replace(/(['"])$/, (q) => `${q}${pick(['a', 'a b', '\\n', '\\x41', '\\u00e9', '\\d', "it\\'s", '', '{{ x }}'])}${q}`),
      () => pick(['True', 'False', 'None', 'true', 'yes', 'abc', 'set()']),
      () => `${pick(['-', '+'])}${sp()}${pick(['5', '1.5', '(5)', 'True', '-5'])}`,
    ])();
  const value = (depth: number): string => {
    if (depth > 2 || rand() < 0.5) return scalar();
    const items = Array.from({ length: Math.floor(rand() * 4) }, () => value(depth + 1));
    return pick([
      () => `[${items.join(`,${sp()}`)}${pick(['', ','])}]`,
      () => `(${items.join(`,${sp()}`)}${items.length === 1 ? ',' : ''})`,
      () => `{${items.map((v) => `${scalar()}${sp()}:${sp()}${v}`).join(`,${sp()}`)}}`,
      () => `{${[scalar(), ...items.filter((v) => !/^[[{(]/.test(v))].join(', ')}}`,
      () => items.join(','),
    ])();
  };
  return Array.from({ length: count }, () => {
    let text = `${value(0)}${pick(['', '', ' # c', '#'])}`;
    if (rand() < 0.33) {
      const at = Math.floor(rand() * text.length);
      text = rand() < 0.5 ? text.slice(0, at) + text.slice(at + 1) : text.slice(0, at) + pick(["'", '"', '[', ']', '{', ',', ':', ' ', '\\', '#', 'x']) + text.slice(at);
    }
    return text;
  });
}

describe('random texts: the same answer as Ansible, never a crash', () => {
  const texts = randomTexts(15, 600);
  const answers = askAnsible([...texts.map((value) => ({ value })), ...texts.map((t) => ({ line: `h x=${t}` }))]);
  it('values', () => {
    const mismatches: string[] = [];
    let typed = 0;
    texts.forEach((text, i) => {
      const want = answers[i];
      if (want.error) return; // Ansible fails, or its value has no JSON form or no fixed order (see the helper)
      if (want.type !== 'str') typed++;
      const mine = JSON.parse(JSON.stringify(ansibleIniValue(text) ?? null)) as unknown;
      if (JSON.stringify(mine) !== JSON.stringify(want.value)) mismatches.push(`${JSON.stringify(text)}: mtafleet ${JSON.stringify(mine)}, Ansible ${JSON.stringify(want.value)}`);
    });
    expect(mismatches).toEqual([]);
    expect(typed, 'texts Ansible reads as literals (not text) among those compared').toBeGreaterThan(200);
  });
  it('host lines', () => {
    const mismatches: string[] = [];
    texts.forEach((text, i) => {
      const want = answers[texts.length + i];
      let mine: string[] | string;
      try {
        mine = shlexSplit(`h x=${text}`);
      } catch (err) {
        mine = `error: ${(err as Error).message}`;
      }
      const theirs = want.error ? `error: ${want.error}` : want.tokens!;
      const same = typeof mine === 'string' && typeof theirs === 'string' ? mine.includes(theirs.slice(7)) : JSON.stringify(mine) === JSON.stringify(theirs);
      if (!same) mismatches.push(`${JSON.stringify(text)}: mtafleet ${JSON.stringify(mine)}, Ansible ${JSON.stringify(theirs)}`);
    });
    expect(mismatches).toEqual([]);
  });
});
