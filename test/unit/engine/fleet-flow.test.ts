import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePlaybook } from '../../../src/playbook/load.js';
import { runPlaybook, planPlaybook } from '../../../src/engine/run.js';
import { rollbackRun } from '../../../src/engine/rollback.js';
import { applyHost } from '../../../src/engine/host-work.js';
import { Journal } from '../../../src/engine/journal.js';
import { BatchView } from '../../../src/report/progress.js';
import { describeAge, parseOwner } from '../../../src/engine/lock.js';
import type { Inventory } from '../../../src/inventory/types.js';
import { FakeHost, KINDS, memoryLock, memoryUndoStore, useFakeKind } from './fakes.js';

const dir = useFakeKind();

function fleet(names: string[]) {
  const hosts = new Map(names.map((n) => [n, { name: n, vars: { ansible_host: '127.0.0.1' }, groups: ['all', 'mta'] }]));
  const inventory: Inventory = { file: join(dir(), 'inv.yaml'), hosts, groups: new Map([['mta', { name: 'mta', hosts: names, children: [], vars: {} }]]) };
  const conns = new Map(names.map((n) => [n, new FakeHost(n)]));
  const deps = { kinds: KINDS, lock: memoryLock(), undoStore: memoryUndoStore(), connect: async (spec: { name: string }) => conns.get(spec.name)! };
  return { inventory, conns, deps };
}

describe('health gate', () => {
  it('a failing gate fails the batch hosts and stops before the next batch', async () => {
    const { inventory, conns, deps } = fleet(['h1', 'h2', 'h3']);
    const pb = parsePlaybook(
      '/pb.yaml',
      `- hosts: mta
  serial: 1
  health_gate: { argv: [fail-gate, --critical] }
  tasks:
    - { name: set, fake: { key: /a, value: "1" } }
`,
    );
    const r = await runPlaybook({ playbook: pb, inventory, extraVars: {}, forks: 2, stateDir: join(dir(), 's1'), autoRollback: true }, deps);
    expect(r.hosts).toEqual([{ name: 'h1', status: 'failed', changes: 1, error: expect.stringMatching(/health gate failed \(exit 1\): boom/) }]);
    expect(r.notRun).toEqual(['h2', 'h3']);
    expect(conns.get('h1')!.log).toContain('exec fail-gate --critical');
    expect(conns.get('h2')!.log).toEqual([]);
  });
});

describe('facts and no_new_critical', () => {
  it('gather_facts exposes the probes facts to when', async () => {
    const { inventory, conns, deps } = fleet(['h1', 'h2']);
    const pb = parsePlaybook(
      '/pb.yaml',
      `- hosts: mta
  gather_facts: true
  tasks:
    - name: raise fd limit
      fake: { key: /limits, value: "65536" }
      when: facts.fd.soft < 65536
`,
    );
    const facts = async (conn: { name: string }) => ({ fd: { soft: conn.name === 'h1' ? 1024 : 65536 } });
    const r = await runPlaybook({ playbook: pb, inventory, extraVars: {}, forks: 2, stateDir: join(dir(), 's3'), autoRollback: true }, { ...deps, facts });
    expect(r.hosts.map((h) => `${h.name}:${h.status}`)).toEqual(['h1:changed', 'h2:ok']);
    expect(conns.get('h2')!.files.has('/limits')).toBe(false);
  });

  it('a critical finding that appeared during the batch fails the host and stops the run', async () => {
    const { inventory, deps } = fleet(['h1', 'h2', 'h3']);
    const pb = parsePlaybook(
      '/pb.yaml',
      `- hosts: mta
  serial: 1
  health_gate: { no_new_critical: true }
  tasks:
    - { name: set, fake: { key: /a, value: "1" } }
`,
    );
    const calls = new Map<string, number>();
    // h1 had a critical finding before and after (not new): healthy. h2 gets a new one.
    const critical = async (conn: { name: string }) => {
      const n = (calls.get(conn.name) ?? 0) + 1;
      calls.set(conn.name, n);
      if (conn.name === 'h1') return ['fd-limit: nofile 1024'];
      return conn.name === 'h2' && n > 1 ? ['spool-io: sdb %util 99'] : [];
    };
    const r = await runPlaybook({ playbook: pb, inventory, extraVars: {}, forks: 2, stateDir: join(dir(), 's4'), autoRollback: true }, { ...deps, critical });
    expect(r.hosts.map((h) => `${h.name}:${h.status}`)).toEqual(['h1:changed', 'h2:failed']);
    expect(r.hosts[1].error).toBe('health gate: new critical finding: spool-io: sdb %util 99');
    expect(r.notRun).toEqual(['h3']);
  });
});

describe('rollbackRun', () => {
  it('undoes newest first per host, and names what it could not restore with a manual command', async () => {
    const { inventory, conns, deps } = fleet(['h1', 'h2']);
    const pb = parsePlaybook(
      '/pb.yaml',
      `- hosts: mta
  tasks:
    - { name: one, fake: { key: /a, value: "new-a" } }
    - { name: two, fake: { key: /b, value: "new-b" } }
    - { name: cmd, fake: { key: /c, value: "c", then: "echo hi" } }
`,
    );
    for (const c of conns.values()) c.files.set('/a', 'old-a');
    const state = join(dir(), 's2');
    const run = await runPlaybook({ playbook: pb, inventory, extraVars: {}, forks: 2, stateDir: state, autoRollback: true }, deps);
    expect(run.summary.changed).toBe(2);
    conns.get('h2')!.failWrites.add('/a');
    for (const c of conns.values()) c.log.length = 0;
    const rb = await rollbackRun({ runId: run.runId, stateDir: state, inventory, forks: 2 }, deps);
    expect(conns.get('h1')!.log).toEqual(['exec rm -f -- /c', 'exec rm -f -- /b', 'write /a=old-a']);
    expect(conns.get('h1')!.files.get('/a')).toBe('old-a');
    expect(rb.hosts.find((h) => h.name === 'h1')).toMatchObject({ status: 'changed', changes: 3 });
    const h2 = rb.hosts.find((h) => h.name === 'h2')!;
    expect(h2.status).toBe('failed');
    expect(h2.error).toMatch(/could not undo "set \/a".*Read-only file system/);
    const problem = rb.problems.find((p) => p.host === 'h2')!;
    expect(problem.kind).toBe('failed');
    expect(problem.manual[0]).toBe(`printf %s ${Buffer.from('old-a').toString('base64')} | base64 -d > /a`);
    // Only what is left is replayed the second time.
    conns.get('h2')!.failWrites.clear();
    const again = await rollbackRun({ runId: run.runId, stateDir: state, inventory, forks: 2 }, deps);
    expect(again.hosts.map((h) => `${h.name}:${h.status}:${h.changes}`).sort()).toEqual(['h2:changed:1']);
    expect(conns.get('h2')!.files.get('/a')).toBe('old-a');
  });
});

describe('applyHost', () => {
  it('refuses a drifted host naming what drifted, and applies exactly the plan otherwise', async () => {
    const { inventory, conns, deps } = fleet(['h1']);
    const pb = parsePlaybook('/pb.yaml', `- hosts: mta\n  tasks:\n    - { name: one, fake: { key: /a, value: "1" } }\n`);
    const body = await planPlaybook({ playbook: pb, inventory: { ...inventory, file: '/dev/null' }, extraVars: {}, forks: 1 }, deps);
    const plan = { ...body.plays[0].hosts[0] };
    const h1 = conns.get('h1')!;
    const journal = new Journal(join(dir(), 'apply.jsonl'), 'r');
    const opts = { runId: 'r', user: 'u', journal, autoRollback: true, emit: () => undefined, kinds: KINDS, lock: deps.lock, lockPath: '/l', become: false, playIndex: 0 };
    h1.files.set('/a', 'hand-edit');
    const refused = await applyHost(h1, plan, opts);
    expect(refused.status).toBe('refused');
    expect(refused.error).toContain('fake /a: null -> hand-edit');
    expect(h1.files.get('/a')).toBe('hand-edit');
    h1.files.delete('/a');
    const applied = await applyHost(h1, plan, opts);
    journal.close();
    expect(applied).toMatchObject({ status: 'changed', changes: 1 });
    expect(h1.files.get('/a')).toBe('1');
  });
});

describe('applyHost with a refused task', () => {
  it('applies nothing on a host whose plan refused a task', async () => {
    const { inventory, conns, deps } = fleet(['h1']);
    const pb = parsePlaybook('/pb.yaml', `- hosts: mta\n  tasks:\n    - { name: one, fake: { key: /a, value: "1" } }\n    - { name: two, fake: { key: /b, value: "2", refuse: "no way" } }\n`);
    const body = await planPlaybook({ playbook: pb, inventory: { ...inventory, file: '/dev/null' }, extraVars: {}, forks: 1 }, deps);
    const h1 = conns.get('h1')!;
    const journal = new Journal(join(dir(), 'refused.jsonl'), 'r');
    const r = await applyHost(h1, body.plays[0].hosts[0], {
      runId: 'r', user: 'u', journal, autoRollback: true, emit: () => undefined, kinds: KINDS, lock: deps.lock, lockPath: '/l', become: false, playIndex: 0,
    });
    journal.close();
    expect(r.status).toBe('refused');
    expect(r.error).toContain('task "two" was refused in the plan');
    expect(h1.files.has('/a')).toBe(false);
  });
});

describe('planPlaybook input errors', () => {
  it('a when on an undefined variable is a PlaybookError (exit 1), not a host failure', async () => {
    const { inventory, deps } = fleet(['h1', 'h2']);
    const pb = parsePlaybook('/pb.yaml', `- hosts: mta\n  tasks:\n    - name: guarded\n      fake: { key: /a, value: "1" }\n      when: mode == 'x'\n`);
    const run = planPlaybook({ playbook: pb, inventory: { ...inventory, file: '/dev/null' }, extraVars: {}, forks: 2 }, deps);
    await expect(run).rejects.toThrow(/task "guarded" \(line 3\) on h\d: when: undefined variable "mode"/);
    await expect(run).rejects.toHaveProperty('exitCode', 1);
  });
});

describe('progress view', () => {
  it('shows the latest host event in small batches and only counts past 30 hosts', () => {
    const v = new BatchView();
    v.apply({ type: 'batch-start', play: 'p', batch: 1, batches: 2, hosts: ['a', 'b'] });
    v.apply({ type: 'host-done', host: 'a', outcome: { name: 'a', status: 'changed', changes: 1, error: null } });
    expect(v.title).toBe('p: batch 1/2, 1/2 hosts done');
    expect(v.lastLine).toBe('a: changed');
    v.apply({ type: 'batch-done', play: 'p', batch: 1, outcomes: [{ name: 'a', status: 'changed', changes: 1, error: null }] });
    const many = Array.from({ length: 40 }, (_, i) => `h${i}`);
    v.apply({ type: 'batch-start', play: 'p', batch: 2, batches: 2, hosts: many });
    v.apply({ type: 'host-done', host: 'h1', outcome: { name: 'h1', status: 'failed', changes: 0, error: 'x' } });
    expect(v.title).toBe('p: batch 2/2, 1/40 hosts done, 1 in trouble (so far: changed=1)');
    expect(v.lastLine).toBe('a: changed');
  });
});

describe('lock owner', () => {
  it('parses the owner file and describes its age', () => {
    expect(parseOwner('run=r1\ntime=2026-11-28T10:00:00Z\nuser=ops\n')).toEqual({ run: 'r1', time: '2026-11-28T10:00:00Z', user: 'ops' });
    const now = Date.parse('2026-11-28T12:00:00Z');
    expect(describeAge('2026-11-28T11:59:30Z', now)).toBe('30s old');
    expect(describeAge('2026-11-28T11:30:00Z', now)).toBe('30m old');
    expect(describeAge('2026-11-28T02:00:00Z', now)).toBe('10h old');
    expect(describeAge(undefined, now)).toBe('unknown age');
  });
});

describe('task become', () => {
  it('applies to every action that does not say otherwise', async () => {
    const { withBecome } = await import('../../../src/engine/plan-host.js');
    const plan = withBecome(
      {
        kind: 'changes',
        changes: [
          { summary: 's', label: 'exact', diff: { type: 'text', text: '' }, do: [{ type: 'remove-file', path: '/a' }], undo: [{ type: 'remove-file', path: '/b', become: false }] },
        ],
      },
      true,
    );
    expect(plan).toMatchObject({ changes: [{ do: [{ become: true }], undo: [{ become: false }] }] });
    expect(withBecome({ kind: 'noop', reason: 'x' }, true)).toEqual({ kind: 'noop', reason: 'x' });
  });
});
