import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { Action, Change, StepKind, StepPlan } from '../../../src/steps/types.js';

/**
 * Table-driven planner checks: test/fixtures/steps/<kind>/*.json hold
 * { name, params, state, expected } where expected is { kind, reasonIncludes?, changes? } and
 * each expected change may name summaryIncludes, path, after, afterIncludes, do, undo, undoCommand.
 */
export interface ExpectedChange {
  summaryIncludes?: string;
  path?: string;
  after?: string;
  afterIncludes?: string;
  /** A substring of the first exec command of `do`. */
  do?: string;
  /** Type of the first undo action. */
  undo?: Action['type'];
  /** A substring of the first undo exec command. */
  undoCommand?: string;
}
export interface PlanFixture {
  name: string;
  file: string;
  params: unknown;
  state: Record<string, unknown>;
  expected: { kind: StepPlan['kind']; reasonIncludes?: string; changes?: ExpectedChange[] };
}

const fixturesRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/steps');

export function loadFixtures(kind: string): PlanFixture[] {
  const dir = path.join(fixturesRoot, kind);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ ...(JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Omit<PlanFixture, 'file'>), file: f }));
}

export function fixturePath(...parts: string[]): string {
  return path.join(fixturesRoot, ...parts);
}

export function firstExec(actions: Action[]): string | undefined {
  const a = actions.find((x) => x.type === 'exec');
  return a && a.type === 'exec' ? a.command : undefined;
}

export function checkPlan(step: StepKind<any, any>, fx: PlanFixture): StepPlan {
  const params = step.params.parse(fx.params);
  const plan = step.plan(fx.state, params);
  expect(plan.kind, JSON.stringify(plan, null, 1).slice(0, 2000)).toBe(fx.expected.kind);
  if (plan.kind !== 'changes') {
    if (fx.expected.reasonIncludes) expect(plan.reason).toContain(fx.expected.reasonIncludes);
    return plan;
  }
  const expected = fx.expected.changes ?? [];
  expect(plan.changes.map((c) => c.summary)).toHaveLength(expected.length);
  expected.forEach((e, i) => checkChange(plan.changes[i], e));
  return plan;
}

function checkChange(change: Change, e: ExpectedChange): void {
  if (e.summaryIncludes) expect(change.summary).toContain(e.summaryIncludes);
  if (e.path || e.after || e.afterIncludes) {
    expect(change.diff.type).toBe('file');
    if (change.diff.type !== 'file') return;
    if (e.path) expect(change.diff.path).toBe(e.path);
    if (e.after !== undefined) expect(change.diff.after).toBe(e.after);
    if (e.afterIncludes) expect(change.diff.after).toContain(e.afterIncludes);
  }
  if (e.do) expect(firstExec(change.do)).toContain(e.do);
  if (e.undo) expect(change.undo[0]?.type).toBe(e.undo);
  if (e.undoCommand) expect(firstExec(change.undo)).toContain(e.undoCommand);
  expect(change.undo.length + change.do.length).toBeGreaterThan(0);
}
