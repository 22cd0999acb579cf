/**
 * `mtafleet audit` against limits written the way operators write them (issue #12 item 3):
 * `domain-macro`, `<domain $google>` inside every `<virtual-mta>`, a `[*.]` wildcard and a
 * Microsoft `<mx-rollup-list>` queue (UG §3.3.1.33.4, §3.3.10, §3.3.12, §10.17). The isp-limit host's
 * Gmail ceiling exists only inside the vmta blocks (the pool default says 20, the old reading);
 * the healthy host has the same layout with generous limits and must get no finding.
 * Every audit run is judged; none is retried.
 */
import { describe, expect, it } from 'vitest';
import { cli, useLab } from '../../helpers/lab.js';
import { AuditContract } from '../../unit/report/contract.js';

const SCENARIOS = ['healthy-macros', 'isp-limit-macros'];
/** The isp-limit world starts with a Gmail backlog: its connections are full within seconds. */
const SETTLE_MS = 45_000;
const AUDITS = 3;

describe('audit on limits written with macros, per-vmta blocks and a rollup', () => {
  const fx = useLab({ name: 'cf', hosts: SCENARIOS.length, scenarios: SCENARIOS });

  it('names isp-limit on the macro host with the config lines that set the ceiling, and nothing on the healthy one, in every audit', async () => {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const sick = fx.lab.hosts.find((h) => h.scenario === 'isp-limit-macros')!;
    const fine = fx.lab.hosts.find((h) => h.scenario === 'healthy-macros')!;
    for (let run = 1; run <= AUDITS; run++) {
      const r = await cli(['audit', '-i', fx.lab.inventoryFile, '--format', 'json']);
      expect(r.exitCode, r.stderr).toBe(0);
      const report = AuditContract.parse(JSON.parse(r.stdout));
      const host = (name: string) => report.hosts.find((h) => h.name === name)!;
      const serious = (name: string) => host(name).findings.filter((f) => f.severity !== 'info');

      expect(serious(fine.name), `audit ${run}: ${fine.name}`).toEqual([]);
      expect(host(fine.name).warnings.filter((w) => /domain|macro|rollup/.test(w)), `audit ${run}`).toEqual([]);

      const [top] = serious(sick.name);
      expect(top?.kind, `audit ${run}: ${JSON.stringify(serious(sick.name).map((f) => f.title))}`).toBe('isp-limit');
      expect(top!.remedyVars?.domain).toBe('gmail.com');
      // Each vmta's ceiling comes from its own <domain $google> block, named with file and line.
      expect(top!.evidence[0]).toMatch(
        /^gmail\.com: \d+ connections open = vmta1 2 \(<domain \$google> \(gmail\.com\) in <virtual-mta vmta1> max-smtp-out 2 \(\/etc\/pmta\/config:\d+\)\) \+ vmta2 2 /,
      );
      expect(top!.evidence[1]).toMatch(/^ceiling 2 connections × 150 msgs\/session × 4 IPs = /);
    }
  }, 300_000);
});
