/**
 * loop / with_items / loop_control as Ansible reads them: one task per item per host, the item
 * in the task's variables (and its `when`), names "NAME (item=LABEL)"; handlers keep their name
 * so a notify reaches every item; bad loops refused with file, line, task and host.
 */
import { describe, expect, it } from 'vitest';
import { prepareHost } from '../../../src/engine/prepare.js';
import type { InventoryHost } from '../../../src/inventory/types.js';
import { parsePlaybook } from '../../../src/playbook/load.js';
import { MAX_LOOP_ITEMS } from '../../../src/playbook/loop.js';
import { PlaybookError } from '../../../src/util/errors.js';
import { problems } from './problems.js';

const host: InventoryHost = { name: 'mta01', vars: { domains: ['gmail.com', 'yahoo.com'], nested: [['a', 'b'], 'c'] }, groups: ['all', 'mta'] };
const prepared = (text: string) => prepareHost(parsePlaybook('/pb.yaml', text), 0, host, {});

describe('loop', () => {
  it('expands a literal list, a templated list, with_items (flattened once) and loop_var, per host', () => {
    const p = prepared(`- hosts: all
  vars: { limit: 40 }
  tasks:
    - name: limit
      pmta-config: { block: "domain {{ item }}", directives: { max-smtp-out: "{{ limit }}" } }
      loop: "{{ domains }}"
    - name: touch
      command: { argv: [touch, "/tmp/{{ f }}"] }
      loop: [x, "{{ limit }}"]
      loop_control: { loop_var: f }
    - name: flat
      command: { argv: [echo, "{{ item }}"] }
      with_items: "{{ nested }}"
`);
    expect(p.tasks.map((t) => t.def.name)).toEqual(['limit (item=gmail.com)', 'limit (item=yahoo.com)', 'touch (f=x)', 'touch (f=40)', 'flat (item=a)', 'flat (item=b)', 'flat (item=c)']);
    expect(p.tasks.map((t) => t.params)).toEqual([
      { block: "domain gmail.com", directives: { "max-smtp-out": "40" }, file: "/etc/pmta/config", state: "present", testFirst: false },
      { block: "domain yahoo.com", directives: { "max-smtp-out": "40" }, file: "/etc/pmta/config", state: "present", testFirst: false },
      { argv: ['touch', '/tmp/x'] },
      { argv: ['touch', '/tmp/40'] },
      { argv: ['echo', 'a'] },
      { argv: ['echo', 'b'] },
      { argv: ['echo', 'c'] },
    ]);
  });

  it('a handler with a loop keeps its name on every item, so its notify reaches them all', () => {
    const p = prepared(`- hosts: all
  tasks:
    - { name: conf, command: "true", notify: restart }
  handlers:
    - name: restart
      command: { argv: [systemctl, restart, "{{ item }}"] }
      loop: [pmta, pmtahttp]
`);
    expect(p.handlers.map((h) => [h.def.name, h.params])).toEqual([
      ['restart', { argv: ['systemctl', 'restart', 'pmta'] }],
      ['restart', { argv: ['systemctl', 'restart', 'pmtahttp'] }],
    ]);
  });

  it('when sees the item', () => {
    const p = prepared(`- hosts: all
  tasks:
    - name: only gmail
      command: { argv: [echo, "{{ item }}"] }
      loop: "{{ domains }}"
      when: item == 'gmail.com'
`);
    expect(p.tasks.map((t) => t.def.vars.item)).toEqual(['gmail.com', 'yahoo.com']);
    expect(p.tasks[0]!.def.when.length).toBe(1);
  });

  it.each([
    ['a template that is not a list', 'loop: "{{ host_limit }}"\n  vars: { host_limit: 5 }', /\/pb\.yaml:\d+: task "t" on mta01: loop: must give a list, got number/],
    ['an undefined variable', 'loop: "{{ nope }}"', /task "t" on mta01: loop: .*nope/],
  ])('%s is refused naming file, line, task and host', (_what, lines, message) => {
    const [loop, vars] = lines.split('\n');
    const text = `- hosts: all\n${vars ? `${vars}\n` : ''}  tasks:\n    - name: t\n      command: "true"\n      ${loop}\n`;
    expect(() => prepared(text)).toThrow(PlaybookError);
    expect(() => prepared(text)).toThrow(message);
  });

  it(`more than ${MAX_LOOP_ITEMS} items is refused`, () => {
    const big = { ...host, vars: { many: Array.from({ length: MAX_LOOP_ITEMS + 1 }, (_, i) => i) } };
    const pb = parsePlaybook('/pb.yaml', `- hosts: all\n  tasks:\n    - name: t\n      command: "true"\n      loop: "{{ many }}"\n`);
    expect(() => prepareHost(pb, 0, big, {})).toThrow(/1001 items, more than the 1000/);
  });

  it('register with a loop, loop with with_items, and loop_control alone are refused at load', () => {
    expect(problems(`- hosts: all\n  tasks:\n    - command: "true"\n      loop: [a]\n      register: r\n`)).toMatch(/register with a loop/);
    expect(problems(`- hosts: all\n  tasks:\n    - command: "true"\n      loop: [a]\n      with_items: [b]\n`)).toMatch(/give loop or with_items, not both/);
    expect(problems(`- hosts: all\n  tasks:\n    - command: "true"\n      loop_control: { loop_var: x }\n`)).toMatch(/loop_control goes with loop or with_items/);
  });
});
