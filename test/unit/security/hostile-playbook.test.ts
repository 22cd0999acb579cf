/**
 * Issue #13 item 6 for playbooks and plan files: task keys, step kinds and register names
 * are looked up in maps. A task key `toString` once found Object.prototype.toString as its
 * step kind (internal error, exit 70, instead of exit 1 with the line); a plan file's task
 * kind `constructor` crashed apply's check the same way; `register: __proto__` replaced the
 * prototype of the registered results instead of registering.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fingerprint } from '../../../src/engine/canonical.js';
import { planHost } from '../../../src/engine/plan-host.js';
import type { PlanDocument } from '../../../src/engine/planfile.js';
import { verifyPlanDerivation } from '../../../src/engine/plan-verify.js';
import { prepareHost } from '../../../src/engine/prepare.js';
import { parsePlaybook } from '../../../src/playbook/load.js';
import { STEP_KINDS } from '../../../src/steps/registry.js';
import { PlanFileError } from '../../../src/util/errors.js';
import { HOSTILE_KEYS, prototypeSnapshot } from '../../helpers/hostile-keys.js';
import { FakeHost, KINDS, fakeKind } from '../engine/fakes.js';

let before: Map<string, unknown>;
beforeEach(() => {
  before = prototypeSnapshot();
});
afterEach(() => {
  expect(prototypeSnapshot()).toEqual(before);
});
beforeAll(() => {
  STEP_KINDS.fake = fakeKind;
});
afterAll(() => {
  delete STEP_KINDS.fake;
});

describe('playbook task keys', () => {
  it.each(HOSTILE_KEYS)('a task key %s is an unknown step kind, reported with its line', (key) => {
    const yaml = `- hosts: all\n  tasks:\n    - name: t\n      ${key}: {}\n`;
    expect(() => parsePlaybook('/pb.yaml', yaml)).toThrow(`/pb.yaml:4: plays[0].tasks[0].${key}: unknown step kind or key "${key}"`);
  });
});

describe('register', () => {
  it.each(HOSTILE_KEYS.filter((k) => /^[A-Za-z_]\w*$/.test(k)))('register: %s holds the result for later tasks', async (name) => {
    const pb = parsePlaybook(
      '/pb.yaml',
      `- hosts: all\n  tasks:\n    - name: one\n      fake: { key: /a, value: "1" }\n      register: ${name}\n    - name: two\n      fake: { key: /b, value: "2" }\n      when: ${name}.changed\n`,
    );
    const host = { name: 'h1', vars: {}, groups: ['all'] };
    const plan = await planHost(new FakeHost('h1'), prepareHost(pb, 0, host, {}), KINDS);
    expect(plan.tasks.map((t) => [t.name, t.plan.kind, t.skipped ?? null])).toEqual([
      ['one', 'changes', null],
      ['two', 'changes', null],
    ]);
  });
});

describe('plan files', () => {
  it.each(HOSTILE_KEYS)('a task kind %s is refused as unknown (apply exits 1, no crash)', (kind) => {
    const doc = {
      plays: [{ hosts: [{ host: 'h1', fingerprint: fingerprint({}), observations: {}, tasks: [{ name: 't', kind, params: {}, observations: {}, plan: { kind: 'changes', changes: [] } }] }] }],
    } as unknown as PlanDocument;
    expect(() => verifyPlanDerivation(doc, STEP_KINDS, 'p.json')).toThrow(PlanFileError);
    expect(() => verifyPlanDerivation(doc, STEP_KINDS, 'p.json')).toThrow(`unknown step kind "${kind}"`);
  });
});
