import { describe, expect, it } from 'vitest';
import { auditExitCode, summarize, topFinding } from '../../../src/audit/summary.js';
import type { AuditHost, Finding } from '../../../src/audit/types.js';

const f = (kind: string, severity: Finding['severity']): Finding => ({ kind, severity, title: kind, evidence: [], remedy: null, strength: 1 }) as Finding;
const host = (name: string, over: Partial<AuditHost> = {}): AuditHost => ({
  name, reachable: true, error: null, facts: {} as AuditHost['facts'], findings: [], unavailable: {}, warnings: [], ...over,
});

describe('topFinding', () => {
  it('takes the most severe, the first among equals (diagnose ranks them)', () => {
    expect(topFinding([f('a', 'warn'), f('b', 'critical'), f('c', 'critical')])!.kind).toBe('b');
    expect(topFinding([f('a', 'info'), f('b', 'warn'), f('c', 'warn')])!.kind).toBe('b');
    expect(topFinding([])).toBeUndefined();
  });
});

describe('summarize', () => {
  it('counts hosts, reachable hosts and warn/critical findings by kind', () => {
    expect(summarize([
      host('a', { findings: [f('spool-io', 'critical'), f('deferrals', 'warn'), f('fd-limit', 'info')] }),
      host('b', { findings: [f('spool-io', 'warn')] }),
      host('c', { reachable: false, error: 'refused' }),
    ])).toEqual({ hosts: 3, reachable: 2, byKind: { 'spool-io': 2, deferrals: 1 } });
  });
});

describe('auditExitCode', () => {
  const cases: Array<[string, AuditHost[], number, ('warn' | 'critical')?]> = [
    ['all probed', [host('a'), host('b', { findings: [f('spool-io', 'critical')] })], 0],
    ['one unreachable', [host('a'), host('b', { reachable: false, error: 'refused' })], 4],
    ['one probe batch failed', [host('a', { error: 'batch timed out' })], 2],
    ['both', [host('a', { error: 'x' }), host('b', { reachable: false, error: 'y' })], 6],
    ['--fail-on critical with a critical finding', [host('a', { findings: [f('spool-io', 'critical')] })], 2, 'critical'],
    ['--fail-on critical with only a warning', [host('a', { findings: [f('deferrals', 'warn')] })], 0, 'critical'],
    ['--fail-on warn with a warning', [host('a', { findings: [f('deferrals', 'warn')] })], 2, 'warn'],
    ['--fail-on warn ignores info', [host('a', { findings: [f('x', 'info')] })], 0, 'warn'],
    ['--fail-on and unreachable', [host('a', { findings: [f('x', 'warn')] }), host('b', { reachable: false, error: 'y' })], 6, 'warn'],
    ['empty fleet', [], 0],
  ];
  it.each(cases)('%s', (_name, hosts, expected, failOn) => {
    expect(auditExitCode({ hosts }, failOn)).toBe(expected);
  });
});
