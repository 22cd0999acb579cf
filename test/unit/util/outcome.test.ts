/**
 * The one mapping from host outcomes to exit codes (README "Exit codes"), and the outcome each
 * error class gives a host.
 */
import { describe, expect, it } from 'vitest';
import { countOutcomes, exitCodeFor, ExitCode, OUTCOMES, type Outcome } from '../../../src/util/outcome.js';
import {
  ConnectError,
  ExecError,
  InputError,
  InternalError,
  MtafleetError,
  OutputTooLargeError,
  ProbeError,
  RefusedError,
  StepError,
  outcomeOfError,
} from '../../../src/util/errors.js';

/** README's table, row by row: which failure kinds are present -> exit code. */
const TABLE: Array<{ failed: boolean; unreachable: boolean; refused: boolean; code: number }> = [
  { failed: false, unreachable: false, refused: false, code: 0 },
  { failed: true, unreachable: false, refused: false, code: 2 },
  { failed: false, unreachable: true, refused: false, code: 4 },
  { failed: true, unreachable: true, refused: false, code: 6 },
  { failed: false, unreachable: false, refused: true, code: 3 },
  // A host that failed or was unreachable says more than a refusal: 2/4/6 win over 3.
  { failed: true, unreachable: false, refused: true, code: 2 },
  { failed: false, unreachable: true, refused: true, code: 4 },
  { failed: true, unreachable: true, refused: true, code: 6 },
];

/** Every subset of the outcomes that never change the exit code. */
const HARMLESS: Outcome[][] = [[], ['ok'], ['changed'], ['skipped'], ['ok', 'changed'], ['ok', 'skipped'], ['changed', 'skipped'], ['ok', 'changed', 'skipped']];

describe('exitCodeFor', () => {
  it('has one row per mix of failure kinds, and every outcome is covered', () => {
    expect(TABLE).toHaveLength(8);
    expect([...OUTCOMES].sort()).toEqual(['changed', 'failed', 'ok', 'refused', 'skipped', 'unreachable']);
  });

  for (const row of TABLE) {
    for (const harmless of HARMLESS) {
      const hosts: Outcome[] = [...harmless];
      if (row.failed) hosts.push('failed');
      if (row.unreachable) hosts.push('unreachable');
      if (row.refused) hosts.push('refused');
      it(`[${hosts.join(', ') || 'no hosts'}] -> ${row.code}`, () => {
        expect(exitCodeFor(hosts)).toBe(row.code);
        // Order and repetition do not matter; the counts form (a run's summary) agrees.
        expect(exitCodeFor([...hosts, ...hosts].reverse())).toBe(row.code);
        expect(exitCodeFor(countOutcomes(hosts))).toBe(row.code);
        expect(exitCodeFor(new Set(hosts))).toBe(row.code);
      });
    }
  }

  it('reads a run summary (no `skipped` key, zero counts) as counts', () => {
    expect(exitCodeFor({ ok: 3, changed: 1, failed: 0, unreachable: 0, refused: 0 })).toBe(0);
    expect(exitCodeFor({ ok: 0, changed: 0, failed: 0, unreachable: 2, refused: 0 })).toBe(4);
    expect(exitCodeFor({ ok: 1, changed: 0, failed: 1, unreachable: 1, refused: 1 })).toBe(6);
    expect(exitCodeFor({})).toBe(0);
  });

  it('refuses a value that is not an outcome instead of ignoring it', () => {
    expect(() => exitCodeFor(['ok', 'unreachble' as Outcome])).toThrow(/not a host outcome: unreachble/);
  });

  it('codes are those of DESIGN.md', () => {
    expect(ExitCode).toEqual({ ok: 0, badInput: 1, hostFailed: 2, refused: 3, unreachable: 4, internal: 70 });
  });
});

describe('the outcome an error gives a host (its class, not its text)', () => {
  const cases: Array<[string, MtafleetError, Outcome, number]> = [
    ['ConnectError auth', new ConnectError('h', 'auth', 'h: authentication failed'), 'unreachable', 4],
    ['ConnectError host key', new ConnectError('h', 'host-key-changed', 'h: HOST KEY CHANGED'), 'unreachable', 4],
    ['ConnectError timeout', new ConnectError('h', 'timeout', 'h: no SSH handshake within 5s'), 'unreachable', 4],
    ['ConnectError dns', new ConnectError('h', 'dns', 'h: host name not found'), 'unreachable', 4],
    ['ConnectError other', new ConnectError('h', 'other', 'h: something'), 'unreachable', 4],
    ['RefusedError', new RefusedError('h: drifted since the plan was made'), 'refused', 3],
    ['ExecError', new ExecError('h: connection is closed'), 'failed', 2],
    ['OutputTooLargeError', new OutputTooLargeError('h: too much'), 'failed', 2],
    ['ProbeError', new ProbeError('h: probe'), 'failed', 2],
    ['StepError', new StepError('h: step'), 'failed', 2],
  ];
  for (const [name, err, outcome, code] of cases) {
    it(`${name}: ${outcome}, exit ${code} (top level and per host agree)`, () => {
      expect(outcomeOfError(err)).toBe(outcome);
      expect(err.outcome).toBe(outcome);
      expect(exitCodeFor([outcome])).toBe(code);
      expect(err.exitCode).toBe(code);
    });
  }

  it('text never decides: an ExecError saying "unreachable" is still a failure, a ConnectError saying "failed" still unreachable', () => {
    expect(outcomeOfError(new ExecError('h: unreachable, connect timed out, host key'))).toBe('failed');
    expect(outcomeOfError(new ConnectError('h', 'other', 'h: command failed'))).toBe('unreachable');
    expect(outcomeOfError(new RefusedError('h: authentication failed'))).toBe('refused');
  });

  it('an error that is not mtafleet\'s (a bug, a raw library error) is a failure', () => {
    expect(outcomeOfError(new Error('connect ECONNREFUSED 127.0.0.1:22'))).toBe('failed');
    expect(outcomeOfError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe('failed');
    expect(outcomeOfError('a string')).toBe('failed');
    expect(outcomeOfError(undefined)).toBe('failed');
  });

  it('errors that end the whole command keep their own codes', () => {
    expect(new InputError('bad').exitCode).toBe(1);
    expect(new InternalError('bug').exitCode).toBe(70);
  });
});
