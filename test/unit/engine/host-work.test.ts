import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePlaybook } from '../../../src/playbook/load.js';
import { prepareHost } from '../../../src/engine/prepare.js';
import { planHost } from '../../../src/engine/plan-host.js';
import { runHost } from '../../../src/engine/host-work.js';
import { Journal } from '../../../src/engine/journal.js';
import { runPlaybook } from '../../../src/engine/run.js';
import type { EngineEvent } from '../../../src/engine/events.js';
import type { Inventory, InventoryHost } from '../../../src/inventory/types.js';
import { FakeHost, KINDS, memoryLock, useFakeKind } from './fakes.js';
import type { StepPlan } from '../../../src/steps/types.js';

const dir = useFakeKind();

const invHost = (name: string, vars: Record<string, unknown> = {}): InventoryHost => ({ name, vars, groups: ['all', 'mta'] });

function setup(yaml: string, host = invHost('h1')) {
  const pb = parsePlaybook('/pb.yaml', yaml);
  const prepared = prepareHost(pb, 0, host, {});
  const conn = new FakeHost(host.name);
  const journal = new Journal(join(dir(), `${Math.random().toString(36).slice(2)}.jsonl`), 'r1');
  const events: EngineEvent[] = [];
  const opts = { runId: 'r1', user: 'u', journal, autoRollback: true, emit: (e: EngineEvent) => events.push(e), kinds: KINDS, lock: memoryLock() };
  return { pb, prepared, conn, journal, events, opts };
}

const THREE = `
- hosts: mta
  tasks:
    - name: one
      fake: { key: /a, value: "1" }
      notify: reload
    - name: two
      fake: { key: /b, value: "2" }
    - name: three
      fake: { key: /c, value: "3", then: "fail now" }
  handlers:
    - name: reload
      fake: { key: /reloaded, value: "yes", then: "echo reload" }
`;

describe('planHost', () => {
  it('is pure over observations: same host state -> deep-equal plan and fingerprint', async () => {
    const { prepared, conn } = setup(THREE);
    conn.files.set('/a', '0');
    const p1 = await planHost(conn, prepared, KINDS);
    const p2 = await planHost(conn, prepared, KINDS);
    expect(p1).toEqual(p2);
    expect(conn.log.filter((l) => l.startsWith('write'))).toEqual([]);
    conn.files.set('/b', 'x');
    expect((await planHost(conn, prepared, KINDS)).fingerprint).not.toBe(p1.fingerprint);
  });

  it('plans notified handlers and skips tasks whose when is false, with registered results', async () => {
    const { prepared, conn } = setup(`
- hosts: mta
  tasks:
    - name: one
      fake: { key: /a, value: "1" }
      register: one
    - name: only if one changed
      fake: { key: /b, value: "2" }
      when: one.changed
    - name: only if one did not change
      fake: { key: /c, value: "3" }
      when: not one.changed
`);
    const plan = await planHost(conn, prepared, KINDS);
    expect(plan.tasks.map((t) => [t.name, t.plan.kind])).toEqual([
      ['one', 'changes'],
      ['only if one changed', 'changes'],
      ['only if one did not change', 'noop'],
    ]);
    expect(plan.tasks[2].skipped).toMatch(/when not one.changed is false/);
  });

  it('plans a task against the state the earlier task leaves (projected), with the undo to that state', async () => {
    const { prepared, conn } = setup(`
- hosts: mta
  tasks:
    - { name: first, fake: { key: /a, value: "1" } }
    - { name: second, fake: { key: /a, value: "2" } }
    - { name: third, fake: { key: /a, value: "2" } }
`);
    conn.files.set('/a', '0');
    const plan = await planHost(conn, prepared, KINDS);
    expect(plan.tasks.map((t) => t.plan.kind)).toEqual(['changes', 'changes', 'noop']);
    expect(plan.tasks[0]).toMatchObject({ observations: { 'fake /a': '0' }, projected: { 'fake /a': '1' } });
    expect(plan.tasks[0].basis).toBeUndefined();
    expect(plan.tasks[1]).toMatchObject({ observations: { 'fake /a': '0' }, basis: { 'fake /a': '1' }, projected: { 'fake /a': '2' } });
    const second = plan.tasks[1].plan as Extract<StepPlan, { kind: 'changes' }>;
    expect(second.changes[0]).toMatchObject({ label: 'exact', do: [{ type: 'write-file', path: '/a' }], undo: [{ type: 'write-file', path: '/a', contentBase64: Buffer.from('1').toString('base64') }] });
    expect(plan.tasks[2]).toMatchObject({ basis: { 'fake /a': '2' }, plan: { kind: 'noop' } });
    expect(plan.tasks[2].projected).toBeUndefined();
    // The host's observations (fingerprint, drift) stay what the host showed.
    expect(plan.observations).toEqual({ 'fake /a': '0' });
  });

  it('a task reading what an earlier task leaves unknown is planned predicted, saying why; others stay exact', async () => {
    const { prepared, conn } = setup(`
- hosts: mta
  tasks:
    - { name: opaque, fake: { key: /a, value: "1", opaque: true } }
    - { name: dependent, fake: { key: /a, value: "2" } }
    - { name: unrelated, fake: { key: /b, value: "3" } }
`);
    const plan = await planHost(conn, prepared, KINDS);
    expect(plan.tasks[1].predicted).toContain('reads fake /a, which task "opaque" changes in a way known only once it ran');
    expect((plan.tasks[1].plan as Extract<StepPlan, { kind: 'changes' }>).changes.map((c) => c.label)).toEqual(['predicted']);
    expect(plan.tasks[2].predicted).toBeUndefined();
    expect((plan.tasks[2].plan as Extract<StepPlan, { kind: 'changes' }>).changes.map((c) => c.label)).toEqual(['exact']);
  });
});

describe('declared resources', () => {
  it('a step kind observing a resource it does not declare is a bug named at plan time, not a silent key', async () => {
    const { prepared, conn } = setup(`
- hosts: mta
  tasks:
    - { name: one, fake: { key: /a, value: "1" } }
`);
    const sloppy = { ...KINDS.fake, resources: () => ['fake /misspelt'] };
    await expect(planHost(conn, prepared, { fake: sloppy })).rejects.toThrow('task "one": the fake step observed fake /a, which is not among the resources it declares');
  });
});

describe('runHost', () => {
  it('applies two tasks on one resource in order; a later failure rolls both back to the original', async () => {
    const { prepared, conn, journal, opts } = setup(`
- hosts: mta
  tasks:
    - { name: first, fake: { key: /a, value: "1" } }
    - { name: second, fake: { key: /a, value: "2" } }
    - { name: third, fake: { key: /c, value: "3", then: "fail now" } }
`);
    conn.files.set('/a', '0');
    const r = await runHost(conn, prepared, 0, opts);
    journal.close();
    expect(r.status).toBe('failed');
    expect(conn.log.filter((l) => l.startsWith('write'))).toEqual(['write /a=1', 'write /a=2', 'write /c=3', 'write /a=1', 'write /a=0']);
    expect(conn.files.get('/a')).toBe('0');
  });

  it('re-plans a predicted task at apply time against the real host', async () => {
    const { prepared, conn, journal, opts, events } = setup(`
- hosts: mta
  tasks:
    - { name: opaque, fake: { key: /a, value: "1", opaque: true } }
    - { name: dependent, fake: { key: /a, value: "1" } }
`);
    const r = await runHost(conn, prepared, 0, opts);
    journal.close();
    // Planned against the host as observed (/a absent): a change; at apply /a is 1: nothing to do.
    expect(r).toMatchObject({ status: 'changed', changes: 1 });
    const planned = events.filter((e) => e.type === 'task-planned').map((e) => e.type === 'task-planned' && `${e.task}:${e.plan.kind}`);
    expect(planned).toEqual(['opaque:changes', 'dependent:noop']);
  });

  it('fails the host, naming what differs, when the host after a task is not what the plan projected', async () => {
    const { prepared, conn, journal, opts } = setup(`
- hosts: mta
  tasks:
    - { name: one, fake: { key: /a, value: "1", then: "rm -f -- /a" } }
`);
    const r = await runHost(conn, prepared, 0, opts);
    journal.close();
    expect(r.status).toBe('failed');
    expect(r.error).toContain('task "one": after applying, the host is not as planned: fake /a: 1 -> null');
    expect(conn.files.has('/a')).toBe(false);
  });

  it('a failing change rolls back this host newest first, and handlers still run for what changed', async () => {
    const { prepared, conn, journal, opts } = setup(THREE);
    conn.files.set('/a', 'old-a');
    const r = await runHost(conn, prepared, 0, opts);
    journal.close();
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/fail now.*boom/);
    // restored: /a back to old-a, /b and /c removed
    expect(conn.files.get('/a')).toBe('old-a');
    expect(conn.files.has('/b')).toBe(false);
    expect(conn.files.has('/c')).toBe(false);
    // handler ran after the rollback
    expect(conn.files.get('/reloaded')).toBe('yes');
    const writes = conn.log.filter((l) => l.startsWith('write') || l.startsWith('exec rm'));
    expect(writes).toEqual([
      'write /a=1',
      'write /b=2',
      'write /c=3',
      'exec rm -f -- /c',
      'exec rm -f -- /b',
      'write /a=old-a',
      'write /reloaded=yes',
    ]);
    const types = readFileSync(journal.file, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).map((x) => `${x.type}:${x.changeId}`);
    expect(types).toEqual([
      'intent:p0-t0-c0',
      'done:p0-t0-c0',
      'intent:p0-t1-c0',
      'done:p0-t1-c0',
      'intent:p0-t2-c0',
      'failed:p0-t2-c0',
      'undone:p0-t2-c0',
      'undone:p0-t1-c0',
      'undone:p0-t0-c0',
      'intent:p0-h0-c0',
      'done:p0-h0-c0',
    ]);
  });

  it('--no-auto-rollback leaves the changes and runs the handlers', async () => {
    const { prepared, conn, journal, opts } = setup(THREE);
    const r = await runHost(conn, prepared, 0, { ...opts, autoRollback: false });
    journal.close();
    expect(r.status).toBe('failed');
    expect(conn.files.get('/a')).toBe('1');
    expect(conn.files.get('/b')).toBe('2');
    expect(conn.files.get('/reloaded')).toBe('yes');
  });

  it('a converged host is ok with 0 changes and no handler', async () => {
    const { prepared, conn, journal, opts } = setup(`
- hosts: mta
  tasks:
    - { name: one, fake: { key: /a, value: "1" }, notify: reload }
  handlers:
    - { name: reload, fake: { key: /r, value: "y" } }
`);
    conn.files.set('/a', '1');
    const r = await runHost(conn, prepared, 0, opts);
    journal.close();
    expect(r).toMatchObject({ status: 'ok', changes: 0, error: null });
    expect(conn.files.has('/r')).toBe(false);
  });

  it('a lock held by another run refuses the host without touching it', async () => {
    const { prepared, conn, journal, opts } = setup(THREE);
    await opts.lock.acquire(conn, prepared.lockPath, { run: 'other', time: '', user: 'x' });
    const r = await runHost(conn, prepared, 0, opts);
    journal.close();
    expect(r.status).toBe('refused');
    expect(r.error).toContain('locked by run other');
    expect(conn.log).toEqual([]);
  });
});

describe('runPlaybook (batches, max_fail_percentage)', () => {
  // The fake fails a host through its `then` command: hosts listed as failing get "fail".
  const yamlFor = (extra: string) => `
- hosts: mta
${extra}
  tasks:
    - name: set
      fake: { key: /a, value: "1" }
    - name: maybe fail
      fake: { key: /b, value: "2", then: "{{ then_cmd }}" }
`;

  async function run(extra: string, failing: string[]) {
    const names = ['h1', 'h2', 'h3', 'h4'];
    const hosts = new Map(
      names.map((n) => [n, invHost(n, { ansible_host: '127.0.0.1', then_cmd: failing.includes(n) ? 'fail here' : 'echo fine' })]),
    );
    const inventory: Inventory = { file: '/inv.yaml', hosts, groups: new Map([['mta', { name: 'mta', hosts: names, children: [], vars: {} }]]) };
    const events: EngineEvent[] = [];
    const result = await runPlaybook(
      { playbook: parsePlaybook('/pb.yaml', yamlFor(extra)), inventory, extraVars: {}, forks: 2, stateDir: join(dir(), 'state'), autoRollback: true },
      { kinds: KINDS, lock: memoryLock(), emit: (e) => events.push(e), connect: async (spec) => new FakeHost(spec.name) },
    );
    return { result, events };
  }

  it('serial 1 with max_fail_percentage 0: the first failure stops the run, the rest are not run', async () => {
    const { result, events } = await run('  serial: 1\n  max_fail_percentage: 0', ['h2']);
    expect(result.hosts.map((h) => `${h.name}:${h.status}`)).toEqual(['h1:changed', 'h2:failed']);
    expect(result.notRun).toEqual(['h3', 'h4']);
    expect(result.stopped).toMatch(/after batch 2 of 4/);
    expect(events.filter((e) => e.type === 'batch-done')).toHaveLength(2);
  });

  it('serial 2 with 99 %: one failure of two continues; a whole batch failing stops', async () => {
    const a = await run('  serial: 2\n  max_fail_percentage: 99', ['h1']);
    expect(a.result.notRun).toEqual([]);
    expect(a.result.summary).toMatchObject({ changed: 3, failed: 1 });
    const b = await run('  serial: 2\n  max_fail_percentage: 99', ['h1', 'h2']);
    expect(b.result.notRun).toEqual(['h3', 'h4']);
    expect(b.result.summary).toMatchObject({ failed: 2 });
  });

  it('without max_fail_percentage only a whole failed batch stops the run', async () => {
    const a = await run('  serial: 2', ['h1', 'h3']);
    expect(a.result.notRun).toEqual([]);
    const b = await run('  serial: 2', ['h1', 'h2']);
    expect(b.result.notRun).toEqual(['h3', 'h4']);
  });

  it('writes run.json with the outcome per host', async () => {
    const { result } = await run('  serial: "50%"', []);
    const record = JSON.parse(readFileSync(join(dir(), 'state', 'runs', result.runId, 'run.json'), 'utf8'));
    expect(record).toMatchObject({ command: 'run', playbook: '/pb.yaml', inventory: '/inv.yaml', summary: { changed: 4 } });
    expect(record.finishedAt).not.toBeNull();
  });
});
