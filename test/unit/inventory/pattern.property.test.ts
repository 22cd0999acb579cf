import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseInventory, selectHosts } from '../../../src/inventory/index.js';
import { InventoryError } from '../../../src/util/errors.js';

const HOSTS = ['h0', 'h1', 'h2', 'h3', 'h4', 'h5'];
const GROUPS = ['ga', 'gb', 'gc'];

/** An inventory (as JSON, which is YAML) where each group holds the given hosts. */
function inventoryOf(members: boolean[][]) {
  const children: Record<string, { hosts: Record<string, null> }> = {};
  GROUPS.forEach((g, gi) => {
    children[g] = { hosts: Object.fromEntries(HOSTS.filter((_, hi) => members[gi][hi]).map((h) => [h, null])) };
  });
  return parseInventory(JSON.stringify({ all: { hosts: Object.fromEntries(HOSTS.map((h) => [h, null])), children } }), 'p.yaml');
}

describe('selectHosts agrees with set algebra in inventory order', () => {
  it('a:b, a:&b, a:!b and three-term mixes', () => {
    const membership = fc.array(fc.array(fc.boolean(), { minLength: HOSTS.length, maxLength: HOSTS.length }), { minLength: 3, maxLength: 3 });
    const term = fc.record({ op: fc.constantFrom('', '&', '!'), group: fc.constantFrom(...GROUPS) });
    fc.assert(
      fc.property(membership, fc.constantFrom(...GROUPS), fc.array(term, { maxLength: 3 }), (members, first, rest) => {
        const inv = inventoryOf(members);
        const inGroup = (g: string) => new Set(HOSTS.filter((_, hi) => members[GROUPS.indexOf(g)][hi]));
        // Ansible: unions, then intersections, then exclusions, whatever the written order.
        let expected = new Set<string>(inGroup(first));
        for (const t of rest.filter((t) => t.op === '')) for (const h of inGroup(t.group)) expected.add(h);
        for (const t of rest.filter((t) => t.op === '&')) expected = new Set([...expected].filter((h) => inGroup(t.group).has(h)));
        for (const t of rest.filter((t) => t.op === '!')) for (const h of inGroup(t.group)) expected.delete(h);
        const pattern = [first, ...rest.map((t) => `${t.op}${t.group}`)].join(':');
        const want = HOSTS.filter((h) => expected.has(h));
        if (want.length === 0) {
          expect(() => selectHosts(inv, pattern)).toThrow(InventoryError);
        } else {
          expect(selectHosts(inv, pattern).map((h) => h.name)).toEqual(want);
        }
      }),
      { numRuns: 300 },
    );
  });
});
