import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { inventoryGraph, inventoryToAnsibleList, loadInventory, parseInventory, selectHosts } from '../../../src/inventory/index.js';

const fixtures = join(__dirname, '../../fixtures/inventory');

const small = parseInventory(
  `
all:
  vars: { ansible_user: deploy }
  hosts: { solo: }
  children:
    mta:
      vars: { tier: mta }
      children:
        pool_gmail: { hosts: { mta02: { ansible_port: 2222 }, mta01: } }
    dc_fra: { hosts: { mta01: } }
`,
  'small.yaml',
);

describe('inventoryToAnsibleList', () => {
  it('has the shape of ansible-inventory --list', () => {
    expect(inventoryToAnsibleList(small, selectHosts(small))).toEqual({
      _meta: {
        hostvars: {
          solo: { ansible_user: 'deploy' },
          mta02: { ansible_user: 'deploy', tier: 'mta', ansible_port: 2222 },
          mta01: { ansible_user: 'deploy', tier: 'mta' },
        },
      },
      all: { children: ['ungrouped', 'mta', 'dc_fra'] },
      ungrouped: { hosts: ['solo'] },
      mta: { children: ['pool_gmail'] },
      pool_gmail: { hosts: ['mta02', 'mta01'] },
      dc_fra: { hosts: ['mta01'] },
    });
  });

  it('keeps only selected hosts and drops groups left empty', () => {
    const list = inventoryToAnsibleList(small, selectHosts(small, 'mta02'));
    expect(Object.keys((list._meta as { hostvars: object }).hostvars)).toEqual(['mta02']);
    expect(list.pool_gmail).toEqual({ hosts: ['mta02'] });
    expect(list).not.toHaveProperty('dc_fra');
    expect(list).not.toHaveProperty('ungrouped');
    expect(list.all).toEqual({ children: ['ungrouped', 'mta', 'dc_fra'] });
  });

  it('never lets a secret out, in JSON or in util.inspect', async () => {
    const inv = await loadInventory(join(fixtures, 'secrets.yaml'));
    const list = inventoryToAnsibleList(inv, selectHosts(inv));
    const text = `${JSON.stringify(list)} ${inspect(list, { depth: 10 })} ${inventoryGraph(inv, selectHosts(inv), { vars: true })}`;
    for (const secret of ['hunter2-group', 's3cret-ssh', 'tok-123456', 'smtp-pass-789', '918273']) expect(text).not.toContain(secret);
    const mta01 = (list._meta as { hostvars: Record<string, Record<string, unknown>> }).hostvars.mta01;
    expect(mta01.ansible_become_password).toBe('***');
    expect(mta01.smtp).toEqual({ password: '***', user: 'relay' });
  });
});

describe('inventoryGraph', () => {
  it('draws the tree like ansible-inventory --graph, in inventory order', () => {
    expect(inventoryGraph(small, selectHosts(small))).toBe(
      ['@all:', '  |--@ungrouped:', '  |  |--solo', '  |--@mta:', '  |  |--@pool_gmail:', '  |  |  |--mta02', '  |  |  |--mta01', '  |--@dc_fra:', '  |  |--mta01', ''].join('\n'),
    );
  });

  it('with a limit, shows only the selected hosts and the groups leading to them', () => {
    expect(inventoryGraph(small, selectHosts(small, 'pool_gmail:&dc_fra'))).toBe(
      ['@all:', '  |--@mta:', '  |  |--@pool_gmail:', '  |  |  |--mta01', '  |--@dc_fra:', '  |  |--mta01', ''].join('\n'),
    );
  });

  it('prints variable values as Ansible (Python) does', () => {
    const inv = parseInventory("all:\n  hosts:\n    a:\n      t: true\n      f: no\n      none: ~\n      list: [x, 2]\n      map: {k: \"it's\", q: 'say \"hi\"'}\n", 'v.yaml');
    expect(inventoryGraph(inv, selectHosts(inv), { vars: true })).toContain(
      ['  |  |--a', '  |  |  |--{f = False}', "  |  |  |--{list = ['x', 2]}", `  |  |  |--{map = {'k': "it's", 'q': 'say "hi"'}}`, '  |  |  |--{none = None}', '  |  |  |--{t = True}'].join('\n'),
    );
  });

  it('with vars, lists host and group variables under them', () => {
    const graph = inventoryGraph(small, selectHosts(small, 'mta02'), { vars: true });
    expect(graph).toBe(
      [
        '@all:',
        '  |--@mta:',
        '  |  |--@pool_gmail:',
        '  |  |  |--mta02',
        '  |  |  |  |--{ansible_port = 2222}',
        '  |  |  |  |--{ansible_user = deploy}',
        '  |  |  |  |--{tier = mta}',
        '  |  |--{tier = mta}',
        '  |--{ansible_user = deploy}',
        '',
      ].join('\n'),
    );
  });
});
