import { describe, expect, it } from 'vitest';
import { commandParams, commandStep } from '../../../src/steps/command.js';

const plan = (params: unknown, state: Record<string, unknown>) => commandStep.plan(state as never, commandParams.parse(params));

describe('command plan', () => {
  it('is always predicted, has no undo, and quotes cmd as one sh -c argument', () => {
    const p = plan({ cmd: "echo 'hi' > /tmp/x" }, {});
    expect(p.kind).toBe('changes');
    if (p.kind !== 'changes') return;
    expect(p.changes[0].label).toBe('predicted');
    expect(p.changes[0].undo).toEqual([]);
    expect(p.changes[0].do[0]).toEqual({ type: 'exec', command: `sh -c 'echo '\\''hi'\\'' > /tmp/x'` });
  });

  it('argv is quoted word by word', () => {
    const p = plan({ argv: ['systemctl', 'reload', 'pmta; rm -rf /'] }, {});
    if (p.kind !== 'changes') throw new Error('expected changes');
    expect(p.changes[0].do[0]).toMatchObject({ command: `systemctl reload 'pmta; rm -rf /'` });
  });

  it.each([
    [{ cmd: 'make', creates: '/opt/done' }, { 'command creates /opt/done': { exists: true } }, 'noop', 'exists'],
    [{ cmd: 'make', creates: '/opt/done' }, { 'command creates /opt/done': { exists: false } }, 'changes', ''],
    [{ cmd: 'make', unless: 'test -f /x' }, { 'command unless test -f /x': { exitCode: 0 } }, 'noop', 'unless'],
    [{ cmd: 'make', unless: 'test -f /x' }, { 'command unless test -f /x': { exitCode: 1 } }, 'changes', ''],
    [{ cmd: 'make', creates: '/opt/done' }, {}, 'refused', 'no observation'],
  ])('%j with %j -> %s', (params, state, kind, reason) => {
    const p = plan(params, state);
    expect(p.kind).toBe(kind);
    if (p.kind !== 'changes') expect(p.reason).toContain(reason);
  });

  it('needs exactly one of cmd and argv; creates must be absolute', () => {
    expect(commandParams.safeParse({}).success).toBe(false);
    expect(commandParams.safeParse({ cmd: 'a', argv: ['b'] }).success).toBe(false);
    expect(commandParams.safeParse({ cmd: 'a', creates: 'rel' }).success).toBe(false);
  });
});
