/**
 * The expression language's safety and its use by playbooks: data-only access (no prototype,
 * no methods, no functions), bounded work, secrets, magic variables (groups, hostvars,
 * play_hosts), errors with the task's file and line, and templates with filters in shell text.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { preparePlays } from '../../../src/engine/run.js';
import { conditionHolds } from '../../../src/engine/plan-host.js';
import { parseInventory } from '../../../src/inventory/load.js';
import { parsePlaybook } from '../../../src/playbook/load.js';
import { renderShellText, renderString } from '../../../src/playbook/template.js';
import { mergeVars } from '../../../src/playbook/vars.js';
import { evalWhen, parseWhen, whenHolds, WhenError } from '../../../src/playbook/when.js';
import { PlaybookError } from '../../../src/util/errors.js';
import { Secret } from '../../../src/util/secret.js';
import { HOSTILE_KEYS, prototypeSnapshot } from '../../helpers/hostile-keys.js';

let before: Map<string, unknown>;
beforeEach(() => {
  before = prototypeSnapshot();
});
afterEach(() => {
  expect(prototypeSnapshot()).toEqual(before);
});

const vars = { s: 'text', n: 3, l: [1, 2], d: { k: 'v' }, own: JSON.parse('{"__proto__": "mine", "constructor": "c"}') as Record<string, unknown> };

describe('data only', () => {
  it.each(HOSTILE_KEYS)('%s is looked up as an own key, never found on a prototype', (key) => {
    for (const expr of [`d.${key}`, `d['${key}']`, `s['${key}']`, `l['${key}']`, `n['${key}']`]) {
      expect(() => renderString(`{{ ${expr} }}`, vars), expr).toThrow(/undefined variable/);
      expect(evalWhen(parseWhen(`${expr} is defined`), vars), expr).toBe(false);
    }
    expect(() => renderString(`{{ ${key} }}`, vars)).toThrow(/undefined variable/);
  });

  it.each([
    ["t | regex_replace('a*a*a*$', '', ignorecase=True)", /repeats more than once/],
    ["t | regex_replace('(a+)+$', '', ignorecase=True)", /repeats more than once/],
    ["t | regex_replace('a+$', '', ignorecase=True)", /more than 8192 characters/],
  ])('case-insensitive regexes (backtracking engine) are bounded: {{ %s }}', (expr, why) => {
    const t0 = Date.now();
    expect(() => renderString(`{{ ${expr} }}`, { t: 'a'.repeat(200_000) + '!' })).toThrow(why);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('an own key named __proto__ or constructor is ordinary data', () => {
    expect(renderString("{{ own['__proto__'] }}", vars)).toBe('mine');
    expect(renderString('{{ own.constructor }}', vars)).toBe('c');
    expect(renderString("{{ {'__proto__': 1}['__proto__'] }}", vars)).toBe(1);
  });

  it.each([
    ["lookup('pipe', 'id')", /calling "lookup\(\.\.\.\)" is not supported/],
    ["query('file', '/etc/passwd')", /calling "query\(\.\.\.\)" is not supported/],
    ['range(100000000)', /calling "range\(\.\.\.\)" is not supported/],
    ["s.upper()", /method calls are not supported/],
    ["s.__class__.__mro__", /undefined variable "s\.__class__\.__mro__"/],
    ["d.items()", /method calls are not supported/],
    ["s | attr('__class__')", /unknown filter "attr"/],
    ["s | map('upper')", /unknown filter "map"/],
    ['s is callable', /unknown test "callable"/],
    ['2 ** 1000', /"\*\*" \(power\) is not supported/],
    ['l[0:1]', /slices are not supported/],
    ['(1, 2)', /tuples are not supported/],
    ["s = 'x'", /unexpected "="/],
    ['1 < n < 5', /chained comparisons are not supported/],
    ['s | lower[0]', /parentheses/],
  ])('refuses {{ %s }}', (expr, why) => {
    expect(() => renderString(`{{ ${expr} }}`, vars)).toThrow(why);
    expect(() => whenHolds([parseWhen(expr)], vars)).toThrow(WhenError);
  });
});

describe('bounded work', () => {
  it.each([
    ["'a' * 100000000", /longer than/],
    ["('a' * 1000) * 1000 * 1000", /longer than/],
    ['[1] * 1000000', /more than 100000 items/],
    ["s | replace('', s * 100000)", /longer than/],
    [`${'('.repeat(200)}1${')'.repeat(200)}`, /nests too deeply/],
    [`${'not '.repeat(200)}true`, /nests too deeply/],
    [`${'['.repeat(200)}${']'.repeat(200)}`, /nests too deeply/],
    [`'${'x'.repeat(9000)}'`, /longer than 8192 characters/],
    ["s | regex_replace('(x)\\\\1', '')", /back-references/],
    ['n / 0', /division by zero/],
    ['n // 0', /division by zero/],
    ['1e308 * 10', /too large/],
  ])('{{ %s }} is refused quickly', (expr, why) => {
    const t0 = Date.now();
    expect(() => renderString(`{{ ${expr} }}`, vars)).toThrow(why);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it.each([
    ["t | regex_replace('a+$', '') | length", 200_001],
    ["t | regex_replace('(a+)+$', '') | length", 200_001],
    ["t | regex_replace('(a|aa)*b', '') | length", 200_001],
    ["t | regex_replace('a*a*a*a*$', '') | length", 200_001],
    ["t is search('(a+)+b')", false],
  ])('a regex takes linear time, whatever the pattern: {{ %s }}', (expr, expected) => {
    // Catastrophic patterns for a backtracking engine: with V8's linear engine they finish,
    // without it they are refused; either way nothing hangs.
    const big = { t: 'a'.repeat(200_000) + '!' };
    const t0 = Date.now();
    let got: unknown;
    try {
      got = renderString(`{{ ${expr} }}`, big);
    } catch (err) {
      got = (err as Error).message;
    }
    expect([expected, expect.stringMatching(/repeats more than once|more than 8192 characters/)]).toContainEqual(got);
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});

describe('secrets', () => {
  const sv = { pw: new Secret('s3cr3t-9'), hostvars: { h1: { ansible_become_password: new Secret('hidden') } } };
  it.each(['pw', 'pw | lower', 'pw | length', "pw ~ ''", "'x' if pw else 'y'", "hostvars['h1'].ansible_become_password", "pw | default('')", "hostvars['h1'] | string", "hostvars.h1 ~ ''"])(
    'a template reading a secret is refused: {{ %s }}',
    (expr) => {
      expect(() => renderString(`{{ ${expr} }}`, sv)).toThrow(/is a secret .* cannot be used in task parameters/);
    },
  );

  it('a template may ask whether a secret is defined', () => {
    expect(renderString('{{ pw is defined }}', sv)).toBe(true);
    expect(renderString('{{ nope is undefined }}', sv)).toBe(true);
  });

  it.each(["pw is match('s3')", 'pw is string', "pw is in(['x'])", "pw == 'x'", "'s3' in pw"])('any other test on a secret reads it: {{ %s }} is refused', (expr) => {
    expect(() => renderString(`{{ ${expr} }}`, sv)).toThrow(/is a secret/);
  });

  it.each([
    ['pw | length > 5', true],
    ["pw | upper == 'S3CR3T-9'", true],
    ["pw | regex_replace('[0-9]', '') == 'scrt-'", true],
    ["hostvars['h1'].ansible_become_password == 'hidden'", true],
  ])('when may compare a value computed from a secret: %s', (expr, expected) => {
    expect(whenHolds([parseWhen(expr)], sv)).toBe(expected);
  });

  it.each(['pw + 1', '(pw | lower) < 3', "(pw ~ 'x') * 'y'", 'pw / 2', "pw | regex_replace('(', '')", "([pw, 'a'] | sort) + 1", "([pw] | unique) < 1", "{'k': pw} + 1", "(pw | split) - 1", "([pw] | string) + 1", "([pw] ~ 'x') * 'y'", "({'k': [pw]} | string) / 2", "([pw] | join) + 1"])('an error on %s never shows the secret', (expr) => {
    let message = '';
    try {
      whenHolds([parseWhen(expr)], sv);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).not.toBe('');
    expect(message).not.toMatch(/s3cr3t|S3CR3T/);
  });
});

describe('magic variables and playbooks', () => {
  const inventory = parseInventory(
    `all:
  hosts:
    lone.example.com: {}
  children:
    mta:
      hosts:
        mta01.example.com: { ansible_host: 10.0.0.1, spool_mb: "20480" }
        mta02.example.com: { ansible_host: 10.0.0.2, spool_mb: "512" }
    relay:
      hosts:
        relay1: { ansible_host: 10.0.1.1 }
`,
    '/inv.yaml',
  );

  const playbook = (tasks: string, hosts = 'mta') => parsePlaybook('/pb.yaml', `- hosts: ${hosts}\n  tasks:\n${tasks}`);

  it('groups, hostvars, group_names, inventory_hostname_short, play_hosts in templates', () => {
    // An unknown filter is refused when the playbook is read, with its line.
    expect(() =>
      playbook(`    - name: t
      file:
        path: /etc/peers
        content: "{{ inventory_hostname_short }} of {{ groups['mta'] | length }}: {{ groups['mta'] | map_ok | default('') }}"
`),
    ).toThrow(/\/pb\.yaml:6: plays\[0\]\.tasks\[0\]\.file\.content: .*unknown filter "map_ok"/);

    const good = playbook(`    - name: t
      file:
        path: /etc/peers
        content: "{{ inventory_hostname_short }} {{ group_names | join(',') }} {{ play_hosts | join(' ') }} relay={{ hostvars[groups['relay'][0]].ansible_host }} first={{ hostvars['mta01.example.com'].ansible_host }}"
        mode: "{{ '0644' if groups['mta'] | length > 1 else '0600' }}"
`);
    const [play] = preparePlays({ playbook: good, extraVars: {}, inventory, forks: 1 });
    expect(play.hosts.map((h) => h.prepared.tasks[0].params)).toEqual([
      expect.objectContaining({ content: 'mta01 mta mta01.example.com mta02.example.com relay=10.0.1.1 first=10.0.0.1', mode: '0644' }),
      expect.objectContaining({ content: 'mta02 mta mta01.example.com mta02.example.com relay=10.0.1.1 first=10.0.0.1', mode: '0644' }),
    ]);
  });

  it("the issue's when examples hold per host", () => {
    const pb = playbook(
      `    - name: big spool
      command: { argv: ["true"] }
      when: spool_mb | int > 1000
    - name: in mta
      command: { argv: ["true"] }
      when: inventory_hostname in groups['mta'] and groups['mta'] | length == 2
    - name: ungrouped
      command: { argv: ["true"] }
      when: "{{ inventory_hostname in groups['ungrouped'] }}"
`,
      'all',
    );
    const [play] = preparePlays({ playbook: pb, extraVars: {}, inventory, forks: 1 });
    const holds = (i: number, from = 0) => play.hosts[i].prepared.tasks.slice(from).map((t) => conditionHolds(play.hosts[i].prepared, t, {}));
    expect(play.hosts.map((h) => h.prepared.name)).toEqual(['lone.example.com', 'mta01.example.com', 'mta02.example.com', 'relay1']);
    expect(holds(1)).toEqual([true, true, false]);
    expect(holds(2)).toEqual([false, true, false]);
    expect(holds(0, 1)).toEqual([false, true]);
    expect(holds(3, 1)).toEqual([false, false]);
    // spool_mb is undefined on lone and relay1: the condition says so, naming the task and line.
    const lone = play.hosts[0].prepared;
    expect(() => conditionHolds(lone, lone.tasks[0], {})).toThrow(/task "big spool" \(line 3\) on lone\.example\.com: when: undefined variable "spool_mb"/);
  });

  it('a loop over a group, its items through filters', () => {
    const pb = playbook(`    - name: peer
      file: { path: "/etc/peers/{{ item | regex_replace('\\\\..*$', '') }}", content: "{{ hostvars[item].ansible_host }}\\n" }
      loop: "{{ groups['mta'] | sort }}"
`);
    const [play] = preparePlays({ playbook: pb, extraVars: {}, inventory, forks: 1 });
    expect(play.hosts[0].prepared.tasks.map((t) => [t.def.name, t.params])).toEqual([
      ['peer (item=mta01.example.com)', expect.objectContaining({ path: '/etc/peers/mta01', content: '10.0.0.1\n' })],
      ['peer (item=mta02.example.com)', expect.objectContaining({ path: '/etc/peers/mta02', content: '10.0.0.2\n' })],
    ]);
  });

  it('magic variables cannot be overridden by inventory or -e', () => {
    const m = mergeVars({ extra: { groups: 'x', inventory_hostname: 'y' }, hostName: 'h1', magic: { groups: { all: ['h1'] }, hostvars: {}, playHosts: ['h1'] } });
    expect(m.groups).toEqual({ all: ['h1'] });
    expect(m.inventory_hostname).toBe('h1');
  });

  it('a bad expression is refused at load with the file and line', () => {
    expect(() => playbook(`    - name: t\n      command: { argv: ["true"] }\n      when: x |\n`)).toThrow(/\/pb\.yaml:5: plays\[0\]\.tasks\[0\]\.when: invalid condition: expected a filter name/);
    expect(() => playbook(`    - name: t\n      command: { argv: ["true"] }\n      when: x | nosuch > 1\n`)).toThrow(/\/pb\.yaml:5: plays\[0\]\.tasks\[0\]\.when: invalid condition: unknown filter "nosuch"/);
  });
});

describe('templates with filters in shell text', () => {
  const v = { peers: ['a b', "c'd"], x: '$(reboot)' };
  it('one template is one quoted word, whatever its filters', () => {
    expect(renderShellText("printf '%s\\n' {{ peers | join(',') }} {{ x | upper }}", v)).toBe(`printf '%s\\n' 'a b,c'\\''d' '$(REBOOT)'`);
  });
  it('inside quotes it is still refused', () => {
    expect(() => renderShellText("echo '{{ x | lower }}'", v)).toThrow(/inside '/);
  });
  it('a playbook command with a filter template renders for each host', () => {
    const pb = parsePlaybook('/pb.yaml', `- hosts: all\n  tasks:\n    - name: t\n      command: "echo {{ groups['all'] | length }} {{ x | default('none') }}"\n`);
    const [play] = preparePlays({ playbook: pb, extraVars: {}, inventory: parseInventory('all:\n  hosts:\n    h1: {}\n    h2: {}\n', '/i.yaml'), forks: 1 });
    // Free-form text: the words become argv (a template stays one word); "{{ ... | length }}" is 2, given as the text "2".
    expect(play.hosts.map((h) => (h.prepared.tasks[0].params as { argv: string[] }).argv)).toEqual([
      ['echo', '2', 'none'],
      ['echo', '2', 'none'],
    ]);
  });
});

describe('when errors', () => {
  it('an error names the variable, never the value of a secret', () => {
    expect(() => evalWhen(parseWhen("n + 'a'"), vars)).toThrow(/cannot add 3 and "a"/);
    expect(() => evalWhen(parseWhen('missing.deeper > 1'), vars)).toThrow(/undefined variable "missing\.deeper" \(use "missing\.deeper is defined"/);
  });
  it('is a PlaybookError through the engine', () => {
    expect(new PlaybookError('x')).toBeInstanceOf(Error);
  });
});

describe('facts in task parameters', () => {
  it('say where facts can be used', () => {
    expect(() => renderString('{{ ansible_distribution }}', {})).toThrow(/undefined variable "ansible_distribution" \(gathered facts are seen by "when:"/);
    expect(() => renderString('{{ ansible_host }}', {})).toThrow(/undefined variable "ansible_host" \(use "\| default/);
  });
});

describe('fuzz: any text is an expression or a plain error', () => {
  it('parse and evaluate never fail other than with a TemplateError / WhenError', async () => {
    const fc = (await import('fast-check')).default;
    const pieces = [
      'x', 'd', 'l', 's', 'pw', '__proto__', 'constructor', '.', '[', ']', '(', ')', '{', '}', ',', ':', '|', 'default', 'int', 'length',
      'regex_replace', "'a'", '"b"', '0', '-1', '2.5', '+', '-', '*', '/', '//', '%', '~', '==', '<', 'in', 'not', 'and', 'or', 'is',
      'defined', 'if', 'else', 'true', 'None', ' ', '=', '**', 'lookup', "'(a+)+$'", "'\\\\'",
    ];
    // Well-formed expressions too, so that the evaluator sees many: atoms joined by operators and filters.
    const { expr } = fc.letrec<{ expr: string }>((tie) => ({
      expr: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.constantFrom('x', 'd', 'l', 's', 'pw', 'nope', "'a'", '3', '-2', '2.5', 'true', 'None', '[1, 2]', "[pw, 'a']", "{'k': pw}", "{'k': 1}", "d['__proto__']", 'l[0]', 's.constructor'),
        fc.tuple(tie('expr'), fc.constantFrom('+', '-', '*', '/', '//', '%', '~', '==', '!=', '<', '>=', 'in', 'not in', 'and', 'or'), tie('expr')).map(([a, op, b]) => `(${a} ${op} ${b})`),
        fc.tuple(tie('expr'), fc.constantFrom('int', 'float', 'bool', 'string', 'lower', 'length', 'first', 'last', 'min', 'max', 'join', "default('z')", "replace('a', 'b')", "regex_replace('a+', 'b')", 'split', 'sort', 'unique', 'list')).map(([a, f]) => `(${a} | ${f})`),
        fc.tuple(tie('expr'), fc.constantFrom('defined', 'not defined', 'string', 'number', "match('a')")).map(([a, t]) => `(${a} is ${t})`),
        tie('expr').map((a) => `not ${a}`),
      ),
    }));
    const text = fc.oneof(fc.array(fc.constantFrom(...pieces), { maxLength: 14 }).map((p) => p.join(' ')), fc.string({ maxLength: 30 }), expr);
    const data = { ...vars, pw: new Secret('s3cr3t'), x: 5 };
    const samples = fc.sample(text, { seed: 15, numRuns: 3000 });
    let evaluated = 0;
    for (const src of samples) {
      try {
        renderString(`{{ ${src} }}`, data);
        evaluated++;
      } catch (err) {
        expect((err as Error).constructor.name, src).toBe('TemplateError');
        expect((err as Error).message, src).not.toMatch(/s3cr3t/);
      }
      try {
        whenHolds([parseWhen(src)], data);
      } catch (err) {
        expect((err as Error).constructor.name, src).toBe('WhenError');
        expect((err as Error).message, src).not.toMatch(/s3cr3t/);
      }
    }
    // The pieces make enough valid expressions for the evaluator to be exercised too.
    expect(evaluated).toBeGreaterThan(100);
  });
});

describe('templates checked at load', () => {
  it.each([
    ['content: "{{ x | nosuch }}"', /pb\.yaml:5: plays\[0\]\.tasks\[0\]\.file\.content: "\{\{ x \| nosuch \}\}" is not a supported template: unknown filter "nosuch"/],
    ['content: "{{ lookup(\'file\', \'/etc/shadow\') }}"', /pb\.yaml:5: .*file\.content: .*calling "lookup\(\.\.\.\)" is not supported/],
    ['content: "{% if x %}a{% endif %}"', /pb\.yaml:5: .*file\.content: Jinja statements \(\{% \.\.\. %\}\) are not supported/],
  ])('even on a task whose when is false: %s', (line, why) => {
    const yaml = `- hosts: all\n  tasks:\n    - name: t\n      file:\n        ${line}\n        path: /etc/x\n      when: false\n`;
    expect(() => parsePlaybook('/pb.yaml', yaml)).toThrow(why);
  });
});

describe('variables that are templates (inventory, task vars)', () => {
  const inventory = parseInventory(
    `all:
  vars:
    base: /var
    spool_dir: "{{ base }}/spool/{{ inventory_hostname_short }}"
    next_port: "{{ port | int + 1 }}"
    port: "2525"
    loop_a: "{{ loop_b }}"
    loop_b: "{{ loop_a }}"
    pw_alias: "{{ vault_token }}"
    vault_token: s3cr3t-tok
  hosts:
    mta01.example.com: {}
`,
    '/inv.yaml',
  );
  const run = (tasks: string, extraVars: Record<string, unknown> = {}) =>
    preparePlays({ playbook: parsePlaybook('/pb.yaml', `- hosts: all\n  tasks:\n${tasks}`), extraVars, inventory, forks: 1 })[0].hosts[0].prepared;

  it('are rendered where they are read, with the host\'s variables, keeping the type of a whole template', () => {
    const h = run(`    - name: t
      file: { path: "{{ spool_dir }}/x", content: "{{ next_port + 1 }} {{ v }}" }
      vars: { v: "{{ spool_dir | basename }}" }
`);
    expect(h.tasks[0].params).toMatchObject({ path: '/var/spool/mta01/x', content: '2527 mta01' });
    expect(conditionHolds(h, { ...h.tasks[0], def: { ...h.tasks[0].def, when: [parseWhen("spool_dir == '/var/spool/mta01' and next_port == 2526")] } }, {})).toBe(true);
  });

  it('a loop between them is an error with the file and line, not a hang', () => {
    expect(() => run(`    - name: t\n      file: { path: "/x", content: "{{ loop_a }}" }\n`)).toThrow(
      /\/pb\.yaml:4: .*in variable "loop_a" .*in variable "loop_b" .*refer to each other in a loop/,
    );
  });

  it('-e values are data: a template in one is not rendered', () => {
    const h = run(`    - name: t\n      file: { path: "/x", content: "{{ v }}" }\n`, { v: '{{ base }}' });
    expect(h.tasks[0].params).toMatchObject({ content: '{{ base }}' });
  });

  it('a secret through a templated variable: usable in when, refused in task params', () => {
    expect(() => run(`    - name: t\n      file: { path: "/x", content: "{{ pw_alias }}" }\n`)).toThrow(/in variable "pw_alias" .*"vault_token" is a secret/);
    const h = run(`    - name: t\n      command: { argv: ["true"] }\n      when: pw_alias == 's3cr3t-tok' and (pw_alias ~ '') | length == 10\n`);
    expect(conditionHolds(h, h.tasks[0], {})).toBe(true);
  });
});
