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
import { shlexSplit } from '../../../src/inventory/shlex.js';

const VALUES = [
  // numbers
  '5', '-5', '+5', '0', '00', '007', '0644', '0x10', '0X1f', '-0x10', '0o17', '0b101', '1_000', '1__0', '1_', '1.5', '-1.5', '.5', '1.', '1e3', '1.5e-3', '1E+2',
  '1.2.3', '5abc', '9007199254740991', '10.0.0.1', '192.168.1.1', '1:2',
  // words
  'true', 'True', 'false', 'False', 'None', 'none', 'yes', 'no', 'on', 'null', 'abc', 'set()', 'set', '',
  // strings
  '"5"', "'5'", '"a b"', "'it''s'", '"a" "b"', "r'\\n'", "'\\n'", '"\\x41\\101\\u00e9"', "b'bytes'", "b'a' 'b'", "f'x'", "'unterminated", '"\\d"', "'''triple'''",
  // containers
  "['a','b']", '[1, 2, ]', '[1, [2, [3]]]', "{'a': 1, 'b': [True, None]}", '{}', '[]', '()', '(1,)', '(1)', '(1, 2)', '1,2', '1,', '{1, 2}', "{'__proto__': 1}",
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
      expect(ansibleIniValue(text)).toBe(text);
    });
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
