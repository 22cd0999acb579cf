/**
 * Reputation per source IP and ISP, end to end (issue #12 item 5): `mtafleet audit` on a lab
 * with one host per new scenario and a healthy one. microsoft-block: one source IP refused by
 * Microsoft with `550 5.7.1 ... (S3150)` hard bounces (b records, bounceCat policy-related);
 * isp-deferral-uniform: Yahoo defers ~30 % with `421 4.7.0 [TSS04]` on every IP, connections
 * far from full. After a fixed settle wait, every audit run is judged; none is retried.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sourceIps } from '../../../src/lab/scenarios.js';
import { cli, useLab } from '../../helpers/lab.js';
import { AuditContract } from '../../unit/report/contract.js';

const SCENARIOS = ['microsoft-block', 'isp-deferral-uniform', 'healthy'];
/** The 24 h history carries both symptoms from the start; the wait lets live traffic begin. */
const SETTLE_MS = 30_000;
const AUDITS = 3;

describe('audit: reputation per source IP and ISP (lab)', () => {
  const fx = useLab({ name: 'rp1', hosts: SCENARIOS.length, scenarios: SCENARIOS });

  it('names the blocked IP and Microsoft, Yahoo\'s uniform deferrals at the ISP, and nothing on the healthy host, in every audit', async () => {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const byScenario = (s: string) => fx.lab.hosts.find((h) => h.scenario === s)!;
    const blocked = byScenario('microsoft-block');
    const uniform = byScenario('isp-deferral-uniform');
    const fine = byScenario('healthy');
    // Lab hosts are numbered from 1 (mta01): host N has sourceIps(N); the scenario blocks the second.
    const blockedIp = sourceIps(fx.lab.hosts.indexOf(blocked) + 1)[1]!;
    for (let run = 1; run <= AUDITS; run++) {
      const r = await cli(['audit', '-i', fx.lab.inventoryFile, '--format', 'json', '--state-dir', join(fx.dir, 'state')]);
      expect(r.exitCode, r.stderr).toBe(0);
      const report = AuditContract.parse(JSON.parse(r.stdout));
      const host = (name: string) => report.hosts.find((h) => h.name === name)!;
      const serious = (name: string) => host(name).findings.filter((f) => f.severity !== 'info');
      const titles = (name: string) => JSON.stringify(serious(name).map((f) => `${f.kind}: ${f.title}`));

      expect(serious(fine.name), `audit ${run}: ${fine.name} ${titles(fine.name)}`).toEqual([]);

      const [block] = serious(blocked.name);
      expect(block?.kind, `audit ${run}: ${titles(blocked.name)}`).toBe('ip-reputation');
      expect(block!.title).toContain(`${blockedIp} is refused by Microsoft (hotmail.com, outlook.com)`);
      expect(block!.evidence[0]).toMatch(new RegExp(`^${blockedIp.replace(/\./g, '\\.')} at Microsoft \\(hotmail\\.com, outlook\\.com\\): \\d+\\.\\d % deferred or refused`));
      expect(block!.evidence.join('\n')).toMatch(/bounced policy-related 5\.7\.1: smtp;550 5\.7\.1 Unfortunately, messages from \[<ip>\] weren't s/);
      expect(serious(blocked.name).filter((f) => f.kind === 'deferrals'), `audit ${run}`).toEqual([]);

      const [isp] = serious(uniform.name);
      expect(isp?.kind, `audit ${run}: ${titles(uniform.name)}`).toBe('deferrals');
      expect(isp!.title).toMatch(/^Yahoo\/AOL \(yahoo\.com\) defers \d+\.\d % of messages on every source IP/);
      expect(isp!.evidence.join('\n')).toMatch(/per-IP deferral rates at Yahoo\/AOL: (203\.0\.113\.\d+ \d+\.\d %, ){3}203\.0\.113\.\d+ \d+\.\d %: uniform/);
      expect(isp!.evidence.join('\n')).toContain('deferred policy-related 4.7.0: smtp;421 4.7.0 [TSS04] Messages from <ip> temporarily');
      expect(serious(uniform.name).map((f) => f.kind), `audit ${run}`).not.toContain('ip-reputation');
      expect(serious(uniform.name).map((f) => f.kind), `audit ${run}`).not.toContain('isp-limit');
    }
  });
});
