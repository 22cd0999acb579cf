/**
 * --limit and play patterns against Ansible itself: each pattern's hosts, in order, as
 * Debian's ansible-core 2.14 selects them for `ansible all --limit P` (selectHosts) and for
 * `ansible P` (patternHosts), asked through its own InventoryManager (test/helpers/ansible-hosts.py).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseInventory, selectHosts } from '../../../src/inventory/index.js';
import { patternHosts } from '../../../src/inventory/pattern.js';
import { InventoryError } from '../../../src/util/errors.js';

const TEXT = `
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
`;
const inv = parseInventory(TEXT, 'fleet.yaml');
const dir = mkdtempSync(join(tmpdir(), 'mtaf-pattern-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'fleet.yaml'), TEXT);
writeFileSync(join(dir, 'retry.txt'), 'mta03\n\nsolo\n');

/** Ansible's answers for many patterns in one process. */
export function askAnsible(inventoryFile: string, patterns: string[]): Record<string, { limit: string[] | null; pattern: string[] | null }> {
  const r = spawnSync('/usr/bin/python3', [join(__dirname, '../../helpers/ansible-hosts.py'), inventoryFile], { input: JSON.stringify(patterns), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ansible-hosts.py failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const names = (pattern?: string) => selectHosts(inv, pattern).map((h) => h.name);
const PATTERNS = [
  'all', '*', 'mta01', 'pool_gmail', 'mta', 'ungrouped', 'mta0*', '*.example.net', 'mta0?', 'mta0[!12]', 'pool_*',
  'dc_fra:dc_ams', 'dc_fra,dc_ams', 'dc_ams:dc_fra', 'mta06:mta01', 'pool_gmail:&dc_fra', 'pool_gmail,&dc_fra', 'mta:!dc_ams',
  '!dc_ams', '&dc_fra', '!dc_ams:mta', '&pool_gmail:dc_fra:dc_ams:!mta05', 'all:!mta:!solo', 'mta01:spare', '~mta0[1-3]',
  '~.*example', '~pool_(gmail|microsoft)', 'mta[0]', 'mta[-1]', 'mta[1:]', 'mta[0:2]', 'mta[1:3]:solo', 'dc_ams[1]:&dc_fra',
  'mta0[12]', 'mta[9]', 'mta[-2:]', 'mta[-9]', 'mta[3:0]', 'mta[1-2]', 'mta[7:9]:solo', 'mta[4:9]', `@${join(dir, 'retry.txt')}`,
];
const ANSIBLE = askAnsible(join(dir, 'fleet.yaml'), PATTERNS);

describe('selectHosts and patternHosts = what Ansible 2.14 selects', () => {
  it.each(PATTERNS)('%s', (pattern) => {
    const want = ANSIBLE[pattern]!;
    if (want.limit) expect(names(pattern), 'ansible all --limit').toEqual(want.limit);
    else expect(() => names(pattern), 'ansible all --limit finds no host').toThrow(InventoryError);
    if (want.pattern) expect(patternHosts(inv, pattern).map((h) => h.name), 'ansible PATTERN').toEqual(want.pattern);
    else if (!pattern.startsWith('@')) expect(() => patternHosts(inv, pattern)).toThrow(InventoryError);
  });

  it('with no pattern, every host in the order of group all', () => {
    expect(names()).toEqual(ANSIBLE.all!.limit);
  });
});

describe('selectHosts (Ansible --limit)', () => {
  it(' pool_gmail : &dc_fra  (spaces around terms)', () => {
    expect(names(' pool_gmail : &dc_fra ')).toEqual(['mta01', 'mta02']);
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
