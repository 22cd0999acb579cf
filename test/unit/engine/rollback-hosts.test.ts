/**
 * Rollback from the hosts' own undo records (engine/rollback-hosts.ts) with fake hosts and an
 * in-memory record store: the host copy holds each intent before its change runs, a fresh
 * state dir rolls back from it, and hostile records refuse the host (nothing undone there).
 * The real store on real hosts: test/integration/engine/host-undo-lab.test.ts.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePlaybook } from '../../../src/playbook/load.js';
import { runPlaybook } from '../../../src/engine/run.js';
import { rollbackRun } from '../../../src/engine/rollback.js';
import { rollbackFromHosts } from '../../../src/engine/rollback-hosts.js';
import { readJournal, journalPath } from '../../../src/engine/journal.js';
import { readRunRecord } from '../../../src/engine/run-record.js';
import { hostRecordRows } from '../../../src/engine/host-undo-record.js';
import { exitCodeFor } from '../../../src/util/outcome.js';
import type { Inventory } from '../../../src/inventory/types.js';
import { FakeHost, KINDS, memoryLock, memoryUndoStore, useFakeKind } from './fakes.js';

const dir = useFakeKind();

function fleet(names: string[]) {
  const hosts = new Map(names.map((n) => [n, { name: n, vars: { ansible_host: '127.0.0.1' }, groups: ['all', 'mta'] }]));
  const inventory: Inventory = { file: join(dir(), 'inv.yaml'), hosts, groups: new Map([['mta', { name: 'mta', hosts: names, children: [], vars: {} }]]) };
  const conns = new Map(names.map((n) => [n, new FakeHost(n)]));
  const store = memoryUndoStore((c) => `/a=${c.files.get('/a')} /b=${c.files.get('/b') ?? '-'}`);
  const deps = { kinds: KINDS, lock: memoryLock(), undoStore: store, connect: async (spec: { name: string }) => conns.get(spec.name)! };
  return { inventory, conns, deps, store };
}

const PLAYBOOK = `- hosts: mta
  tasks:
    - { name: one, fake: { key: /a, value: "new-a" } }
    - { name: two, fake: { key: /b, value: "new-b" } }
`;

async function changedFleet(names: string[]) {
  const f = fleet(names);
  for (const c of f.conns.values()) c.files.set('/a', 'old-a');
  const run = await runPlaybook({ playbook: parsePlaybook('/pb.yaml', PLAYBOOK), inventory: f.inventory, extraVars: {}, forks: 2, stateDir: join(dir(), 'laptop'), autoRollback: true }, f.deps);
  expect(run.summary.changed).toBe(names.length);
  return { ...f, run };
}

describe('the host copy of the undo records', () => {
  it('holds each intent before its change runs; done records ride along with the next write', async () => {
    const { store, run } = await changedFleet(['h1']);
    expect(store.appends).toEqual([
      `h1 ${run.runId}: intent [/a=old-a /b=-]`,
      `h1 ${run.runId}: done,intent [/a=new-a /b=-]`,
      `h1 ${run.runId}: done [/a=new-a /b=new-b]`,
    ]);
  });

  it('a change is not made when its intent cannot reach the host copy', async () => {
    const f = fleet(['h1']);
    f.conns.get('h1')!.files.set('/a', 'old-a');
    f.deps.undoStore.append = async () => {
      throw new Error('h1: cannot write its copy of the undo records: No space left on device');
    };
    const run = await runPlaybook({ playbook: parsePlaybook('/pb.yaml', PLAYBOOK), inventory: f.inventory, extraVars: {}, forks: 1, stateDir: join(dir(), 'full'), autoRollback: true }, f.deps);
    expect(run.hosts[0]).toMatchObject({ status: 'failed', changes: 0 });
    expect(run.hosts[0]!.error).toMatch(/No space left on device/);
    expect(f.conns.get('h1')!.files.get('/a')).toBe('old-a');
  });
});

describe('rollbackFromHosts', () => {
  it('rolls back from the hosts with a fresh state dir, newest first, and keeps the journal locally', async () => {
    const { conns, deps, inventory, run } = await changedFleet(['h1', 'h2']);
    for (const c of conns.values()) c.log.length = 0;
    const fresh = join(dir(), 'other-machine');
    const rb = await rollbackFromHosts({ runId: run.runId, stateDir: fresh, inventory, forks: 2 }, deps);
    expect(rb.source).toBe('hosts');
    expect(rb.hosts.map((h) => `${h.name}:${h.status}:${h.changes}`).sort()).toEqual(['h1:changed:2', 'h2:changed:2']);
    for (const c of conns.values()) {
      expect(c.log).toEqual(['exec rm -f -- /b', 'write /a=old-a']);
      expect(c.files.get('/a')).toBe('old-a');
      expect(c.files.has('/b')).toBe(false);
    }
    // The local journal: the hosts' records, then what this rollback undid.
    const record = readRunRecord(fresh, run.runId);
    expect(record).toMatchObject({ source: 'hosts', command: 'rollback' });
    const journal = readJournal(journalPath(fresh, run.runId), run.runId);
    expect(journal.filter((r) => r.type === 'undone')).toHaveLength(4);
    // The hosts know it was undone: a second rollback from the hosts has nothing left to do.
    for (const c of conns.values()) c.log.length = 0;
    const again = await rollbackFromHosts({ runId: run.runId, stateDir: join(dir(), 'third-machine'), inventory, forks: 2 }, deps);
    expect(again.hosts.map((h) => `${h.name}:${h.status}:${h.changes}`).sort()).toEqual(['h1:ok:0', 'h2:ok:0']);
    expect([...conns.values()].flatMap((c) => c.log)).toEqual([]);
  });

  it('refuses a host whose records name another host (exit 3), and still rolls back the others', async () => {
    const { conns, deps, inventory, run, store } = await changedFleet(['h1', 'h2']);
    const key = [...store.files.keys()].find((k) => k.startsWith('h2:'))!;
    store.files.set(key, store.files.get(key)!.replaceAll('"host":"h2"', '"host":"h1"'));
    const rb = await rollbackFromHosts({ runId: run.runId, stateDir: join(dir(), 'm2'), inventory, forks: 2 }, deps);
    const h2 = rb.hosts.find((h) => h.name === 'h2')!;
    expect(h2.status).toBe('refused');
    expect(h2.error).toMatch(/^h2: refusing its undo records of run \S+: line 1 names host "h1": a host's records may only touch that host; nothing was undone on this host$/);
    expect(conns.get('h2')!.files.get('/a')).toBe('new-a');
    expect(conns.get('h1')!.files.get('/a')).toBe('old-a');
    expect(exitCodeFor(rb.hosts.map((h) => h.status))).toBe(3);
  });

  it('says which hosts have no records, and refuses a run no host knows (exit 1) without creating it locally', async () => {
    const { deps, inventory, run, store } = await changedFleet(['h1', 'h2']);
    for (const k of [...store.files.keys()]) if (k.startsWith('h2:')) store.files.delete(k);
    const rb = await rollbackFromHosts({ runId: run.runId, stateDir: join(dir(), 'm3'), inventory, forks: 2 }, deps);
    expect(rb.noRecords).toEqual(['h2']);
    expect(rb.hosts.find((h) => h.name === 'h2')).toMatchObject({ status: 'ok', changes: 0 });
    const empty = join(dir(), 'm4');
    await expect(rollbackFromHosts({ runId: '20261203T000000Z-nobody', stateDir: empty, inventory, forks: 2 }, deps)).rejects.toThrow(
      /no host of .*inv\.yaml has undo records of run 20261203T000000Z-nobody, and this machine has no journal of it/,
    );
    expect(() => readRunRecord(empty, '20261203T000000Z-nobody')).toThrow(/no run/);
  });

  it('a local rollback records what it undid in the host copy, and never starts a copy the host lacks', async () => {
    const { deps, inventory, run, store } = await changedFleet(['h1', 'h2']);
    for (const k of [...store.files.keys()]) if (k.startsWith('h2:')) store.files.delete(k);
    const local = await rollbackRun({ runId: run.runId, stateDir: join(dir(), 'laptop'), inventory, forks: 2 }, deps);
    expect(local.hosts.map((h) => `${h.name}:${h.status}`).sort()).toEqual(['h1:changed', 'h2:changed']);
    expect([...store.files.keys()].filter((k) => k.startsWith('h2:'))).toEqual([]);
    const h1 = store.files.get([...store.files.keys()].find((k) => k.startsWith('h1:'))!)!;
    expect(h1.trimEnd().split('\n').map((l) => JSON.parse(l).type).slice(-2)).toEqual(['undone', 'undone']);
  });

  it('leaves a run with a local journal to the local rollback', async () => {
    const { deps, inventory, run } = await changedFleet(['h1']);
    await expect(rollbackFromHosts({ runId: run.runId, stateDir: join(dir(), 'laptop'), inventory, forks: 1 }, deps)).rejects.toThrow(/has a local journal/);
    const local = await rollbackRun({ runId: run.runId, stateDir: join(dir(), 'laptop'), inventory, forks: 1 }, deps);
    expect(local.source).toBe('local');
    expect(local.hosts[0]).toMatchObject({ status: 'changed', changes: 2 });
  });
});

describe('rollbackFromHosts with the history store\'s records (team runs)', () => {
  /** The store's copy of the run's journal, per host, as the CLI reads it back (lines of a host copy). */
  function storeCopy(stateDir: string, runId: string): Map<string, { text: string } | { refused: string }> {
    const rows = hostRecordRows(runId, readJournal(journalPath(stateDir, runId), runId));
    const out = new Map<string, { text: string } | { refused: string }>();
    for (const r of rows) {
      const kept = out.get(r.host) as { text: string } | undefined;
      out.set(r.host, { text: `${kept?.text ?? ''}${r.line}\n` });
    }
    return out;
  }

  it('rolls back from the store, never reading the hosts\' copies; a forged host is refused, the other restored', async () => {
    const { conns, deps, inventory, run } = await changedFleet(['h1', 'h2']);
    deps.undoStore.read = async () => {
      throw new Error('the store was given: the host copies must not be read');
    };
    const copy = storeCopy(join(dir(), 'laptop'), run.runId);
    copy.set('h2', { text: (copy.get('h2') as { text: string }).text.replace('"host":"h2"', '"host":"h1"') });
    const rb = await rollbackFromHosts({ runId: run.runId, stateDir: join(dir(), 'team-b'), inventory, forks: 2 }, deps, copy);
    expect(rb.source).toBe('store');
    expect(rb.hosts.find((h) => h.name === 'h1')).toMatchObject({ status: 'changed', changes: 2 });
    expect(rb.hosts.find((h) => h.name === 'h2')).toMatchObject({ status: 'refused', changes: 0 });
    expect(rb.hosts.find((h) => h.name === 'h2')!.error).toMatch(/h2: refusing the history store's undo records of run .*: line 1 names host "h1"/);
    expect(conns.get('h1')!.files.get('/a')).toBe('old-a');
    expect(conns.get('h2')!.files.get('/a')).toBe('new-a');
    expect(readRunRecord(join(dir(), 'team-b'), run.runId).source).toBe('store');
  });

  it('a host of the stored run that the inventory does not name is bad input, before any host is touched', async () => {
    const { conns, deps, inventory, run } = await changedFleet(['h1']);
    for (const c of conns.values()) c.log.length = 0;
    const copy = storeCopy(join(dir(), 'laptop'), run.runId);
    copy.set('ghost', { text: '' });
    await expect(rollbackFromHosts({ runId: run.runId, stateDir: join(dir(), 'team-c'), inventory, forks: 1 }, deps, copy)).rejects.toThrow(/host "ghost" of run .* \(in the history store\) is not in .*inv\.yaml/);
    expect(conns.get('h1')!.log).toEqual([]);
    // With --limit leaving the unknown host out, the rest is rolled back.
    const rb = await rollbackFromHosts({ runId: run.runId, stateDir: join(dir(), 'team-c'), inventory, limit: 'h1', forks: 1 }, deps, copy);
    expect(rb.hosts).toEqual([expect.objectContaining({ name: 'h1', status: 'changed' })]);
  });
});
