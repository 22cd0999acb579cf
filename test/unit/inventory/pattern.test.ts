import { describe, expect, it } from 'vitest';
import { parseInventory, selectHosts } from '../../../src/inventory/index.js';
import { InventoryError } from '../../../src/util/errors.js';

const inv = parseInventory(
  `
all:
  hosts: { solo: }
  children:
    mta:
      children:
        pool_gmail: { hosts: { mta01: , mta02: , mta05: } }
        pool_microsoft: { hosts: { mta03: , mta06: } }
    dc_fra: { hosts: { mta01: , mta02: , mta03: } }
    dc_ams: { hosts: { mta05: , mta06: , bastion.ams.example.net: } }
    spare: {}
`,
  'fleet.yaml',
);

const names = (pattern?: string) => selectHosts(inv, pattern).map((h) => h.name);
const everyone = ['solo', 'mta01', 'mta02', 'mta05', 'mta03', 'mta06', 'bastion.ams.example.net'];

describe('selectHosts (Ansible --limit)', () => {
  it.each<[string | undefined, string[]]>([
    [undefined, everyone],
    ['all', everyone],
    ['*', everyone],
    ['mta01', ['mta01']],
    ['pool_gmail', ['mta01', 'mta02', 'mta05']],
    ['mta', ['mta01', 'mta02', 'mta05', 'mta03', 'mta06']],
    ['ungrouped', ['solo']],
    ['mta0*', ['mta01', 'mta02', 'mta05', 'mta03', 'mta06']],
    ['*.example.net', ['bastion.ams.example.net']],
    ['mta0[12]', ['mta01', 'mta02']],
    ['mta0[!12]', ['mta05', 'mta03', 'mta06']],
    ['mta0?', ['mta01', 'mta02', 'mta05', 'mta03', 'mta06']],
    ['pool_*', ['mta01', 'mta02', 'mta05', 'mta03', 'mta06']],
    ['dc_fra:dc_ams', ['mta01', 'mta02', 'mta05', 'mta03', 'mta06', 'bastion.ams.example.net']],
    ['dc_fra,dc_ams', ['mta01', 'mta02', 'mta05', 'mta03', 'mta06', 'bastion.ams.example.net']],
    ['mta06:mta01', ['mta01', 'mta06']],
    ['pool_gmail:&dc_fra', ['mta01', 'mta02']],
    ['pool_gmail,&dc_fra', ['mta01', 'mta02']],
    ['mta:!dc_ams', ['mta01', 'mta02', 'mta03']],
    ['!dc_ams', ['solo', 'mta01', 'mta02', 'mta03']],
    ['&dc_fra', ['mta01', 'mta02', 'mta03']],
    ['!dc_ams:mta', ['mta01', 'mta02', 'mta03']],
    ['&pool_gmail:dc_fra:dc_ams:!mta05', ['mta01', 'mta02']],
    ['all:!mta:!solo', ['bastion.ams.example.net']],
    ['mta01:spare', ['mta01']],
    ['~mta0[1-3]', ['mta01', 'mta02', 'mta03']],
    ['~.*example', ['bastion.ams.example.net']],
    ['~pool_(gmail|microsoft)', ['mta01', 'mta02', 'mta05', 'mta03', 'mta06']],
    [' pool_gmail : &dc_fra ', ['mta01', 'mta02']],
  ])('%s', (pattern, expected) => {
    expect(names(pattern)).toEqual(expected);
  });

  it('returns the inventory host objects with their vars', () => {
    const [host] = selectHosts(inv, 'mta01');
    expect(host).toBe(inv.hosts.get('mta01'));
  });

  it('a pattern that matches nothing is an InventoryError listing the known groups', () => {
    expect(() => selectHosts(inv, 'typo')).toThrow(InventoryError);
    expect(() => selectHosts(inv, 'typo')).toThrow('--limit "typo" matches no host; known groups: all, dc_ams, dc_fra, mta, pool_gmail, pool_microsoft, spare, ungrouped');
    expect(() => selectHosts(inv, 'nomatch*')).toThrow('--limit "nomatch*" matches no host;');
    expect(() => selectHosts(inv, 'spare')).toThrow('--limit "spare" matches no host;');
  });

  it('a term naming nothing is an error even beside good terms (a typo must not widen a run)', () => {
    expect(() => selectHosts(inv, 'pool_gmail:typo')).toThrow('--limit "pool_gmail:typo" matches no host ("typo" names no host or group)');
    expect(() => selectHosts(inv, 'all:!dc_amz')).toThrow('("dc_amz" names no host or group)');
  });

  it('an empty intersection is an error', () => {
    expect(() => selectHosts(inv, 'pool_gmail:&pool_microsoft')).toThrow('--limit "pool_gmail:&pool_microsoft" matches no host');
  });

  it('rejects a bad regular expression and an empty pattern', () => {
    expect(() => selectHosts(inv, '~mta(')).toThrow('is not a valid regular expression');
    expect(() => selectHosts(inv, ' , ')).toThrow('is empty');
  });
});
