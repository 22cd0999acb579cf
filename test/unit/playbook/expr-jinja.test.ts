/**
 * The expression language against the real thing: each expression is evaluated by mtafleet
 * and by Jinja2 (Debian's python3-jinja2, with ansible-core's filters and tests loaded, and
 * StrictUndefined as Ansible uses), over the same variables; the values must be equal (as
 * JSON: Python's 3.0 and mtafleet's 3 are the same number there). One python3 process for
 * the whole table.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { renderString } from '../../../src/playbook/template.js';
import { evalWhen, parseWhen, truthy } from '../../../src/playbook/when.js';

const VARS = {
  x: '1500',
  n: 3,
  f: 2.5,
  s: 'Hello World',
  e: '',
  l: [3, 1, 2],
  words: ['a', 'b', 'c'],
  d: { k: 'v', 'a-b': 1, nested: { deep: [10, 20] } },
  t: true,
  fl: false,
  nul: null,
  yes: 'yes',
  h: 'mta01',
  inventory_hostname: 'mta01',
  groups: { all: ['mta01', 'mta02', 'relay1'], ungrouped: [], mta: ['mta01', 'mta02'], relay: ['relay1'] },
  hostvars: { mta01: { ansible_host: '10.0.0.1', port: 25 }, mta02: { ansible_host: '10.0.0.2', port: 2525 } },
  spool_mb: '20480',
  reg: { changed: true, skipped: false, failed: false },
};

/** Expressions whose value must be what Jinja2 + Ansible's filters give. */
const TABLE = [
  // the examples
  "inventory_hostname in groups['mta']",
  'x | int > 1000',
  "hostvars['mta01'].ansible_host",
  "groups['mta'] | length",
  // subscripts
  'hostvars[h].port',
  "hostvars[groups['mta'][1]]['port']",
  'l[0]',
  'l[-1]',
  "d['k']",
  'd.k',
  "d['a-b']",
  'd.nested.deep[1]',
  'd.nested.deep.0',
  's[0]',
  "groups['relay'][0]",
  // arithmetic
  'n + 1',
  'n - 5',
  'n * 2 + 1',
  '(n + 1) * 2',
  '7 / 2',
  '7 // 2',
  '-7 // 2',
  '7 % 3',
  '-7 % 3',
  '2.5 * 2',
  'spool_mb | int // 1024',
  "'a' ~ n ~ 'b'",
  "'ab' * 3",
  '[1] + [2, 3]',
  "s + '!'",
  '-n | abs',
  '- n + 10',
  // comparison and logic
  'n == 3',
  't == 1',
  'fl == 0',
  "{'a': 1, 'b': 2} == {'b': 2, 'a': 1}",
  '[1, [2, 3]] == [1, [2, 3]]',
  '[1, 2] == [2, 1]',
  "d == {'k': 'v'}",
  'nul == None',
  'n != 3',
  'n < 4',
  'n <= 2',
  'n >= 3',
  "'a' < 'b'",
  "s == 'Hello World'",
  "'World' in s",
  "'z' not in words",
  "'k' in d",
  '3 in l',
  'n > 1 and n < 5',
  'not fl',
  "fl or 'x'",
  'n and s',
  'e or nul',
  "not (t and fl) or n == 4",
  "'a' if t else 'b'",
  "'a' if fl else 'b'",
  // tests
  'nope is defined',
  'nope is not defined',
  'n is defined',
  'd.k is defined',
  'd.missing is defined',
  'nul is none',
  'n is number',
  's is string',
  'd is mapping',
  "s is match('Hel')",
  "s is search('World')",
  "s is match('World')",
  'n is odd',
  'l is sequence',
  // literals
  "[1, 'a', true, None, 2.5]",
  'True',
  'false',
  "{'a': 1, 'b': [n]}",
  "'it''s' ~ \"\\tx\\n\"",
  // default
  "nope | default('x')",
  'nope | d(5)',
  "e | default('x', true)",
  "e | default('x')",
  "e | default('x', boolean=true)",
  "n | default('x')",
  // int / float / bool / string
  "'42' | int",
  "'4.7' | int",
  "'abc' | int",
  "'abc' | int(7)",
  "'0x1F' | int(0, 16)",
  "'1F' | int(base=16)",
  "' 12 ' | int",
  '-3.9 | int',
  'f | int',
  't | int',
  "'2.5' | float",
  "'x' | float",
  'n | float',
  "'yes' | bool",
  "'no' | bool",
  "'True' | bool",
  "'on' | bool",
  '1 | bool',
  '0 | bool',
  '2 | bool',
  'nul | bool',
  'n | string',
  'l | string',
  't | string',
  'words | string',
  'nul | string',
  "d.nested | string",
  // text
  's | lower',
  's | upper',
  "'  pad ' | trim",
  's | length',
  'l | length',
  'd | length',
  "'héllo' | length",
  "s | count",
  "words | join(',')",
  "l | join('-')",
  'words | join',
  "s | replace('o', '0')",
  "s | replace('o', '0', 1)",
  "'ab' | replace('', '-')",
  "s | regex_replace('o', '0')",
  "s | regex_replace('^(\\\\w+) (\\\\w+)$', '\\\\2 \\\\1')",
  "'a1b22' | regex_replace('[0-9]+', '#')",
  "'abc' | regex_replace('(?P<x>b)', '[\\\\g<x>]')",
  "'ABC' | regex_replace('b', 'x', ignorecase=True)",
  "'abc' | regex_replace('b')",
  "'a.b.c' | regex_replace('\\\\.', '\\\\\\\\')",
  "'x' | regex_replace('', '-')",
  "'mta01.example.com' | regex_replace('\\\\..*$', '')",
  // lists
  'l | first',
  'l | last',
  'l | min',
  'l | max',
  'words | max',
  's | first',
  'l | sort',
  '[1, 2, 1] | unique',
  "'ab' | list",
  "'a b  c ' | split",
  "'a,b,,c' | split(',')",
  "'/etc/pmta/config' | basename",
  "'/etc/pmta/config' | dirname",
  "'/etc/pmta/' | basename",
  "'/etc/pmta/' | dirname",
  "'config' | dirname",
  "'/x' | dirname",
  "'12.8' is version('12', '>=')",
  "'12.8' is version('12.10', '<')",
  "'2.14.3' is version('2.14.3')",
  "'2.14' is version('2.14.0', 'lt')",
  "'1.0a' is version('1.0b', '<')",
  "'10' is version('9', 'gt')",
  "'6.1.0-28-amd64' is version('6.1', '>=')",
  "reg is changed",
  "reg is failed",
  "reg is succeeded",
  "reg is skipped",
  "groups['mta'] | join(' ') | upper",
  "(groups['mta'] | first) ~ ':' ~ hostvars[groups['mta'] | first].port",
];

/** Expressions that are errors in both. */
const ERRORS = ["'1.a' is version('1.1', '<')", "'1' is version('1', 'bad')", "n + 'a'", 'nope + 1', 'n / 0', "n < 'a'", 'nope', 'd.missing.deeper + 1', 'l | min + []'];

const PY = `
import json, sys
import jinja2
from ansible.plugins.filter.core import FilterModule
from ansible.plugins.test.core import TestModule
env = jinja2.Environment(undefined=jinja2.StrictUndefined)
env.filters.update(FilterModule().filters())
env.tests.update(TestModule().tests())
req = json.load(sys.stdin)
out = []
for e in req['exprs']:
    try:
        v = env.compile_expression(e, undefined_to_none=False)(**req['vars'])
        if isinstance(v, jinja2.Undefined):
            raise jinja2.UndefinedError(e + ' is undefined')
        if hasattr(v, '__next__'):
            v = list(v)  # a generator (unique): Ansible's templating makes it a list
        out.append({'v': v})
    except Exception as err:
        out.append({'error': type(err).__name__ + ': ' + str(err)})
print(json.dumps(out, default=lambda o: {'unserializable': repr(o)}))
`;

function jinja(exprs: string[]): Array<{ v?: unknown; error?: string }> | undefined {
  const r = spawnSync('/usr/bin/python3', ['-c', PY], { input: JSON.stringify({ exprs, vars: VARS }), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const HAVE_JINJA = spawnSync('/usr/bin/python3', ['-c', 'import jinja2, ansible.plugins.filter.core']).status === 0;

function ours(expr: string): { v?: unknown; error?: string } {
  try {
    return { v: JSON.parse(JSON.stringify(renderString(`{{ ${expr} }}`, VARS) ?? null)) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

describe.skipIf(!HAVE_JINJA)('expressions agree with Jinja2 + ansible-core filters', () => {
  const reference = HAVE_JINJA ? jinja([...TABLE, ...ERRORS]) : undefined;

  it('the reference ran', () => {
    expect(reference).toHaveLength(TABLE.length + ERRORS.length);
  });

  it.each(TABLE.map((e, i) => [e, i] as const))('{{ %s }}', (expr, i) => {
    const ref = reference![i];
    expect(ref.error, `Jinja2 refused ${expr}`).toBeUndefined();
    expect(ours(expr)).toEqual({ v: JSON.parse(JSON.stringify(ref.v)) });
  });

  it.each(ERRORS.map((e, i) => [e, TABLE.length + i] as const))('{{ %s }} is an error in both', (expr, i) => {
    expect(reference![i].error, `Jinja2 accepted ${expr}`).toBeDefined();
    const got = ours(expr);
    expect(got.v, expr).toBeUndefined();
    expect(got.error).toMatch(/undefined variable|cannot add|division by zero|cannot compare|needs numbers|does not know the operator/);
  });

  it.each(TABLE.filter((e) => !/\bnope\b|\| (bool|string)|\bfl\b|\be\b/.test(e)).map((e) => [e, TABLE.indexOf(e)] as const))(
    'when: %s holds as in Ansible',
    (expr, i) => {
      // Ansible's when is Python truthiness of the value (these values are not "no"/"false" text).
      const py = reference![i].v;
      const pyTruthy = !(py === null || py === false || py === 0 || py === '' || (Array.isArray(py) && py.length === 0) || (typeof py === 'object' && py !== null && Object.keys(py).length === 0));
      expect(truthy(evalWhen(parseWhen(expr), VARS))).toBe(pyTruthy);
    },
  );
});
