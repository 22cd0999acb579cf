/**
 * mtafleet's inventory renderings against output captured from the real ansible-inventory
 * (test/fixtures/inventory/ansible-2.14/). Group trees must match exactly; variables must
 * match except where mtafleet types them on purpose (test/helpers/ansible-differences.ts).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { inventoryGraph, inventoryToAnsibleList, loadInventory, selectHosts } from '../../../src/inventory/index.js';
import { typedLikeMtafleet } from '../../helpers/ansible-differences.js';

const fixtures = join(__dirname, '../../fixtures/inventory');
const captured = (name: string) => readFileSync(join(fixtures, 'ansible-2.14', name), 'utf8');

type List = Record<string, unknown> & { _meta: { hostvars: Record<string, Record<string, unknown>> } };

describe.each(['nested.ini', 'nested.yaml', 'with-vars-dirs/hosts.ini'])('%s matches ansible-inventory 2.14', (file) => {
  const capturedName = file.replace(/\//g, '_');
  const load = () => loadInventory(join(fixtures, file));

  it('--graph is identical', async () => {
    const inv = await load();
    expect(inventoryGraph(inv, selectHosts(inv))).toBe(captured(`${capturedName}.graph.txt`));
  });

  it('--list has the same groups and the same variables, typed', async () => {
    const inv = await load();
    const mine = inventoryToAnsibleList(inv, selectHosts(inv)) as List;
    const theirs = JSON.parse(captured(`${capturedName}.list.json`)) as List;
    const { _meta: myMeta, ...myGroups } = mine;
    const { _meta: theirMeta, ...theirGroups } = theirs;
    expect(myGroups).toEqual(theirGroups);
    const dir = dirname(join(fixtures, file));
    const expected = Object.fromEntries(
      Object.entries(theirMeta.hostvars).map(([host, vars]) => [host, Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, typedLikeMtafleet(k, v, dir)]))]),
    );
    expect(myMeta.hostvars).toEqual(expected);
  });
});

it('--graph --vars matches, but for typed values', async () => {
  const inv = await loadInventory(join(fixtures, 'nested.yaml'));
  const theirs = captured('nested.yaml.graph-vars.txt').replaceAll('{ansible_become = yes}', '{ansible_become = True}');
  expect(inventoryGraph(inv, selectHosts(inv), { vars: true })).toBe(theirs);
});
