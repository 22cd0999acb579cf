/**
 * gather_facts on by default (issue #15): facts are gathered while the first tasks observe (no
 * round trip before them), params may read them (`{{ ansible_hostname }}`), the plan records
 * the facts its tasks read, apply's re-check renders from those, and apply refuses a host whose
 * facts changed since the plan (drift). The real fact script is tested in ansible-facts.test.ts.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePlaybook } from '../../../src/playbook/load.js';
import { prepareHost } from '../../../src/engine/prepare.js';
import { planHost } from '../../../src/engine/plan-host.js';
import { applyHost } from '../../../src/engine/host-work.js';
import { planPlaybook } from '../../../src/engine/run.js';
import { verifyPlanSource } from '../../../src/engine/plan-source.js';
import { Journal } from '../../../src/engine/journal.js';
import { spawnSync } from 'node:child_process';
import { ANSIBLE_FACTS_SCRIPT, ANSIBLE_FACTS_SCRIPT_NO_MOUNTS, parseAnsibleFacts, type FactSource } from '../../../src/engine/facts.js';
import type { PlanDocument } from '../../../src/engine/planfile.js';
import type { Inventory } from '../../../src/inventory/types.js';
import { PlaybookError, PlanFileError } from '../../../src/util/errors.js';
import { FakeHost, KINDS, memoryLock, useFakeKind } from './fakes.js';

const dir = useFakeKind();

const PLAYBOOK = `- hosts: mta
  tasks:
    - name: plain
      fake: { key: /plain, value: "1" }
    - name: named
      fake: { key: "/etc/{{ ansible_hostname }}.conf", value: "cpus={{ ansible_processor_vcpus }}" }
    - name: debian only
      fake: { key: /deb, value: "1" }
      when: ansible_distribution == 'Debian'
`;

const FACTS = { ansible_hostname: 'mta01', ansible_processor_vcpus: 4, ansible_distribution: 'Debian', ansible_kernel: '6.1.0', ansible_mounts: [] };
const facts = (f: Record<string, unknown> = FACTS): FactSource => async () => ({ ...f });
const host = { name: 'h1', vars: {}, groups: ['all'] };

describe('facts in plans', () => {
  it('is on by default, off with gather_facts: no (then a fact in params is an undefined variable at prepare)', () => {
    expect(parsePlaybook('/pb.yaml', PLAYBOOK).plays[0]!.gatherFacts).toBe(true);
    const off = parsePlaybook('/pb.yaml', PLAYBOOK.replace('- hosts: mta', '- hosts: mta\n  gather_facts: no'));
    expect(off.plays[0]!.gatherFacts).toBe(false);
    expect(() => prepareHost(off, 0, host, {})).toThrow(/undefined variable "ansible_hostname"/);
  });

  it('gathers while the first task observes, renders fact params with them, and records what the tasks read', async () => {
    const pb = parsePlaybook('/pb.yaml', PLAYBOOK);
    const prepared = prepareHost(pb, 0, host, {});
    expect(prepared.tasks[1]!.params).toBeUndefined(); // waits for the facts
    const conn = new FakeHost('h1');
    let observedFirst = false;
    const order: string[] = [];
    const origRead = conn.readFile.bind(conn);
    conn.readFile = async (p: string) => (order.push(`observe ${p}`), origRead(p));
    // The facts arrive only once the first task has observed: planning that waited for them first would hang.
    const gated: FactSource = async () => {
      order.push('facts start');
      while (!order.includes('observe /plain')) await new Promise((r) => setTimeout(r, 1));
      observedFirst = true;
      order.push('facts done');
      return { ...FACTS };
    };
    const plan = await planHost(conn, prepared, KINDS, gated);
    expect(observedFirst).toBe(true);
    expect(order.slice(0, 2)).toEqual(['facts start', 'observe /plain']);
    expect(order.indexOf('observe /etc/mta01.conf')).toBeGreaterThan(order.indexOf('facts done'));
    expect(plan.tasks[1]!.params).toEqual({ key: '/etc/mta01.conf', value: 'cpus=4' });
    expect(plan.tasks[2]!.skipped).toBeUndefined();
    // Only the facts the tasks read are recorded (ansible_kernel, ansible_mounts are not).
    expect(plan.facts).toEqual({ ansible_hostname: 'mta01', ansible_processor_vcpus: 4, ansible_distribution: 'Debian' });
  });

  it('gathers ansible_mounts (a statfs per mount) only for a play that reads it', async () => {
    const asked: boolean[] = [];
    const spy: FactSource = async (_c, _b, opts) => (asked.push(opts?.mounts ?? true), { ...FACTS });
    await planHost(new FakeHost('h1'), prepareHost(parsePlaybook('/pb.yaml', PLAYBOOK), 0, host, {}), KINDS, spy);
    const mounts = PLAYBOOK.replace("when: ansible_distribution == 'Debian'", 'when: ansible_mounts | length > 0');
    await planHost(new FakeHost('h1'), prepareHost(parsePlaybook('/pb.yaml', mounts), 0, host, {}), KINDS, spy);
    expect(asked).toEqual([false, true]);
    // The script without mounts gives the same facts on this machine, less ansible_mounts.
    const run = (text: string) => parseAnsibleFacts(spawnSync('sh', ['-c', text], { encoding: 'utf8' }).stdout);
    const full = run(ANSIBLE_FACTS_SCRIPT.text);
    const lean = run(ANSIBLE_FACTS_SCRIPT_NO_MOUNTS.text);
    expect(full.ansible_mounts).toBeDefined();
    const { ansible_mounts: _m, ...rest } = full;
    expect(lean).toEqual(rest);
  });

  it('refuses the probe facts (facts.*) in params: they may hold config secrets', () => {
    const pb = parsePlaybook('/pb.yaml', `- hosts: all\n  tasks:\n    - fake: { key: /x, value: "{{ facts.fd.soft }}" }\n`);
    expect(() => prepareHost(pb, 0, host, {})).toThrow(PlaybookError);
    expect(() => prepareHost(pb, 0, host, {})).toThrow(/pb\.yaml:3: .*facts\.\* .*cannot be used in task parameters/);
  });

  const inventory = (): Inventory => ({ file: '/dev/null', hosts: new Map([['h1', { ...host, vars: { ansible_host: '127.0.0.1' }, groups: ['all', 'mta'] }]]), groups: new Map([['mta', { name: 'mta', hosts: ['h1'], children: [], vars: {} }]]) });

  async function made(source: FactSource): Promise<PlanDocument> {
    const conn = new FakeHost('h1');
    const body = await planPlaybook({ playbook: parsePlaybook('/pb.yaml', PLAYBOOK), inventory: inventory(), extraVars: {}, forks: 1 }, { kinds: KINDS, connect: async () => conn, facts: source });
    return JSON.parse(JSON.stringify({ ...body, digest: '0'.repeat(64) })) as PlanDocument;
  }

  it("apply's re-check renders fact params from the recorded facts; a forged param is refused", async () => {
    const doc = await made(facts());
    await expect(verifyPlanSource(doc, parsePlaybook('/pb.yaml', PLAYBOOK), inventory(), 'p.plan', KINDS)).resolves.toBeUndefined();
    const forged = structuredClone(doc);
    (forged.plays[0]!.hosts[0]!.tasks[1]!.params as { value: string }).value = 'cpus=64';
    await expect(verifyPlanSource(forged, parsePlaybook('/pb.yaml', PLAYBOOK), inventory(), 'p.plan', KINDS)).rejects.toThrow(PlanFileError);
  });

  it('apply refuses a host whose facts changed since the plan, naming the fact', async () => {
    const doc = await made(facts());
    const plan = doc.plays[0]!.hosts[0]!;
    const opts = (source: FactSource) => ({
      runId: 'r1', user: 'u', journal: new Journal(join(dir(), `${Math.random().toString(36).slice(2)}.jsonl`), 'r1'), autoRollback: true,
      emit: () => undefined, kinds: KINDS, lock: memoryLock(), facts: source, lockPath: '/l', become: false, playIndex: 0,
    });
    const renamed = await applyHost(new FakeHost('h1'), plan, opts(facts({ ...FACTS, ansible_hostname: 'mta99' })));
    expect(renamed).toMatchObject({ status: 'refused' });
    expect(renamed.error).toMatch(/drifted since the plan was made: fact ansible_hostname: mta01 -> mta99/);
    // Facts the tasks do not read may change freely; so may mount sizes.
    const conn = new FakeHost('h1');
    const fine = await applyHost(conn, plan, opts(facts({ ...FACTS, ansible_kernel: '6.9' })));
    expect(fine).toMatchObject({ status: 'changed', changes: 3 });
    expect(conn.files.get('/etc/mta01.conf')).toBe('cpus=4');
  });
});
