/**
 * File-descriptor exhaustion as the simulator now logs it, in the Guide's errno style
 * ("DATE TIME EMFILE opening spool file F", like the UG's "ETIMEDOUT connecting to ..."): the
 * audit's log scan counts it and names fd-limit with the LimitNOFILE playbook; the healthy host
 * gets no finding. Every audit run is judged; none is retried.
 */
import { describe, expect, it } from 'vitest';
import { cli, useLab } from '../../helpers/lab.js';
import { AuditContract } from '../../unit/report/contract.js';

const SCENARIOS = ['fd-limit', 'healthy'];

describe('fd-limit from EMFILE log lines', () => {
  const fx = useLab({ name: 'f3fd', hosts: SCENARIOS.length, scenarios: SCENARIOS });

  it('the audit counts the EMFILE lines and names fd-limit; the healthy host has no finding', async () => {
    const sick = fx.lab.hosts.find((h) => h.scenario === 'fd-limit')!.name;
    const fine = fx.lab.hosts.find((h) => h.scenario === 'healthy')!.name;
    // Wait until the daemon has logged its first EMFILE (the backlog opens files within seconds).
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !/ EMFILE opening spool file /.test((await fx.lab.run(sick, 'cat /var/log/pmta/pmta.log')).stdout)) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const r = await cli(['audit', '-i', fx.lab.inventoryFile, '--format', 'json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const report = AuditContract.parse(JSON.parse(r.stdout));
    const host = (name: string) => report.hosts.find((h) => h.name === name)!;
    const [top] = host(sick).findings.filter((f) => f.severity !== 'info');
    expect(top?.kind, JSON.stringify(host(sick).findings.map((f) => f.title))).toBe('fd-limit');
    expect(top!.remedy).toBe('playbooks/fd-limit.yaml');
    expect(top!.evidence[0]).toMatch(/^\d+ "Too many open files" lines in recent \/var\/log\/pmta\/pmta\.log$/);
    expect(top!.evidence[1]).toMatch(/^last: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d EMFILE opening spool file \/var\/spool\/pmta\/\S+$/);
    expect(host(fine).findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(host(fine).warnings.filter((w) => w.startsWith('fd: '))).toEqual([]);
  }, 240_000);
});
