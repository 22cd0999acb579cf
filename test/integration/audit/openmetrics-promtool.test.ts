/**
 * `audit --format openmetrics` output through the real `promtool check metrics` (Debian package
 * prometheus): the renderer's output on a rich report with hostile host names, source IPs,
 * recipient domains and finding kinds passes; a broken exposition fails (so the check can fail).
 * The lab audit's own output is checked in audit-lab.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { renderOpenMetrics } from '../../../src/report/openmetrics.js';
import { summarize } from '../../../src/audit/summary.js';
import type { AuditHost } from '../../../src/audit/types.js';
import { promtoolCheck } from '../../helpers/promtool.js';
import { ESC, HOSTILE, sampleReport } from '../../unit/report/fixture.js';

function hostileReport() {
  const report = sampleReport();
  const nasty = ['back\\slash', 'quote"d', 'new\nline', `esc${ESC}`, HOSTILE, 'x'.repeat(5000), '\u{1F4E7}\ud800', '} 1\nfake_metric 2'];
  const acc = (report.hosts[1]!.facts as Record<string, Record<string, Record<string, unknown>>>).accounting!;
  for (const n of nasty) {
    acc.bySourceIp[n] = { delivered: 5, deferred: 2, bounced: 1 };
    acc.byDomain[n] = { delivered: 5, deferred: 2, bounced: 1, deferralRate: 0.25 };
  }
  acc.mxHosts = { [nasty[1]!]: 'aspmx.l.google.com' };
  const extra: AuditHost[] = nasty.map((name, i) => ({
    ...report.hosts[0]!,
    name,
    probeSeconds: i + 0.5,
    findings: [{ kind: nasty[(i + 1) % nasty.length] as never, severity: 'warn', title: 't', evidence: [], remedy: null, strength: 1 }],
  }));
  const hosts = [...report.hosts, ...extra];
  hosts[0] = { ...hosts[0]!, facts: { ...hosts[0]!.facts, fd: { openFds: 10, softLimit: Infinity, logs: [] }, ports: { sysctl: {}, summary: {}, source: 'ss', timeWait: 3, localPorts: 28232 } } as AuditHost['facts'] };
  return { hosts, summary: summarize(hosts) };
}

describe('promtool check metrics', () => {
  it('passes the exposition of a rich report with hostile label values', () => {
    const text = renderOpenMetrics(hostileReport());
    expect(text).toContain('mtafleet_open_files_limit{host="mta01"} +Inf');
    expect(text.split('\n').filter((l) => l.startsWith('fake_metric'))).toEqual([]);
    const r = promtoolCheck(text);
    expect(r.output).toBe('');
    expect(r.code).toBe(0);
  });

  it('fails a broken exposition: an unescaped quote in a label value, a family declared twice', () => {
    const good = renderOpenMetrics(sampleReport());
    const unescaped = good.replace('host="mta01"', 'host="mt"a01"');
    expect(promtoolCheck(unescaped).code).not.toBe(0);
    const twice = `${good}# HELP mtafleet_audit_hosts again\n# TYPE mtafleet_audit_hosts gauge\nmtafleet_audit_hosts 1\n`;
    expect(promtoolCheck(twice).code).not.toBe(0);
    const lint = '# HELP x_count a gauge named like a counter\n# TYPE x_count counter\nx_count 1\n';
    const r = promtoolCheck(lint);
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(/x_count/);
  });
});
