import { describe, expect, it } from 'vitest';
import { CHART_HOURS, hostView, hourSlots, ipDeferrals } from '../../../src/report/view.js';
import { sampleReport } from './fixture.js';

describe('hourSlots', () => {
  it('returns 24 consecutive hours ending at the newest, filling gaps with 0', () => {
    const slots = hourSlots([
      { hour: '2026-11-28 10', delivered: 7 },
      { hour: '2026-11-28 08', delivered: 5 },
    ]);
    expect(slots).toHaveLength(CHART_HOURS);
    expect(slots[23]).toEqual({ hour: '2026-11-28 10', delivered: 7 });
    expect(slots[22]).toEqual({ hour: '2026-11-28 09', delivered: 0 });
    expect(slots[21]).toEqual({ hour: '2026-11-28 08', delivered: 5 });
    expect(slots[0]!.hour).toBe('2026-11-27 11');
  });

  it('crosses month and year boundaries', () => {
    const slots = hourSlots([{ hour: '2027-01-01 02', delivered: 1 }]);
    expect(slots[20]!.hour).toBe('2026-12-31 23');
  });

  it('shows only the last 24 hours of a longer window', () => {
    const rows = Array.from({ length: 48 }, (_, i) => ({ hour: `2026-11-${String(26 + Math.floor(i / 24)).padStart(2, '0')} ${String(i % 24).padStart(2, '0')}`, delivered: i }));
    const slots = hourSlots(rows);
    expect(slots.map((s) => s.delivered)).toEqual(Array.from({ length: 24 }, (_, i) => 24 + i));
  });

  it('keeps unparseable hour labels in file order, padded to 24', () => {
    const slots = hourSlots([{ hour: 'weird', delivered: 3 }]);
    expect(slots).toHaveLength(24);
    expect(slots[23]).toEqual({ hour: 'weird', delivered: 3 });
  });

  it('is empty without data', () => {
    expect(hourSlots([])).toEqual([]);
  });
});

describe('ipDeferrals', () => {
  it('computes deferred / all records, worst first, skipping idle IPs', () => {
    expect(ipDeferrals({
      a: { delivered: 90, deferred: 10, bounced: 0 },
      b: { delivered: 1, deferred: 3, bounced: 0 },
      c: { delivered: 0, deferred: 0, bounced: 0 },
    })).toEqual([
      { ip: 'b', total: 4, deferred: 3, rate: 0.75 },
      { ip: 'a', total: 100, deferred: 10, rate: 0.1 },
    ]);
  });
});

describe('hostView', () => {
  it('derives state, rate, queue and top finding', () => {
    const [a, b, c, d] = sampleReport().hosts.map(hostView);
    expect(a).toMatchObject({ state: 'critical', rate: 98_000, queue: 250_000 });
    expect(a!.top!.kind).toBe('spool-io');
    expect(b!.rate).toBe(0); // no status facts: the newest accounting hour (0 delivered)
    expect(c).toMatchObject({ state: 'ok', queue: null });
    expect(d).toMatchObject({ state: 'unreachable', rate: null, hourly: [], ipDeferrals: [] });
  });

  it('tolerates facts of an unexpected shape', () => {
    const host = { ...sampleReport().hosts[0]!, facts: { accounting: { hourly: 'nope', bySourceIp: [1] }, pmtaStatus: 3 } } as never;
    expect(hostView(host)).toMatchObject({ rate: null, queue: null, hourly: [], ipDeferrals: [] });
  });
});
