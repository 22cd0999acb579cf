/** The history's pure parts: extraction, finding subjects, episodes, comparison, redaction, --limit, trend data, rendering. */
import { describe, expect, it } from 'vitest';
import { compareAudits, findingSubject, historyData, matchHostNames, redactText, redactUrl, renderComparison, renderHistoryTable, trendSeries, HOST_POINTS_MAX } from '../../../src/history/index.js';
import { advanceSpans, spansOf, type HostObservation } from '../../../src/history/spans.js';
import type { HostPointRow } from '../../../src/history/store.js';
import { auditHost, record } from '../../helpers/history-records.js';
import { hostRow } from '../../../src/history/extract.js';

const T0 = Date.UTC(2026, 10, 1);
const H = 3_600_000;

describe('extraction', () => {
  it('keeps typed figures, null for what was not measured, and bounds host text', () => {
    const rec = record('a', T0, [{ name: 'mta1', rate: 4200, queue: 77, deferred: 100, findings: ['spool-io!'] }, { name: 'mta2', reachable: false }]);
    expect(rec.hosts[0]).toMatchObject({ host: 'mta1', reachable: true, failed: false, rate: 4200, queue: 77, connOut: 10, connOutMax: 20, spoolFiles: 50 });
    expect(rec.hosts[0]!.deferralRate).toBeCloseTo(100 / 1050);
    expect(rec.hosts[0]!.detail.perIp).toEqual([['198.51.100.10', 952, 476, 1050]]);
    expect(rec.hosts[0]!.detail.perIsp).toEqual([['Google', 952, 476, 1050]]);
    expect(rec.hosts[1]).toMatchObject({ host: 'mta2', reachable: false, rate: null, queue: null, deferralRate: null });
    expect(rec.fleet).toMatchObject({ hosts: 2, reachable: 1, failed: 0, rate: 4200, critical: 1, warn: 0 });
    const long = auditHost({ name: 'x', reachable: false });
    long.error = 'e'.repeat(5000);
    expect(hostRow(long).detail.error).toHaveLength(500);
  });

  it('deferral rates are unknown (null), not 0, without t records', () => {
    const h = auditHost({ name: 'm' });
    (h.facts.accounting as { hasTransientRecords: boolean }).hasTransientRecords = false;
    expect(hostRow(h).deferralRate).toBeNull();
    expect(hostRow(h).detail.perIp[0]![1]).toBeNull();
  });

  it('names a finding by its domain or device, else by the ISP in the title, else nothing', () => {
    expect(findingSubject({ kind: 'isp-limit', title: 'x', remedyVars: { domain: 'gmail.com' } })).toBe('gmail.com');
    expect(findingSubject({ kind: 'spool-io', title: 'x', remedyVars: { device: '?', spool_dir: '/var/spool/pmta' } })).toBe('/var/spool/pmta');
    expect(findingSubject({ kind: 'deferrals', title: 'Yahoo/AOL (yahoo.com) defers 31.0 % of messages' })).toBe('Yahoo/AOL (yahoo.com)');
    expect(findingSubject({ kind: 'fd-limit', title: 'PowerMTA runs out of file descriptors' })).toBe('');
  });

  it('two findings of one kind and subject are both kept', () => {
    const rec = record('a', T0, [{ name: 'm', findings: ['deferrals:x.com', 'deferrals:x.com'] }]);
    expect(rec.findings.map((f) => f.subject)).toEqual(['x.com', 'x.com#2']);
  });
});

describe('finding episodes', () => {
  const obs = (auditId: string, at: number, kinds: string[], observed = true): HostObservation => ({
    auditId, at, observed, findings: kinds.map((kind) => ({ kind, subject: '', severity: 'warn', title: kind })),
  });

  it('open, continued, resolved, reopened; unobserved audits change nothing', () => {
    const spans = spansOf('m', [obs('a1', T0, ['spool-io']), obs('a2', T0 + H, [], false), obs('a3', T0 + 2 * H, ['spool-io']), obs('a4', T0 + 3 * H, []), obs('a5', T0 + 4 * H, ['spool-io'])]);
    expect(spans.map((s) => [s.firstAudit, s.lastAudit, s.resolvedAudit])).toEqual([['a1', 'a3', 'a4'], ['a5', 'a5', null]]);
  });

  it('the same timeline in any order gives the same spans', () => {
    const timeline = [obs('a1', T0, ['x', 'y']), obs('a2', T0 + H, ['y']), obs('a3', T0 + 2 * H, [])];
    expect(spansOf('m', [...timeline].reverse())).toEqual(spansOf('m', timeline));
    expect(advanceSpans('m', new Map(), obs('a9', T0, ['x'], false))).toEqual([]);
  });
});

describe('comparison', () => {
  it('new, resolved and changed findings; the hosts that moved most; hosts added and gone', () => {
    const before = record('b', T0, [
      { name: 'm1', rate: 1000, deferred: 10, findings: ['spool-io'] },
      { name: 'm2', rate: 10000, deferred: 10, findings: ['fd-limit'] },
      { name: 'm3', reachable: false, findings: [] },
      { name: 'gone' },
    ]);
    const after = record('a', T0 + H, [
      { name: 'm1', rate: 500, deferred: 300, findings: ['port-exhaustion'] },
      { name: 'm2', rate: 9000, deferred: 10, findings: ['fd-limit!'] },
      { name: 'm3', findings: ['spool-io'] },
      { name: 'new' },
    ]);
    const c = compareAudits(before, after);
    expect(c.against).toEqual({ auditId: 'b', at: new Date(T0).toISOString() });
    expect(c.newFindings.map((f) => `${f.host}/${f.kind}`)).toEqual(['m1/port-exhaustion']);
    expect(c.resolvedFindings.map((f) => `${f.host}/${f.kind}`)).toEqual(['m1/spool-io']);
    expect(c.severityChanged.map((f) => [f.host, f.before, f.severity])).toEqual([['m2', 'warn', 'critical']]);
    expect(c.rateMoves.map((m) => m.host)).toEqual(['m1', 'm2']);
    expect(c.deferralMoves[0]).toMatchObject({ host: 'm1' });
    expect(c.hostsAdded).toEqual(['new']);
    expect(c.hostsGone).toEqual(['gone']);
    expect(renderComparison(c)).toContain('+ m1  port-exhaustion  warn');
  });
});

describe('redaction', () => {
  it('user, password and secret parameters never show', () => {
    expect(redactUrl('postgres://alice:p%40ss@db.example:5432/h?sslmode=require&password=x')).toBe('postgres://***:***@db.example:5432/h?sslmode=require&password=***');
    expect(redactUrl('not a url')).toBe('(database URL)');
    const url = 'postgres://alice:p%40ss@db/h';
    expect(redactText(`failed for ${url}: password authentication failed for user "alice" (p@ss)`, url)).toBe('failed for postgres://***:***@db/h: password authentication failed for user "***" (***)');
  });
});

describe('history --limit without an inventory', () => {
  const names = ['mta01', 'mta02', 'mta10', 'relay1'];
  it.each([
    ['mta0*', ['mta01', 'mta02']],
    ['mta*:!mta02', ['mta01', 'mta10']],
    ['mta01,relay1', ['mta01', 'relay1']],
    ['~mta[01]0', ['mta10']],
    ['all:&*1', ['mta01', 'relay1']],
  ])('%s', (pattern, want) => expect(matchHostNames(names, pattern)).toEqual(want));
});

describe('trend data', () => {
  const row = (audit: string, host: string, at: number, rate: number, worst = 0): HostPointRow => ({
    audit_id: audit, host, at_ms: at, reachable: 1, failed: 0, rate, queue: 5, deferral_rate: 0.1, bounce_rate: 0.01, worst,
  });
  it('aggregates the fleet from host rows under --limit, lists episodes open first, and exposes a chart series', () => {
    const points = [row('a1', 'm1', T0, 100, 2), row('a1', 'm2', T0, 50), row('a2', 'm1', T0 + H, 200), row('a2', 'm2', T0 + H, 60, 1)];
    const d = historyData({
      sinceMs: T0, untilMs: T0 + 10 * H, limit: 'm*', store: 'sqlite', hosts: ['m1', 'm2'], fleet: null, points, latest: [points[2]!, points[3]!],
      spans: [
        { host: 'm1', kind: 'spool-io', subject: '', firstMs: T0, firstAudit: 'a1', lastMs: T0, lastAudit: 'a1', resolvedMs: T0 + H, resolvedAudit: 'a2', severity: 'critical', title: 't' },
        { host: 'm2', kind: 'fd-limit', subject: '', firstMs: T0 + H, firstAudit: 'a2', lastMs: T0 + H, lastAudit: 'a2', resolvedMs: null, resolvedAudit: null, severity: 'warn', title: 't' },
      ],
    });
    expect(d.fleet.map((p) => [p.auditId, p.rate, p.critical, p.warn])).toEqual([['a1', 150, 1, 0], ['a2', 260, 0, 1]]);
    expect(d.findings.map((f) => [f.host, f.resolved, f.openSeconds])).toEqual([['m2', null, 9 * 3600], ['m1', new Date(T0 + H).toISOString(), 3600]]);
    expect(trendSeries(d, 'm1').map((p) => p.rate)).toEqual([100, 200]);
    expect(trendSeries(d).map((p) => p.rate)).toEqual([150, 260]);
    expect(renderHistoryTable(d)).toMatch(/m2 +fd-limit warn +first seen .* OPEN for 9\.0 h/);
  });

  it('leaves per-host series out for a large selection', () => {
    const hosts = Array.from({ length: HOST_POINTS_MAX + 1 }, (_, i) => `h${i}`);
    const d = historyData({ sinceMs: 0, untilMs: 1, limit: null, store: 'postgres', hosts, fleet: [], points: [], latest: [], spans: [] });
    expect(d.pointsOmitted).toBe(true);
    expect(d.hosts[0]).toEqual({ name: 'h0', latest: null });
  });

  it('host text reaches the terminal sanitised', () => {
    const d = historyData({
      sinceMs: 0, untilMs: 1, limit: null, store: 'sqlite', hosts: ['evil\u001b[31m'], fleet: [], points: [], latest: [],
      spans: [{ host: 'evil\u001b[31m', kind: 'deferrals', subject: 'x\u001b]0;t\u0007', firstMs: 0, firstAudit: 'a', lastMs: 0, lastAudit: 'a', resolvedMs: null, resolvedAudit: null, severity: 'warn', title: 't' }],
    });
    expect(renderHistoryTable(d)).not.toMatch(/\u001b|\u0007/);
  });
});
