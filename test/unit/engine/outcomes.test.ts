/**
 * Host outcomes through the engine: decided by the error's class where it is raised, carried
 * unchanged into plans, run results and exit codes; error text never decides.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePlaybook } from '../../../src/playbook/load.js';
import { outcomesOfPlan, planPlaybook, runPlaybook } from '../../../src/engine/run.js';
import { renderPlanMarkdown, renderPlanText } from '../../../src/report/plan.js';
import type { Inventory } from '../../../src/inventory/types.js';
import { ConnectError, ExecError, RefusedError } from '../../../src/util/errors.js';
import { exitCodeFor } from '../../../src/util/outcome.js';
import type { PlanBody } from '../../../src/engine/planfile.js';
import { FakeHost, KINDS, memoryLock, samplePlanBody, useFakeKind } from './fakes.js';

const dir = useFakeKind();

/**
 * h-ok connects; h-auth refuses authentication; h-key has a changed host key; h-drop connects
 * but its commands fail with an ExecError whose text reads like a connection problem.
 */
function fleet(names: string[]) {
  const hosts = new Map(names.map((n) => [n, { name: n, vars: { ansible_host: '127.0.0.1' }, groups: ['all', 'mta'] }]));
  // planPlaybook records the inventory file's digest.
  writeFileSync(join(dir(), 'inv.yaml'), '# hosts are given in memory\n');
  const inventory: Inventory = { file: join(dir(), 'inv.yaml'), hosts, groups: new Map([['mta', { name: 'mta', hosts: names, children: [], vars: {} }]]) };
  const connect = async (spec: { name: string }) => {
    if (spec.name === 'h-auth') throw new ConnectError(spec.name, 'auth', `${spec.name} (root@127.0.0.1:22): authentication failed (tried key /k)`);
    if (spec.name === 'h-key') throw new ConnectError(spec.name, 'host-key-changed', `${spec.name} (root@127.0.0.1:22): HOST KEY CHANGED`);
    const host = new FakeHost(spec.name);
    if (spec.name === 'h-drop') {
      host.readFile = async () => {
        throw new ExecError(`${spec.name}: connection is closed: unreachable, connect timed out, host key`);
      };
    }
    return host;
  };
  return { inventory, deps: { kinds: KINDS, lock: memoryLock(), connect } };
}

const PLAYBOOK = `- hosts: mta
  tasks:
    - { name: set, fake: { key: /a, value: "1" } }
`;

describe('outcomes decided where the error is raised', () => {
  it('plan / run --check: auth failure and host key refusal are unreachable (4), not failed (2)', async () => {
    const { inventory, deps } = fleet(['h-ok', 'h-auth', 'h-key']);
    const body = await planPlaybook({ playbook: parsePlaybook('/pb.yaml', PLAYBOOK), inventory, extraVars: {}, forks: 3 }, deps);
    expect(body.plays[0]!.unreachable).toEqual([
      { host: 'h-auth', status: 'unreachable', error: 'h-auth (root@127.0.0.1:22): authentication failed (tried key /k)' },
      { host: 'h-key', status: 'unreachable', error: 'h-key (root@127.0.0.1:22): HOST KEY CHANGED' },
    ]);
    const outcomes = outcomesOfPlan(body);
    expect(outcomes.map((o) => `${o.name}:${o.status}`)).toEqual(['h-ok:changed', 'h-auth:unreachable', 'h-key:unreachable']);
    expect(exitCodeFor(outcomes.map((o) => o.status))).toBe(4);
    expect(renderPlanText(body, { diff: false })).toContain('h-auth  UNREACHABLE: h-auth (root@127.0.0.1:22): authentication failed');
  });

  it('plan: a reached host whose observation fails is failed even when its error text mentions connecting (2, 6 with an unreachable one)', async () => {
    const { inventory, deps } = fleet(['h-ok', 'h-drop', 'h-auth']);
    const body = await planPlaybook({ playbook: parsePlaybook('/pb.yaml', PLAYBOOK), inventory, extraVars: {}, forks: 3 }, deps);
    const outcomes = outcomesOfPlan(body);
    expect(outcomes.map((o) => `${o.name}:${o.status}`)).toEqual(['h-ok:changed', 'h-drop:failed', 'h-auth:unreachable']);
    expect(exitCodeFor(outcomes.map((o) => o.status))).toBe(6);
    expect(renderPlanText(body, { diff: false })).toContain('h-drop  FAILED: h-drop: connection is closed');
    expect(renderPlanMarkdown(body)).toContain('**Failed**: h-drop: connection is closed');
    expect(renderPlanMarkdown(body)).toContain('**Unreachable**: h-auth');
  });

  it('run: auth failure unreachable, a failing host failed, a lock held by another run refused', async () => {
    const { inventory, deps } = fleet(['h-ok', 'h-auth', 'h-drop', 'h-locked']);
    await deps.lock.acquire(new FakeHost('h-locked'), '/var/lib/mtafleet/run.lock', { run: 'other-run', time: 'now', user: 'ops' });
    const r = await runPlaybook(
      { playbook: parsePlaybook('/pb.yaml', PLAYBOOK), inventory, extraVars: {}, forks: 4, stateDir: join(dir(), 'run1'), autoRollback: true },
      deps,
    );
    expect(r.hosts.map((h) => `${h.name}:${h.status}`)).toEqual(['h-ok:changed', 'h-auth:unreachable', 'h-drop:failed', 'h-locked:refused']);
    expect(r.summary).toEqual({ ok: 0, changed: 1, failed: 1, unreachable: 1, refused: 1 });
    expect(exitCodeFor(r.hosts.map((h) => h.status))).toBe(6);
    expect(exitCodeFor(r.summary)).toBe(6);
  });

  it('run: only refused -> 3; only unreachable -> 4', async () => {
    const a = fleet(['h-ok', 'h-locked']);
    await a.deps.lock.acquire(new FakeHost('h-locked'), '/var/lib/mtafleet/run.lock', { run: 'other-run', time: 'now', user: 'ops' });
    const refused = await runPlaybook(
      { playbook: parsePlaybook('/pb.yaml', PLAYBOOK), inventory: a.inventory, extraVars: {}, forks: 2, stateDir: join(dir(), 'run2'), autoRollback: true },
      a.deps,
    );
    expect(exitCodeFor(refused.hosts.map((h) => h.status))).toBe(3);
    const b = fleet(['h-ok', 'h-key']);
    const unreachable = await runPlaybook(
      { playbook: parsePlaybook('/pb.yaml', PLAYBOOK), inventory: b.inventory, extraVars: {}, forks: 2, stateDir: join(dir(), 'run3'), autoRollback: true },
      b.deps,
    );
    expect(unreachable.hosts.map((h) => `${h.name}:${h.status}`)).toEqual(['h-ok:changed', 'h-key:unreachable']);
    expect(exitCodeFor(unreachable.hosts.map((h) => h.status))).toBe(4);
  });

  it('a refused error raised in the host work is refused, whatever its text', async () => {
    const { inventory, deps } = fleet(['h-ok']);
    deps.lock.acquire = async () => {
      throw new RefusedError('h-ok: authentication failed, unreachable, timed out');
    };
    const r = await runPlaybook(
      { playbook: parsePlaybook('/pb.yaml', PLAYBOOK), inventory, extraVars: {}, forks: 1, stateDir: join(dir(), 'run4'), autoRollback: true },
      deps,
    );
    expect(r.hosts.map((h) => `${h.name}:${h.status}`)).toEqual(['h-ok:refused']);
  });

  it('a plan file made before statuses were recorded reads its hosts without a plan as unreachable', () => {
    const body: PlanBody = samplePlanBody();
    body.plays[0]!.unreachable.push({ host: 'h9', error: 'h9: whatever the text says: failed' });
    expect(outcomesOfPlan(body).find((o) => o.name === 'h9')!.status).toBe('unreachable');
  });
});
