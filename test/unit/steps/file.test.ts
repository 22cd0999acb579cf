import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileParams, fileStep, renderLine, sha256, type FileState } from '../../../src/steps/file.js';
import type { Action } from '../../../src/steps/types.js';

interface Case {
  name: string;
  params: unknown;
  state: FileState;
  fixSha?: boolean;
  expect: {
    kind: string;
    summaries?: string[];
    reason?: string;
    after?: string;
    undo?: { type: string; content?: string; mode?: number; owner?: string; group?: string };
    doCommand?: string;
    undoCommand?: string;
  };
}

const cases = JSON.parse(readFileSync(join(__dirname, '../../fixtures/steps/file-plans.json'), 'utf8')) as Case[];

function content(a: Action): string | undefined {
  return a.type === 'write-file' ? Buffer.from(a.contentBase64, 'base64').toString('utf8') : undefined;
}

describe('file plan (recorded observations)', () => {
  for (const c of cases) {
    it(c.name, () => {
      const params = fileParams.parse(c.params);
      const state = structuredClone(c.state);
      // Fixtures store content; the real hash is computed here so they stay readable.
      if (c.fixSha) for (const f of Object.values(state)) if (f.content !== null) f.sha256 = sha256(f.content);
      const frozen = structuredClone(state);
      const plan = fileStep.plan(state, params);
      expect(state).toEqual(frozen); // plan does not mutate what it was given
      expect(plan.kind).toBe(c.expect.kind);
      if (plan.kind === 'noop' || plan.kind === 'refused') {
        expect(plan.reason).toContain(c.expect.reason);
        return;
      }
      if (plan.kind !== 'changes') return;
      expect(plan.changes.map((x) => x.summary)).toEqual(c.expect.summaries);
      const change = plan.changes[0];
      expect(change.label).toBe('exact');
      if (c.expect.after !== undefined) expect(content(change.do[0])).toBe(c.expect.after);
      if (c.expect.undo) {
        const undo = change.undo[0];
        expect(undo.type).toBe(c.expect.undo.type);
        if (c.expect.undo.content !== undefined) expect(content(undo)).toBe(c.expect.undo.content);
        if (undo.type === 'write-file') {
          if (c.expect.undo.mode !== undefined) expect(undo.mode).toBe(c.expect.undo.mode);
          if (c.expect.undo.owner !== undefined) expect(undo.owner).toBe(c.expect.undo.owner);
          if (c.expect.undo.group !== undefined) expect(undo.group).toBe(c.expect.undo.group);
        }
      }
      if (c.expect.doCommand) expect(change.do[0]).toMatchObject({ type: 'exec', command: c.expect.doCommand });
      if (c.expect.undoCommand) expect(change.undo[0]).toMatchObject({ type: 'exec', command: c.expect.undoCommand });
    });
  }

  it('is pure: the same observation gives a deep-equal plan', () => {
    for (const c of cases) {
      const params = fileParams.parse(c.params);
      expect(fileStep.plan(structuredClone(c.state), params)).toEqual(fileStep.plan(structuredClone(c.state), params));
    }
  });

  it('a content change carries a unified diff and a sha256 verify', () => {
    const plan = fileStep.plan(cases[0].state, fileParams.parse(cases[0].params));
    if (plan.kind !== 'changes') throw new Error('expected changes');
    const diff = plan.changes[0].diff;
    expect(diff.type).toBe('file');
    if (diff.type === 'file') expect(diff.unified).toMatch(/-a = 1\n\+a = 2/);
    expect(plan.changes[0].verify?.[0]).toMatchObject({ type: 'exec', expectStdout: `^${sha256('a = 2\n')}\\s` });
  });
});

describe('file params', () => {
  it.each([
    [{ path: 'etc/x', content: '' }, 'absolute'],
    [{ path: '/etc/x\nrm', content: '' }, 'newline'],
    [{ path: '/etc/x', content: 'a', line: 'b' }, 'not both'],
    [{ path: '/etc/x', regexp: 'a' }, 'regexp needs line'],
    [{ path: '/etc/x', line: 'a', regexp: '(' }, 'regular expression'],
    [{ path: '/etc/x', content: 'a', mode: '644x' }, 'octal'],
    [{ path: '/etc/x', content: 'a', owner: 'root;rm' }, 'user or group'],
  ])('rejects %j', (params, words) => {
    const r = fileParams.safeParse(params);
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.message).join(' ')).toContain(words);
  });
});

describe('renderLine', () => {
  it.each([
    ['', 'a', undefined, 'a\n'],
    ['x\n', 'a', undefined, 'x\na\n'],
    ['x\na\n', 'a', undefined, 'x\na\n'],
    ['k=1\nk=2\n', 'k=3', '^k=', 'k=1\nk=3\n'],
    ['k=1', 'k=3', '^k=', 'k=3'],
  ])('%j + %j (%s) -> %j', (before, line, re, after) => {
    expect(renderLine(before, line, re)).toBe(after);
  });
});
