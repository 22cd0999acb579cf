import { describe, expect, it } from 'vitest';
import { parsePlaybook } from '../../../src/playbook/load.js';
import { renderString, renderValue } from '../../../src/playbook/template.js';
import { mergeVars, resolveParams } from '../../../src/playbook/vars.js';
import { prepareHost } from '../../../src/engine/prepare.js';
import { Secret } from '../../../src/util/secret.js';

describe('templates', () => {
  const vars = { a: 'x', n: 25, nested: { deep: { v: 'y' } }, list: [1, 2] };
  it.each([
    ['{{ a }}', 'x'],
    ['{{a}}-{{ n }}', 'x-25'],
    ['{{ n }}', 25],
    ['{{ nested.deep.v }}', 'y'],
    ['{{ missing | default("d") }}', 'd'],
    ["{{ missing | default(7) }}", 7],
    ['{{ a | default("d") }}', 'x'],
    ['plain', 'plain'],
    ['{{ list }}', [1, 2]],
  ])('%s -> %j', (text, out) => {
    expect(renderString(text, vars)).toEqual(out);
  });

  it('an undefined variable is an error naming it', () => {
    expect(() => renderString('{{ nope }}', vars)).toThrow(/undefined variable "nope"/);
    expect(() => renderString('x {{ nested.missing }}', vars)).toThrow(/"nested\.missing"/);
  });

  it('refuses secrets and unsupported expressions', () => {
    expect(() => renderString('{{ pw }}', { pw: new Secret('s') })).toThrow(/secret/);
    expect(() => renderString('{{ lookup("pipe", "id") }}', vars)).toThrow(/not a supported template: calling "lookup\(\.\.\.\)" is not supported/);
    expect(() => renderString('{{ a.upper() }}', vars)).toThrow(/not a supported template: method calls are not supported/);
    // Arithmetic is supported now; adding text and a number is an error, as in Jinja.
    expect(() => renderString('{{ a + 1 }}', vars)).toThrow(/cannot add "x" and 1/);
  });

  it('renders nested structures', () => {
    expect(renderValue({ p: ['{{ a }}', { q: '{{ n }}' }] }, vars)).toEqual({ p: ['x', { q: 25 }] });
  });
});

describe('variable precedence', () => {
  it('extra > task > registered > play > inventory > facts', () => {
    const layers = {
      facts: { v: 'facts', f: 'facts' },
      inventory: { v: 'inv', i: 'inv', f: 'inv' },
      play: { v: 'play', p: 'play', i: 'play' },
      registered: { v: 'reg', r: 'reg', p: 'reg' },
      task: { v: 'task', t: 'task', r: 'task' },
      extra: { v: 'extra', t: 'extra' },
      hostName: 'h1',
      groups: ['all', 'mta'],
    };
    const m = mergeVars(layers);
    expect(m).toMatchObject({ v: 'extra', t: 'extra', r: 'task', p: 'reg', i: 'play', f: 'inv', inventory_hostname: 'h1', group_names: ['mta'] });
  });

  it('resolves templates per host, with play vars rendered over inventory and extra vars', () => {
    const pb = parsePlaybook(
      '/pb.yaml',
      `- hosts: all
  vars: { dir: "{{ base }}/conf", threads: 8 }
  tasks:
    - name: t
      file: { path: "{{ dir }}/app", content: "threads={{ threads }}" }
`,
    );
    const host = { name: 'h1', vars: { base: '/srv', threads: 2 }, groups: ['all'] };
    const p1 = prepareHost(pb, 0, host, {});
    expect(p1.tasks[0].params).toMatchObject({ path: '/srv/conf/app', content: 'threads=8' });
    const p2 = prepareHost(pb, 0, host, { threads: '64', base: '/opt' });
    expect(p2.tasks[0].params).toMatchObject({ path: '/opt/conf/app', content: 'threads=64' });
  });

  it('a bad rendered value is a PlaybookError with host, line and path', () => {
    const pb = parsePlaybook('/pb.yaml', `- hosts: all\n  tasks:\n    - name: t\n      file: { path: "{{ dir }}", content: a }\n`);
    expect(() => resolveParams(pb, pb.plays[0].tasks[0], { dir: 'relative' }, 'h1')).toThrow(
      /\/pb\.yaml:4: plays\[0\]\.tasks\[0\]\.file\.path: for host h1: must be an absolute path/,
    );
    expect(() => resolveParams(pb, pb.plays[0].tasks[0], {}, 'h1')).toThrow(/\/pb\.yaml:4: .*for host h1: undefined variable "dir"/);
  });

  it('defers a template error on a task guarded by when', () => {
    const pb = parsePlaybook('/pb.yaml', `- hosts: all\n  tasks:\n    - file: { path: "{{ dir }}", content: a }\n      when: dir is defined\n`);
    const prepared = prepareHost(pb, 0, { name: 'h1', vars: {}, groups: ['all'] }, {});
    expect(prepared.tasks[0].deferredError?.message).toMatch(/undefined variable "dir"/);
  });
});
