/** Per-host outcomes of exec and audit, which then go through the one exitCodeFor. */
import { describe, expect, it } from 'vitest';
import { auditOutcome } from '../../../src/audit/summary.js';
import type { AuditHost, Finding } from '../../../src/audit/types.js';
import { execOutcome, renderText } from '../../../src/cli/exec.js';
import type { HostOutcome } from '../../../src/transport/fleet.js';
import type { ExecResult } from '../../../src/transport/types.js';
import { ConnectError, ExecError, RefusedError } from '../../../src/util/errors.js';

const result = (exitCode: number | null): ExecResult => ({ stdout: '', stderr: '', exitCode, signal: exitCode === null ? 'KILL' : null, durationMs: 1 });

describe('execOutcome', () => {
  it('ok only for a command that exited 0; non-zero or killed is failed', () => {
    expect(execOutcome({ name: 'h', status: 'ok', value: result(0) })).toBe('ok');
    expect(execOutcome({ name: 'h', status: 'ok', value: result(3) })).toBe('failed');
    expect(execOutcome({ name: 'h', status: 'ok', value: result(null) })).toBe('failed');
  });

  it("a host without a result keeps the outcome its error's class gave it, and shows it", () => {
    const cases: Array<[HostOutcome<ExecResult>, string]> = [
      [{ name: 'h', status: 'unreachable', error: new ConnectError('h', 'auth', 'h (root@x:22): authentication failed (tried key /k)') }, 'h | UNREACHABLE! => h (root@x:22): authentication failed (tried key /k)\n'],
      [{ name: 'h', status: 'failed', error: new ExecError('h: "sleep" timed out after 1s') }, 'h | FAILED! => h: "sleep" timed out after 1s\n'],
      [{ name: 'h', status: 'refused', error: new RefusedError('h: refused') }, 'h | REFUSED! => h: refused\n'],
    ];
    for (const [o, text] of cases) {
      expect(execOutcome(o)).toBe(o.status);
      expect(renderText(o)).toBe(text);
    }
  });
});

describe('auditOutcome', () => {
  const host = (over: Partial<AuditHost> = {}): AuditHost => ({ name: 'h', reachable: true, error: null, facts: {} as AuditHost['facts'], findings: [], unavailable: {}, warnings: [], ...over });
  const critical = { kind: 'spool-io', severity: 'critical', title: 't', evidence: [], remedy: null, strength: 1 } as unknown as Finding;

  it('unreachable when not reached, failed when reached but not probed, ok otherwise; --fail-on makes a finding a failure', () => {
    expect(auditOutcome(host({ reachable: false, error: 'h: authentication failed' }))).toBe('unreachable');
    expect(auditOutcome(host({ error: 'h: no probe produced facts' }))).toBe('failed');
    expect(auditOutcome(host({ findings: [critical] }))).toBe('ok');
    expect(auditOutcome(host({ findings: [critical] }), 'critical')).toBe('failed');
    expect(auditOutcome(host({ reachable: false, error: 'x', findings: [critical] }), 'warn')).toBe('unreachable');
  });
});
