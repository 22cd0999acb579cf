/**
 * --limit against what `ansible all --limit P --list-hosts` 2.14 answered for real-world
 * inventories (../shared/corpus/ansible-inventories, each case's ansible-golden.json "limits"):
 * the same hosts in the same order, or an error where Ansible found none. Skipped, and says so,
 * where the corpus folder is absent.
 *
 * Two answers of Ansible's are not reproducible and are compared for what they fix:
 * - Where groups nest so that two groups of one level both have child groups, Ansible walks that
 *   level in Python set order (Group objects hash by id): the order changes from run to run.
 *   There the hosts are compared as a set (and a subscript by how many it picks).
 * - A term naming no host or group is ignored by Ansible with a warning; mtafleet refuses it
 *   (a typo must not widen or narrow a run): the test expects that refusal, naming the term.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInventory, selectHosts } from '../../../src/inventory/index.js';
import type { Inventory } from '../../../src/inventory/types.js';

const CORPUS = join(__dirname, '../../../../shared/corpus/ansible-inventories');

/**
 * Inventories mtafleet refuses, and the message that says why. Ansible 2.14 refuses each too:
 * its INI plugin fails with "Section [usa:children] includes undefined group: northeast" and
 * ansible-inventory answers "No inventory was parsed" (see its golden's stderr).
 */
const NOT_LOADED: Record<string, RegExp> = {
  'ansible-docs-usa-ini': /names group "northeast", which is not defined anywhere/,
  // Ansible: "Host pattern 1234 must be a string. Enclose integers/floats in quotation marks."
  'ansible-test-yaml-int-hostname': /host 1234 is read as a number, not a name; write it in quotes/,
};

interface Golden {
  limits?: Record<string, { hosts: string[] | null; rc: number; stderr: string }>;
}

const cases = existsSync(CORPUS) ? readdirSync(CORPUS).filter((d) => existsSync(join(CORPUS, d, 'ansible-golden.json'))) : [];
if (cases.length === 0) console.log(`corpus-limits: skipped, no corpus at ${CORPUS}`);

/** Ansible and mtafleet disagree on purpose here (see above): the limit, and the term mtafleet refuses or why. */
const DIVERGES: Record<string, Record<string, string>> = {
  // Ansible warns "Could not match supplied host pattern, ignoring: nova-compute" (cut from the golden's stderr).
  'kolla-multinode': { 'nova-compute,storage': '"nova-compute" names no host or group' },
};

/**
 * Whether Ansible's host order depends on Python's set order for some group: walking down from
 * it, one level holds two groups that both bring new child groups (see above).
 */
function orderIsArbitrary(inv: Inventory): boolean {
  for (const root of inv.groups.keys()) {
    const seen = new Set<string>([root]);
    let level = [...(inv.groups.get(root)?.children ?? [])];
    level.forEach((g) => seen.add(g));
    while (level.length > 0) {
      const withNew = level.filter((g) => (inv.groups.get(g)?.children ?? []).some((c) => !seen.has(c)));
      if (withNew.length >= 2) return true;
      const next = [...new Set(level.flatMap((g) => inv.groups.get(g)?.children ?? []))].filter((c) => !seen.has(c));
      next.forEach((g) => seen.add(g));
      level = next;
    }
  }
  return false;
}

describe.skipIf(cases.length === 0)('--limit as ansible --list-hosts 2.14 answers (corpus)', () => {
  for (const name of cases) {
    const dir = join(CORPUS, name);
    const golden = JSON.parse(readFileSync(join(dir, 'ansible-golden.json'), 'utf8')) as Golden;
    const meta = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as { inventory: string };
    const invFile = join(dir, meta.inventory);
    const limits = Object.entries(golden.limits ?? {});
    if (limits.length === 0) continue;

    if (NOT_LOADED[name]) {
      it(`${name}: refused, as Ansible refuses it, with a clear message`, async () => {
        expect(JSON.stringify(golden), 'Ansible refused it too').toMatch(/No inventory was parsed|must be a string/);
        await expect(loadInventory(invFile)).rejects.toThrow(NOT_LOADED[name]!);
      });
      continue;
    }
    for (const [limit, want] of limits) {
      it(`${name}: --limit ${limit}`, async () => {
        let inv: Inventory;
        try {
          inv = await loadInventory(invFile);
        } catch (err) {
          // A vaulted inventory needs its password (the vault tests cover it).
          expect(String(err)).toMatch(/vault/i);
          return;
        }
        const run = () => selectHosts(inv, limit.startsWith('@') ? `@${join(dir, limit.slice(1))}` : limit).map((h) => h.name);
        const ignored = /Could not match supplied host pattern, ignoring: (\S+)/.exec(want.stderr);
        const diverges = DIVERGES[name]?.[limit];
        if (diverges) {
          expect(run).toThrow(diverges);
        } else if (ignored && want.rc === 0) {
          expect(run).toThrow(`"${ignored[1]}" names no host or group`);
        } else if (want.rc !== 0 || !want.hosts || want.hosts.length === 0) {
          expect(run).toThrow();
        } else if (!orderIsArbitrary(inv)) {
          expect(run()).toEqual(want.hosts);
        } else if (/\[-?\d+(?:[:-]\d*)?\]$/.test(limit)) {
          expect(run()).toHaveLength(want.hosts.length);
        } else {
          expect([...run()].sort()).toEqual([...want.hosts].sort());
        }
      });
    }
  }
});
