/**
 * `plan --from-audit` on a lab with mixed scenarios (issue #14 item 6, "done when"): audit ->
 * plan --from-audit --out (the Markdown change ticket on stdout) -> apply --yes -> audit again.
 * The remedied findings are gone, the finding without an automatic remedy is listed with why and
 * left as it was, and the healthy host is untouched. Each host has one remedy (two remedies on
 * one host are a unit test: test/unit/engine/from-audit.test.ts). Every run is judged; none is retried.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labSettleSeconds } from '../../../src/lab/scenarios.js';
import { hostState } from '../../helpers/host-state.js';
import { cli, useLab, type LabHandle } from '../../helpers/lab.js';
import { AuditContract } from '../../unit/report/contract.js';

const SCENARIOS = ['thread-contention', 'port-exhaustion', 'thread-contention-no-directive', 'healthy'];

async function configHash(lab: LabHandle, host: string): Promise<string> {
  const r = await lab.run(host, 'cat /etc/pmta/config');
  return createHash('sha256').update(r.stdout).digest('hex');
}

describe('plan --from-audit on a lab with mixed scenarios', () => {
  const fx = useLab({ name: 'f14fa', hosts: SCENARIOS.length, scenarios: SCENARIOS });

  it('audit -> plan --from-audit -> apply: the next audit no longer has the remedied findings; the rest is untouched', async () => {
    await new Promise((resolve) => setTimeout(resolve, labSettleSeconds(SCENARIOS) * 1000));
    const name = (scenario: string) => fx.lab.hosts.find((h) => h.scenario === scenario)!.name;
    const threads = name('thread-contention');
    const ports = name('port-exhaustion');
    const manual = name('thread-contention-no-directive');
    const healthy = name('healthy');
    const state = join(fx.dir, 'state');
    const healthyBefore = await hostState(fx.lab, healthy);
    const manualBefore = await configHash(fx.lab, manual);

    const audit = async () => {
      const r = await cli(['audit', '-i', fx.lab.inventoryFile, '--format', 'json', '--state-dir', state]);
      expect(r.exitCode, r.stderr).toBe(0);
      return { text: r.stdout, report: AuditContract.parse(JSON.parse(r.stdout)) };
    };
    const kinds = (report: ReturnType<typeof AuditContract.parse>, host: string) =>
      report.hosts.find((h) => h.name === host)!.findings.filter((f) => f.severity !== 'info').map((f) => f.kind);

    const first = await audit();
    const auditFile = join(fx.dir, 'audit.json');
    writeFileSync(auditFile, first.text);
    expect(kinds(first.report, threads), 'thread-contention host').toContain('thread-contention');
    expect(kinds(first.report, ports), 'port-exhaustion host').toContain('port-exhaustion');
    expect(kinds(first.report, manual), 'no-directive host').toContain('thread-contention');
    expect(kinds(first.report, healthy), 'healthy host').toEqual([]);
    // What the audit names for each host, as the plan must take it.
    const remedies = (host: string) =>
      first.report.hosts.find((h) => h.name === host)!.findings.filter((f) => f.severity !== 'info' && f.remedy !== null).map((f) => f.remedy);

    const planFile = join(fx.dir, 'fix.plan');
    const plan = await cli(['plan', '--from-audit', auditFile, '-i', fx.lab.inventoryFile, '--out', planFile, '--format', 'markdown']);
    expect(plan.exitCode, plan.stderr + plan.stdout).toBe(0);
    const ticket = plan.stdout;
    expect(ticket).toMatch(/^# Change ticket: remedies for the findings of /);
    expect(ticket).toMatch(new RegExp(`\\| ${threads} \\| thread-contention \\| (warn|critical) \\| playbooks/pmta-threads\\.yaml \\(remedy \\d\\) \\| threads=\\d+ \\| [1-9]\\d* change\\(s\\) \\|`));
    expect(ticket).toMatch(new RegExp(`\\| ${ports} \\| port-exhaustion \\| (warn|critical) \\| playbooks/network-tuning\\.yaml \\(remedy \\d\\) \\| port_range=10240 65535 \\| [1-9]\\d* change\\(s\\) \\|`));
    expect(ticket).toMatch(new RegExp(`\\| ${manual} \\| thread-contention \\| (warn|critical) \\| no playbook fixes this: a person must act \\(instead: the PowerMTA v5\\.0 User's Guide documents no thread-count directive`));
    expect(ticket).toContain(`Hosts with no warn or critical finding (left alone): ${healthy}.`);
    expect(ticket).toContain(`mtafleet apply ${planFile}`);

    const doc = JSON.parse(readFileSync(planFile, 'utf8')) as {
      fromAudit: { sources: Array<{ playbook: { path: string }; limit: string; extraVars: Record<string, string> }> };
      plays: Array<{ hosts: Array<{ host: string }> }>;
    };
    const planned = doc.fromAudit.sources.flatMap((s) => s.limit.split(',').map((h) => [h, s.playbook.path.replace(/^.*\/(playbooks\/)/, '$1')]));
    const expected = [threads, ports].flatMap((h) => remedies(h).map((r) => [h, r]));
    expect(planned.sort()).toEqual(expected.sort());
    expect(doc.plays.flatMap((p) => p.hosts.map((h) => h.host))).not.toContain(healthy);
    expect(doc.plays.flatMap((p) => p.hosts.map((h) => h.host))).not.toContain(manual);

    const apply = await cli(['apply', planFile, '--yes', '--format', 'json', '--state-dir', state]);
    expect(apply.exitCode, apply.stderr + apply.stdout).toBe(0);
    const applied = JSON.parse(apply.stdout) as { hosts: Array<{ name: string; status: string; error: string | null }> };
    expect(applied.hosts.map((h) => [h.name, h.status, h.error]).sort()).toEqual(
      [...new Set(expected.map(([h]) => h!))].map((h) => [h, 'changed', null]).sort(),
    );

    const second = await audit();
    expect(kinds(second.report, threads), 'thread-contention host after apply').not.toContain('thread-contention');
    expect(kinds(second.report, ports), 'port-exhaustion host after apply').not.toContain('port-exhaustion');
    expect(kinds(second.report, manual), 'no-directive host: not remedied').toContain('thread-contention');
    expect(kinds(second.report, healthy), 'healthy host').toEqual([]);
    expect(await hostState(fx.lab, healthy)).toBe(healthyBefore);
    expect(await configHash(fx.lab, manual)).toBe(manualBefore);
  }, 420_000);
});
