/**
 * Issue #12 item 4 end to end: a lab host (scenario acct-layout) whose accounting is laid out as
 * operators do it: acct.csv (d,b), delivered.csv (d again) and transient.csv (t), each named
 * acct-YYYY-MM-DD-NNNN.csv as UG §11.3.1 says and moved to /var/log/pmta/archive every hour.
 * `mtafleet audit --format json` must count every delivery once and report 24 hours covered.
 * The truth: the host's own files, read by the csv-parse reference of the unit tests.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AuditReport } from '../../../src/audit/types.js';
import type { AccountingFacts } from '../../../src/probes/accounting.js';
import { cli, useLab } from '../../helpers/lab.js';
import { referenceAggregate } from '../../unit/probes/accounting-reference.js';

describe('mtafleet audit of split acct files with hourly move-to archives (lab)', () => {
  const fx = useLab({ name: 'ac1', hosts: 1, scenarios: ['acct-layout'] });

  it('counts each delivery once across the files and reports the hours covered', async () => {
    const host = fx.lab.hosts[0]!.name;
    // No deliveries while the audit and the copy are taken: both see the same records.
    expect((await fx.lab.run(host, "pmta pause queue '*/*'")).exitCode).toBe(0);
    await new Promise((r) => setTimeout(r, 3000));

    const r = await cli(['audit', '-i', fx.lab.inventoryFile, '--format', 'json', '--state-dir', join(fx.dir, 'state')]);
    expect([0, 2], r.stderr).toContain(r.exitCode);
    const report = JSON.parse(r.stdout) as AuditReport;
    const audited = report.hosts[0]!;
    expect(audited.error).toBeNull();
    const facts = (audited.facts as { accounting?: AccountingFacts }).accounting!;

    const copy = await fx.lab.run(host, 'tar -C /var/log/pmta -czf - . | base64 -w0');
    expect(copy.exitCode, copy.stderr).toBe(0);
    const local = join(fx.dir, 'files');
    mkdirSync(local);
    execFileSync('tar', ['-C', local, '-xzf', '-'], { input: Buffer.from(copy.stdout, 'base64') });
    const family = (name: string) => [
      ...readdirSync(join(local, 'archive')).filter((f) => f.startsWith(`${name}-`)).map((f) => join(local, 'archive', f)),
      ...readdirSync(local).filter((f) => f.startsWith(`${name}-`)).map((f) => join(local, f)),
    ];
    // The layout is what the scenario says: dated names, archives, d logged twice.
    expect(family('acct').length).toBeGreaterThanOrEqual(25);
    expect(readdirSync(local).filter((f) => /^acct-\d{4}-\d\d-\d\d-\d{4}\.csv$/.test(f))).toHaveLength(1);
    const truth = referenceAggregate([...family('acct'), ...family('transient')], 24, 25).facts;
    const deliveredTwice = referenceAggregate(family('delivered'), 24, 25).facts;
    expect(truth.records).toBeGreaterThan(10_000);
    expect(deliveredTwice.hourly.reduce((n, h) => n + h.delivered, 0)).toBe(truth.hourly.reduce((n, h) => n + h.delivered, 0));

    expect(facts.records).toBe(truth.records);
    expect(facts.hourly).toEqual(truth.hourly);
    expect(facts.byDomain).toEqual(truth.byDomain);
    expect(facts.until).toBe(truth.until);
    expect(facts.coveredHours).toBe(24);
    expect(facts.acctFiles.map((f) => [f.path, f.read.join(',')])).toEqual([
      ['/var/log/pmta/acct.csv', 'd,b'],
      ['/var/log/pmta/delivered.csv', ''],
      ['/var/log/pmta/transient.csv', 't'],
    ]);
    expect(facts.files.some((f) => f.startsWith('/var/log/pmta/archive/acct-'))).toBe(true);
    expect(audited.warnings.filter((w) => w.startsWith('accounting:'))).toEqual([]);
    // A healthy host otherwise: the layout alone makes no finding.
    expect(audited.findings.filter((f) => f.severity !== 'info')).toEqual([]);
  }, 300_000);
});
