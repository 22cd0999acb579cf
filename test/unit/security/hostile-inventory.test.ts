/**
 * Issue #13 item 6 for operator input: ansible-inventory (Python dicts) takes hosts, groups
 * and variables named `__proto__`, `constructor`, `toString`...; mtafleet must too. They
 * once crashed the loader (a variable `toString` found Object.prototype.toString as its
 * schema: "internal error", exit 70) or vanished from `--list` (a host `__proto__` became
 * the prototype of hostvars).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inventoryGraph, inventoryToAnsibleList, parseInventory, selectHosts } from '../../../src/inventory/index.js';
import { resolveConnectionSpec } from '../../../src/transport/spec.js';
import { HOSTILE_KEYS, prototypeSnapshot } from '../../helpers/hostile-keys.js';

let before: Map<string, unknown>;
beforeEach(() => {
  before = prototypeSnapshot();
});
afterEach(() => {
  expect(prototypeSnapshot()).toEqual(before);
});

// Group names may not hold the characters host patterns use; all of these are fine.
const YAML = `all:
  hosts:
${HOSTILE_KEYS.map((k, j) => `    ${k}:\n      ansible_host: 10.0.0.${j + 1}\n      ${k}: host-${j}`).join('\n')}
  children:
${HOSTILE_KEYS.map((k) => `    g${k}:\n      hosts:\n        ${k}:\n      vars:\n        ${k}: group\n        ansible_user: u${k}`).join('\n')}
    constructor:
      children:
${HOSTILE_KEYS.map((k) => `        g${k}:`).join('\n')}
`;

const INI = `${HOSTILE_KEYS.map((k, j) => `${k} ansible_host=10.0.0.${j + 1} ${k}=host-${j}`).join('\n')}
${HOSTILE_KEYS.map((k) => `[g${k}]\n${k}\n[g${k}:vars]\n${k}=group\nansible_user=u${k}`).join('\n')}
[constructor:children]
${HOSTILE_KEYS.map((k) => `g${k}`).join('\n')}
`;

describe.each([
  ['yaml', YAML, 'inv.yaml'],
  ['ini', INI, 'inv.ini'],
])('a %s inventory whose hosts, groups and variables have prototype names', (_format, text, file) => {
  it('loads every host with its own variables and connection', () => {
    const inv = parseInventory(text, file);
    expect([...inv.hosts.keys()].sort()).toEqual([...HOSTILE_KEYS].sort());
    HOSTILE_KEYS.forEach((k, j) => {
      const host = inv.hosts.get(k)!;
      // Host variables beat group variables of the same name.
      expect(Object.getOwnPropertyDescriptor(host.vars, k)?.value).toBe(`host-${j}`);
      expect(host.groups).toEqual(expect.arrayContaining(['all', `g${k}`, 'constructor']));
      const spec = resolveConnectionSpec(host);
      expect(spec).toMatchObject({ name: k, host: `10.0.0.${j + 1}`, user: `u${k}`, port: 22 });
    });
  });

  it('selects them by name and by group (--limit)', () => {
    const inv = parseInventory(text, file);
    for (const k of HOSTILE_KEYS) {
      // "constructor" names a host and the group of all hosts: the host, as in Ansible (host names first).
      expect(selectHosts(inv, k).map((h) => h.name)).toEqual([k]);
      expect(selectHosts(inv, `g${k}`).map((h) => h.name)).toEqual([k]);
    }
    // A glob reaches the group "constructor" (all hosts) as well as the host.
    expect(selectHosts(inv, 'constructo?').map((h) => h.name).sort()).toEqual([...HOSTILE_KEYS].sort());
    expect(selectHosts(inv, 'constructo?:!__proto__').map((h) => h.name).sort()).toEqual(HOSTILE_KEYS.filter((k) => k !== '__proto__').sort());
  });

  it('lists them all in --list JSON and --graph, like ansible-inventory', () => {
    const inv = parseInventory(text, file);
    const list = JSON.parse(JSON.stringify(inventoryToAnsibleList(inv))) as { _meta: { hostvars: Record<string, Record<string, unknown>> } } & Record<string, { hosts?: string[]; children?: string[] }>;
    expect(Object.keys(list._meta.hostvars).sort()).toEqual([...HOSTILE_KEYS].sort());
    HOSTILE_KEYS.forEach((k, j) => {
      const vars = Object.getOwnPropertyDescriptor(list._meta.hostvars, k)?.value as Record<string, unknown>;
      expect(Object.getOwnPropertyDescriptor(vars, k)?.value).toBe(`host-${j}`);
      expect(vars['ansible_user']).toBe(`u${k}`);
      expect(Object.getOwnPropertyDescriptor(list, `g${k}`)?.value).toEqual({ hosts: [k] });
    });
    expect(Object.getOwnPropertyDescriptor(list, 'constructor')?.value).toEqual({ children: HOSTILE_KEYS.map((k) => `g${k}`) });
    const graph = inventoryGraph(inv, undefined, { vars: true });
    for (const k of HOSTILE_KEYS) {
      expect(graph).toContain(`|--${k}\n`);
      expect(graph).toContain(`{${k} = host-${k === HOSTILE_KEYS[0] ? 0 : HOSTILE_KEYS.indexOf(k)}}`);
    }
  });
});
