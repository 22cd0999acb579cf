import { describe, expect, it } from 'vitest';
import { fingerprint } from '../../../src/engine/canonical.js';
import { verifyPlanDerivation } from '../../../src/engine/plan-verify.js';
import type { PlanDocument } from '../../../src/engine/planfile.js';
import { STEP_KINDS } from '../../../src/steps/registry.js';
import { PlanFileError } from '../../../src/util/errors.js';

/** A plan document whose one task is what the real `file` step plans from its observation. */
async function planned(): Promise<PlanDocument> {
  const step = STEP_KINDS.file!;
  const params = step.params.parse({ path: '/etc/app.conf', content: 'threads = 8\n' });
  // Observe through a fake host that reports the file as absent: the real observe code runs.
  const host = {
    name: 'h1',
    exec: async () => ({ stdout: '', stderr: '', exitCode: 0, signal: null, durationMs: 1 }),
    readFile: async () => null,
    writeFileAtomic: async () => {},
    close: async () => {},
  };
  const observations = (await step.observe(host as never, params, { become: false }).catch(() => null)) as Record<string, unknown> | null;
  const obs = observations ?? { 'file /etc/app.conf': { exists: false } };
  const plan = step.plan(obs, params);
  return {
    format: 'mtafleet-plan', version: 1, created: 'x', user: 'ops', digest: 'd',
    playbook: { path: '/pb', sha256: 'a'.repeat(64) }, inventory: { path: '/inv', sha256: 'b'.repeat(64) },
    limit: null, extraVars: {},
    plays: [{ index: 0, name: 'p', rolling: { serial: [{ count: 1 }] }, unreachable: [], hosts: [{
      host: 'h1', fingerprint: fingerprint(obs), observations: obs, lockPath: '/var/lock/mtafleet.lock', become: false,
      tasks: [{ name: 't', kind: 'file', handler: false, params, notify: [], observations: obs, plan }],
    }] }],
  } as unknown as PlanDocument;
}

describe('verifyPlanDerivation', () => {
  it('accepts the changes the planner itself derived', async () => {
    const doc = await planned();
    expect(doc.plays[0]!.hosts[0]!.tasks[0]!.plan.kind).toBe('changes');
    expect(() => verifyPlanDerivation(doc, STEP_KINDS, 'p.plan')).not.toThrow();
  });

  it('refuses a forged action even when everything else is consistent', async () => {
    const doc = await planned();
    const plan = doc.plays[0]!.hosts[0]!.tasks[0]!.plan;
    if (plan.kind !== 'changes') throw new Error('fixture has no change');
    plan.changes[0]!.do = [{ type: 'exec', command: 'rm -rf /' }];
    expect(() => verifyPlanDerivation(doc, STEP_KINDS, 'p.plan')).toThrow(PlanFileError);
    expect(() => verifyPlanDerivation(doc, STEP_KINDS, 'p.plan')).toThrow(/not what mtafleet plans/);
  });

  it('refuses a fingerprint that is not the hash of the observations', async () => {
    const doc = await planned();
    doc.plays[0]!.hosts[0]!.fingerprint = 'f'.repeat(64);
    expect(() => verifyPlanDerivation(doc, STEP_KINDS, 'p.plan')).toThrow(/fingerprint is not the hash/);
  });

  it('refuses parameters that do not validate', async () => {
    const doc = await planned();
    doc.plays[0]!.hosts[0]!.tasks[0]!.params = { path: 'relative; rm -rf /', content: 'x' };
    expect(() => verifyPlanDerivation(doc, STEP_KINDS, 'p.plan')).toThrow(/do not validate/);
  });

  it('derives a projected task from its observation and basis: the right plan passes, the plan of the bare observation does not', async () => {
    const doc = await planned();
    const t = doc.plays[0]!.hosts[0]!.tasks[0]!;
    const step = STEP_KINDS.file!;
    // As if an earlier task of the plan creates the file with other content.
    const basis = { 'file /etc/app.conf': { exists: true, sha256: 'x', mode: '644', owner: 'root', group: 'root', content: 'threads = 4\n' } };
    t.basis = basis;
    t.plan = step.plan({ ...t.observations, ...basis }, t.params);
    expect(() => verifyPlanDerivation(doc, STEP_KINDS, 'p.plan')).not.toThrow();
    t.plan = step.plan(t.observations, t.params);
    expect(() => verifyPlanDerivation(doc, STEP_KINDS, 'p.plan')).toThrow(/not what mtafleet plans/);
  });

  it('refuses an observation outside the resources the step kind reads, and a basis it did not observe', async () => {
    const doc = await planned();
    const t = doc.plays[0]!.hosts[0]!.tasks[0]!;
    t.observations = { ...t.observations, 'file /etc/shadow': { exists: true } };
    expect(() => verifyPlanDerivation(doc, STEP_KINDS, 'p.plan')).toThrow(/task "t": its observation holds "file \/etc\/shadow", which a file task does not read/);
    const doc2 = await planned();
    doc2.plays[0]!.hosts[0]!.tasks[0]!.basis = { 'sysctl vm.swappiness': { value: '1', error: null } };
    expect(() => verifyPlanDerivation(doc2, STEP_KINDS, 'p.plan')).toThrow(/its basis holds "sysctl vm.swappiness", which it did not observe/);
  });
});
