/**
 * The inventory compatibility suite (issue #15 item 4): `mtafleet inventory -i X --list` and
 * `--graph` against Debian's `ansible-inventory` 2.14 run live on the same inventory
 * (test/helpers/ansible-inventory.py), compared on hosts, groups, merged variables and their
 * types, and the graph text. Inventories: the project's own (test/fixtures/inventory/compat/,
 * one or more per rule: INI value typing, inventory directories, templated connection
 * variables, undefined child groups, integer YAML host keys) and, when the folder exists, the
 * 35 real-world ones of ../shared/corpus/ansible-inventories (skipped, and says so, without it).
 *
 * Where mtafleet differs on purpose, the expected variables come from
 * test/helpers/ansible-differences.ts (the one list of deliberate differences). Where Ansible
 * refuses an inventory, mtafleet must refuse it too (exit 1, file and line in the message).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildOnce, runCli, type CliResult } from '../../helpers/cli.js';
import { hostvarsLikeMtafleet } from '../../helpers/ansible-differences.js';
import { loadInventory, selectHosts } from '../../../src/inventory/index.js';

const OWN = join(__dirname, '../../fixtures/inventory/compat');
const CORPUS = join(__dirname, '../../../../shared/corpus/ansible-inventories');

type Expectation =
  | { kind: 'same' }
  /** Ansible refuses it ("Unable to parse ... as an inventory source"); mtafleet exits 1 saying this. */
  | { kind: 'both-refuse'; mine: RegExp }
  /** Ansible lists it; mtafleet refuses it on purpose, saying this (why: the reason). */
  | { kind: 'mtafleet-refuses'; mine: RegExp; why: string }
  | { kind: 'skip'; why: string };

interface Case {
  name: string;
  path: string;
  expect: Expectation;
}

const OWN_CASES: Case[] = [
  { name: 'ini-values.ini', path: join(OWN, 'ini-values.ini'), expect: { kind: 'same' } },
  { name: 'dir/ (inventory directory)', path: join(OWN, 'dir'), expect: { kind: 'same' } },
  { name: 'dir-sibling/inv (group_vars beside a directory: not read)', path: join(OWN, 'dir-sibling/inv'), expect: { kind: 'same' } },
  { name: 'templated.ini', path: join(OWN, 'templated.ini'), expect: { kind: 'same' } },
  { name: 'templated.yml', path: join(OWN, 'templated.yml'), expect: { kind: 'same' } },
  { name: 'children-undefined.ini', path: join(OWN, 'children-undefined.ini'), expect: { kind: 'both-refuse', mine: /children-undefined\.ini:8: .*names group "northeast", which is not defined anywhere/ } },
  { name: 'int-host.yml', path: join(OWN, 'int-host.yml'), expect: { kind: 'both-refuse', mine: /int-host\.yml:6: .*host 1234 is read as a number, not a name; write it in quotes/ } },
  {
    name: 'templated-undefined.ini',
    path: join(OWN, 'templated-undefined.ini'),
    expect: {
      kind: 'mtafleet-refuses',
      mine: /templated-undefined\.ini:7: .*host "mta02": ansible_host "\{\{ myhost \}\}": undefined variable "myhost"/,
      why: 'ansible-inventory does not template; Ansible fails on mta02 only when it connects. mtafleet checks connection variables at load.',
    },
  },
];

/** Corpus cases that are not compared as "same", and why. */
const CORPUS_EXPECT: Record<string, Expectation> = {
  'ansible-docs-usa-ini': { kind: 'both-refuse', mine: /hosts:21: .*names group "northeast", which is not defined anywhere/ },
  'ansible-test-yaml-int-hostname': { kind: 'both-refuse', mine: /host 1234 is read as a number, not a name/ },
  'ansible-vault-inline': { kind: 'skip', why: 'Ansible Vault: covered by the vault work (src/inventory/vault.ts)' },
  'ansible-vault-invalid-format': { kind: 'skip', why: 'Ansible Vault: covered by the vault work' },
  'ansible-vaulted-inventory': { kind: 'skip', why: 'Ansible Vault: covered by the vault work' },
  noisebridge: { kind: 'skip', why: 'Ansible Vault (group_vars/all/vault): covered by the vault work' },
  'noisebridge-novault': { kind: 'skip', why: 'inline !vault values in host_vars: covered by the vault work' },
};

function corpusCases(): Case[] {
  if (!existsSync(CORPUS)) return [];
  return readdirSync(CORPUS)
    .filter((d) => existsSync(join(CORPUS, d, 'case.json')))
    .map((d) => {
      const meta = JSON.parse(readFileSync(join(CORPUS, d, 'case.json'), 'utf8')) as { inventory: string };
      return { name: d, path: join(CORPUS, d, meta.inventory), expect: CORPUS_EXPECT[d] ?? { kind: 'same' } };
    });
}

interface Run {
  rc: number;
  stdout: string;
  stderr: string;
}

function askAnsible(paths: string[]): Array<{ list: Run; graph: Run }> {
  const r = spawnSync('/usr/bin/python3', [join(__dirname, '../../helpers/ansible-inventory.py')], { input: JSON.stringify(paths), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`ansible-inventory.py failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Array<{ list: Run; graph: Run }>;
}

const ansibleRefused = (run: Run) => run.rc !== 0 || /Unable to parse .* as an inventory source|No inventory was parsed/.test(run.stderr);

type List = Record<string, unknown> & { _meta: { hostvars: Record<string, Record<string, unknown>> } };

const corpus = corpusCases();
if (corpus.length === 0) console.log(`ansible-compat: corpus part skipped, no corpus at ${CORPUS}`);
const cases = [...OWN_CASES, ...corpus];
const compared = cases.filter((c) => c.expect.kind !== 'skip');

buildOnce();
const ansible = askAnsible(compared.map((c) => c.path));
const theirs = new Map(compared.map((c, i) => [c, ansible[i]]));
const env = { ...process.env, NO_COLOR: '1' };
const mtafleet = new Map<Case, Promise<{ list: CliResult; graph: CliResult }>>();
/** Two CLI runs at a time (the machine is shared). */
let chain: Array<Promise<unknown>> = [Promise.resolve(), Promise.resolve()];
compared.forEach((c, i) => {
  const slot = i % 2;
  const p = chain[slot].then(async () => ({
    list: await runCli(['inventory', '-i', c.path, '--list'], env),
    graph: await runCli(['inventory', '-i', c.path, '--graph'], env),
  }));
  chain[slot] = p;
  mtafleet.set(c, p);
});

describe('mtafleet inventory --list/--graph against ansible-inventory 2.14, live', () => {
  for (const c of cases) {
    const e = c.expect;
    if (e.kind === 'skip') {
      it.skip(`${c.name}: skipped (${e.why})`, () => {});
      continue;
    }
    it(`${c.name}: ${e.kind}`, async () => {
      const a = theirs.get(c)!;
      const mine = await mtafleet.get(c)!;
      if (e.kind === 'both-refuse') {
        expect(ansibleRefused(a.list), `Ansible refuses it: ${a.list.stderr}`).toBe(true);
        expect(mine.list.code).toBe(1);
        expect(mine.list.stderr).toMatch(e.mine);
        expect(mine.list.stderr).not.toMatch(/\n\s+at /); // no stack trace
        return;
      }
      expect(ansibleRefused(a.list), `Ansible lists it: ${a.list.stderr}`).toBe(false);
      if (e.kind === 'mtafleet-refuses') {
        expect(mine.list.code).toBe(1);
        expect(mine.list.stderr).toMatch(e.mine);
        return;
      }
      expect(mine.list.stderr).toBe('');
      expect(mine.list.code).toBe(0);
      expect(mine.graph.code).toBe(0);
      const my = JSON.parse(mine.list.stdout) as List;
      const their = JSON.parse(a.list.stdout) as List;
      const { _meta: myMeta, ...myGroups } = my;
      const { _meta: theirMeta, ...theirGroups } = their;
      expect(myGroups, 'groups: hosts and children').toEqual(theirGroups);
      const dir = statSync(c.path).isDirectory() ? c.path : dirname(c.path);
      const expected = Object.fromEntries(Object.entries(theirMeta.hostvars).map(([h, vars]) => [h, hostvarsLikeMtafleet(h, vars, dir)]));
      expect(myMeta.hostvars, 'merged variables, typed').toEqual(expected);
      expect(mine.graph.stdout, '--graph').toBe(a.graph.stdout);
    });
  }
});

/** --limit on the project's own inventories, as `ansible all --limit P --list-hosts` answers (test/helpers/ansible-hosts.py). */
const LIMITS: Record<string, string[]> = {
  dir: ['all', 'mta', 'edge', 'relay', 'mta:!mta02', 'relay[0]', 'mta[-1]', 'mta*,relay02', 'mta:&all', 'ungrouped'],
  'templated.ini': ['all', 'mta[1:]', '~mta0[12]'],
  'ini-values.ini': ['mta', 'mta02'],
};

describe('--limit on these inventories, as ansible --list-hosts 2.14 answers, live', () => {
  for (const [name, patterns] of Object.entries(LIMITS)) {
    it(`${name}: ${patterns.join('  ')}`, async () => {
      const path = join(OWN, name);
      const r = spawnSync('/usr/bin/python3', [join(__dirname, '../../helpers/ansible-hosts.py'), path], { input: JSON.stringify(patterns), encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const want = JSON.parse(r.stdout) as Record<string, { limit: string[] | null }>;
      const inv = await loadInventory(path);
      for (const p of patterns) {
        const hosts = want[p].limit;
        if (hosts === null) expect(() => selectHosts(inv, p), p).toThrow();
        else expect(selectHosts(inv, p).map((h) => h.name), p).toEqual(hosts);
      }
    });
  }
});
