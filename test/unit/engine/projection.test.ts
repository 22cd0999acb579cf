import { describe, expect, it } from 'vitest';
import { projectionMismatch, ProjectedState, projectTask } from '../../../src/engine/projection.js';
import { STEP_KINDS } from '../../../src/steps/registry.js';
import { EVERYTHING } from '../../../src/steps/resources.js';
import { UNKNOWN_FIELD } from '../../../src/steps/types.js';

describe('projectionMismatch (the after-apply check)', () => {
  const before = { 'systemd unit pmta': { LimitNOFILE: '1024', LimitNOFILESoft: '1024', MainPID: '10' } };
  const projected = { 'systemd unit pmta': { LimitNOFILE: '16384', LimitNOFILESoft: '16384', MainPID: '10' } };

  it('compares only what the task changes: a PID that moved meanwhile is not a mismatch', () => {
    expect(projectionMismatch(projected, before, { 'systemd unit pmta': { LimitNOFILE: '16384', LimitNOFILESoft: '16384', MainPID: '77' } })).toEqual([]);
  });

  it('names the resource and field that is not as planned, projected -> found', () => {
    const found = { 'systemd unit pmta': { LimitNOFILE: '16384', LimitNOFILESoft: '1024', MainPID: '77' } };
    expect(projectionMismatch(projected, before, found)).toEqual(['systemd unit pmta changed (LimitNOFILESoft 16384 -> 1024)']);
  });

  it('skips fields the projection could not know (a new file\'s owner), and names a file still absent', () => {
    const absent = { exists: false, sha256: null, mode: null, owner: null, group: null, content: null };
    const made = { exists: true, sha256: 'ab', mode: '644', owner: UNKNOWN_FIELD, group: UNKNOWN_FIELD, content: 'x\n' };
    expect(projectionMismatch({ 'file /etc/x': made }, { 'file /etc/x': absent }, { 'file /etc/x': { ...made, owner: 'root', group: 'root' } })).toEqual([]);
    expect(projectionMismatch({ 'file /etc/x': made }, { 'file /etc/x': absent }, { 'file /etc/x': absent })).toEqual(['file /etc/x disappeared']);
  });
});

describe('ProjectedState and projectTask', () => {
  it('a command leaves everything unknown: every later task is predicted, naming the command', () => {
    const state = new ProjectedState();
    const step = STEP_KINDS.command!;
    const params = step.params.parse({ cmd: 'true' });
    const plan = step.plan({}, params);
    const effect = projectTask(step, {}, params, plan, false);
    expect(effect).toEqual({ written: {}, unknown: [EVERYTHING] });
    state.record('cmd', effect);
    expect(state.unknownReason({ 'file /x': {} })).toMatch(/task "cmd" runs before it and may change anything/);
  });

  it('a sysctl task writes its runtime value and the config files; a later reader gets them as its basis', () => {
    const step = STEP_KINDS.sysctl!;
    const params = step.params.parse({ name: 'net.core.somaxconn', value: '4096' });
    const obs = { 'sysctl net.core.somaxconn': { value: '128', error: null }, 'sysctl config files': {} };
    const effect = projectTask(step, obs, params, step.plan(obs, params), false);
    expect(Object.keys(effect.written).sort()).toEqual(['sysctl config files', 'sysctl net.core.somaxconn']);
    const state = new ProjectedState();
    state.record('first', effect);
    expect(state.basisFor({ 'sysctl config files': {}, 'sysctl net.ipv4.tcp_fin_timeout': {} })).toEqual({ 'sysctl config files': effect.written['sysctl config files'] });
    expect(state.unknownReason(obs)).toBeUndefined();
  });
});

describe('projectTask: predicted changes', () => {
  it('a change labelled predicted leaves every resource its task observed unknown, whatever project() says', () => {
    const step = STEP_KINDS.file!;
    const params = step.params.parse({ path: '/etc/x', content: 'x\n' });
    const obs = { 'file /etc/x': { exists: false, sha256: null, mode: null, owner: null, group: null, content: null } };
    const plan = step.plan(obs, params);
    expect(Object.keys(projectTask(step, obs, params, plan, false).written)).toEqual(['file /etc/x']);
    if (plan.kind !== 'changes') throw new Error('fixture plans no change');
    const guessed = { kind: 'changes' as const, changes: plan.changes.map((c) => ({ ...c, label: 'predicted' as const })) };
    expect(projectTask(step, obs, params, guessed, false)).toEqual({ written: {}, unknown: ['file /etc/x'] });
    expect(projectTask(step, obs, params, plan, true)).toEqual({ written: {}, unknown: ['file /etc/x'] });
  });
});

describe('projectTask: a predicted task that plans nothing now', () => {
  it('still leaves what it observed unknown: re-planned at apply, it may change it', () => {
    const step = STEP_KINDS.sysctl!;
    const params = step.params.parse({ name: 'net.core.somaxconn', value: '4096' });
    const obs = { 'sysctl net.core.somaxconn': { value: '4096', error: null }, 'sysctl config files': { '/etc/sysctl.d/90-mtafleet.conf': 'net.core.somaxconn = 4096\n' } };
    const plan = step.plan(obs, params);
    expect(plan.kind).toBe('noop');
    expect(projectTask(step, obs, params, plan, false)).toEqual({ written: {}, unknown: [] });
    expect(projectTask(step, obs, params, plan, true)).toEqual({ written: {}, unknown: ['sysctl net.core.somaxconn', 'sysctl config files'] });
  });
});
