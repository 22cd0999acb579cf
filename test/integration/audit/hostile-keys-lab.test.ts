/**
 * Issue #13 item 6 end to end: any sender can make a lab host's PowerMTA log deferrals to
 * `u@__proto__` and `u@constructor`. `mtafleet audit --format json` must count them under
 * those domains, in a full analysis and through the saved accounting cursor (incremental),
 * like any other domain. (The runner-process side, Object.prototype, is checked in
 * test/unit/security/hostile-keys.test.ts; here the CLI is a separate process.)
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ACCT_HEADER, csvLine } from '../../../src/lab/assets/lib/acct.mjs';
import type { AuditReport } from '../../../src/audit/types.js';
import { cli, useLab } from '../../helpers/lab.js';

const ACCT = '/var/log/pmta/acct.csv';
/** The JSON's own entry (JSON.parse makes "__proto__" an own property; never the prototype). */
const own = (obj: object, key: string): unknown => Object.getOwnPropertyDescriptor(obj, key)?.value;

describe('mtafleet audit of deferrals to u@__proto__ and u@constructor (lab)', () => {
  const fx = useLab({ name: 'pr1', hosts: 1, scenarios: ['healthy'] });

  /** Appends records in one write (the simulator appends whole lines too), at its newest instant. */
  async function append(records: Array<{ type: 'd' | 't' | 'b'; domain: string; ip: string }>): Promise<void> {
    const host = fx.lab.hosts[0]!.name;
    const last = await fx.lab.run(host, `tail -n 1 ${ACCT}`);
    const time = last.stdout.split(',')[ACCT_HEADER.indexOf('timeLogged')]!;
    expect(time).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+0000$/);
    const lines = records.map((r) => {
      const row: Record<string, string> = { type: r.type, timeLogged: time, timeQueued: time, rcpt: `u@${r.domain}`, dsnDiag: `smtp;421 4.7.0 ${r.domain} try later`, dlvSourceIp: r.ip };
      return csvLine(ACCT_HEADER.map((k: string) => row[k] ?? ''));
    });
    const r = await fx.lab.run(host, `cat >> ${ACCT} <<'EOF'\n${lines.join('')}EOF`);
    expect(r.exitCode).toBe(0);
  }

  async function audit(stateDir: string): Promise<AuditReport['hosts'][number]> {
    const r = await cli(['audit', '-i', fx.lab.inventoryFile, '--format', 'json', '--state-dir', stateDir]);
    expect([0, 2], r.stderr).toContain(r.exitCode);
    const report = JSON.parse(r.stdout) as AuditReport;
    expect(report.hosts[0]!.error).toBeNull();
    return report.hosts[0]!;
  }

  const batch = [
    ...Array.from({ length: 2 }, () => ({ type: 'd' as const, domain: '__proto__', ip: '__proto__' })),
    ...Array.from({ length: 3 }, () => ({ type: 't' as const, domain: '__proto__', ip: '__proto__' })),
    { type: 'b' as const, domain: '__proto__', ip: 'constructor' },
    { type: 'd' as const, domain: 'constructor', ip: 'constructor' },
    ...Array.from({ length: 4 }, () => ({ type: 't' as const, domain: 'constructor', ip: 'constructor' })),
  ];

  it('counts both domains in the JSON, fully and through the saved cursor', async () => {
    const cursorDir = join(fx.dir, 'incremental');
    const first = await audit(cursorDir); // leaves a cursor for the next audit
    expect(first.facts.accounting!.records).toBeGreaterThan(0);
    expect(Object.keys(first.facts.accounting!.byDomain)).not.toContain('__proto__');

    await append(batch);
    const incremental = await audit(cursorDir);
    const full = await audit(join(fx.dir, 'full-1'));
    for (const host of [incremental, full]) {
      const byDomain = host.facts.accounting!.byDomain;
      expect(Object.keys(byDomain)).toEqual(expect.arrayContaining(['__proto__', 'constructor']));
      expect(own(byDomain, '__proto__')).toEqual({ delivered: 2, deferred: 3, bounced: 1, deferralRate: 0.5 });
      expect(own(byDomain, 'constructor')).toEqual({ delivered: 1, deferred: 4, bounced: 0, deferralRate: 0.8 });
      expect(own(host.facts.accounting!.bySourceIp, '__proto__')).toEqual({ delivered: 2, deferred: 3, bounced: 0 });
      expect(own(host.facts.accounting!.bySourceIp, 'constructor')).toEqual({ delivered: 1, deferred: 4, bounced: 1 });
    }

    // A second batch: the cursor now holds the first one in its partials (a JSON key "__proto__").
    await append(batch);
    const again = await audit(cursorDir);
    const fullAgain = await audit(join(fx.dir, 'full-2'));
    for (const host of [again, fullAgain]) {
      const byDomain = host.facts.accounting!.byDomain;
      expect(own(byDomain, '__proto__')).toEqual({ delivered: 4, deferred: 6, bounced: 2, deferralRate: 0.5 });
      expect(own(byDomain, 'constructor')).toEqual({ delivered: 2, deferred: 8, bounced: 0, deferralRate: 0.8 });
    }
  }, 240_000);
});
