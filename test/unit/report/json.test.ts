import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AuditReport } from '../../../src/audit/types.js';
import { renderJson, renderJsonChunks } from '../../../src/report/json.js';
import { AuditContract } from './contract.js';
import { sampleReport } from './fixture.js';

describe('renderJson', () => {
  it('prints one object that matches the DESIGN.md contract', () => {
    const out = renderJson(sampleReport());
    const parsed = AuditContract.parse(JSON.parse(out));
    expect(parsed.hosts.map((h) => h.name)).toEqual(['mta01', 'mta02', 'mta03', 'mta04']);
    expect(out.trim().startsWith('{')).toBe(true);
    expect(out.trim().endsWith('}')).toBe(true);
  });

  it('counts only warn and critical findings by kind, and reachable hosts', () => {
    const parsed = AuditContract.parse(JSON.parse(renderJson(sampleReport())));
    expect(parsed.summary).toEqual({ hosts: 4, reachable: 3, byKind: { 'spool-io': 1, deferrals: 1, 'ip-reputation': 1 } });
  });

  it('keeps the unreachable host with its error and no findings', () => {
    const parsed = AuditContract.parse(JSON.parse(renderJson(sampleReport())));
    const down = parsed.hosts.find((h) => h.name === 'mta04')!;
    expect(down.reachable).toBe(false);
    expect(down.error).toMatch(/connection refused/);
    expect(down.findings).toEqual([]);
  });

  it('keeps extra finding fields (title, remedyVars)', () => {
    const parsed = JSON.parse(renderJson(sampleReport()));
    expect(parsed.hosts[0].findings[0]).toMatchObject({ title: 'Spool disk saturated', remedyVars: { spool_device: '/dev/nvme0n1' } });
  });

  it('the schema rejects a report missing a contract field (the check can fail)', () => {
    const broken = JSON.parse(renderJson(sampleReport()));
    delete broken.hosts[1].reachable;
    expect(AuditContract.safeParse(broken).success).toBe(false);
  });

  it('streams exactly the text of JSON.stringify(report, null, 2), one host per chunk', () => {
    const report = sampleReport();
    const chunks = [...renderJsonChunks(report)];
    expect(chunks.join('')).toBe(`${JSON.stringify(report, null, 2)}\n`);
    // one chunk per host plus the opening, the closing of the list, the summary and the end
    expect(chunks.filter((c) => c.includes('"name"')).length).toBe(report.hosts.length);
    expect(renderJson(report)).toBe(chunks.join(''));
  });

  it('matches JSON.stringify for any JSON-like report shape (empty lists, undefined, odd strings)', () => {
    const value = fc.oneof(fc.jsonValue(), fc.constant(undefined), fc.string());
    const shape = fc.record(
      { hosts: fc.array(fc.oneof(fc.dictionary(fc.string(), value), fc.constant(undefined))), summary: value, extra: value },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(shape, (report) => {
        expect(renderJson(report as unknown as AuditReport)).toBe(`${JSON.stringify(report, null, 2)}\n`);
      }),
      { numRuns: 300 },
    );
  });
});
