import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
// @ts-expect-error plain .mjs asset without type declarations
import { acctRecord, acctTemplate, fillTemplate, isoTime, SLOT, ACCT_HEADER } from '../../../src/lab/assets/lib/acct.mjs';
// @ts-expect-error plain .mjs asset without type declarations
import { historyChunks } from '../../../src/lab/assets/lib/history.mjs';
// @ts-expect-error plain .mjs asset without type declarations
import { attemptOutcome, outcomeOf } from '../../../src/lab/assets/lib/outcome.mjs';
// @ts-expect-error plain .mjs asset without type declarations
import { DEFAULT_WORLD } from '../../../src/lab/assets/lib/world.mjs';

type Row = Record<string, string>;
const HOUR = 3600_000;
const vmtas = [
  { name: 'vmta1', sourceIp: '203.0.113.1' },
  { name: 'vmta2', sourceIp: '203.0.113.2' },
];
const parseTime = (s: string) => Date.parse(s.replace(' ', 'T').replace('+0000', 'Z'));
const rowsOf = (text: string): Row[] => parse(ACCT_HEADER.join(',') + '\n' + text, { columns: true }) as Row[];

describe('accounting templates (bulk records for the history)', () => {
  const fixed = { orig: 'bounce@news.example.org', mxHost: 'mx.example.net', mxIp: '192.0.2.10', sourceIp: '203.0.113.9', size: 4096, vmta: 'vmta1', domain: 'example.net', pool: 'default', hostName: 'h1.lab.example' };

  it('fill to exactly the line acctRecord writes, for every outcome (quoted diag, rcpt inside a bounce diag)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('d', 't', 'b'),
        fc.constantFrom('gmail.com', 'outlook.com', 'yahoo.com', 'hold.test', 'example.net'),
        fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }),
        fc.stringMatching(/^[a-z]{1,8}[0-9]{0,5}$/),
        fc.integer({ min: 0, max: 999 }),
        (type, domain, t, user, job) => {
          const tpl = acctTemplate({ ...fixed, domain, ...outcomeOf(type, domain, fixed.sourceIp, SLOT.rcpt) });
          const rcpt = `${user}@${domain}`;
          const line = fillTemplate(tpl, { timeLogged: isoTime(t), timeQueued: isoTime(t - 2000), rcpt, jobId: `job${job}` });
          const expected = acctRecord({ ...fixed, domain, ...outcomeOf(type, domain, fixed.sourceIp, rcpt), timeLogged: t, timeQueued: t - 2000, rcpt, jobId: `job${job}` });
          expect(line).toBe(expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('attemptOutcome keeps its odds: x < bounceRate bounces, then deferRate defers, the rest is delivered; hold.test always defers', () => {
    const world = { ...DEFAULT_WORLD, isps: { '*': { deferRate: 0.2, bounceRate: 0.1, secondsPerMsg: 1 } } };
    const at = (x: number, domain = 'example.net') => attemptOutcome(world, domain, '203.0.113.1', 'a@b', () => x).type;
    expect([at(0.05), at(0.1), at(0.29), at(0.31), at(0.99)]).toEqual(['b', 't', 't', 'd', 'd']);
    expect(at(0.0, 'hold.test')).toBe('t');
    expect(at(0.99, 'hold.test')).toBe('t');
  });
});

describe('historyChunks (24 h of backdated accounting at first start)', () => {
  const now = Date.UTC(2026, 10, 28, 13, 20, 0);
  const run = (world: object, records = ['d', 'b', 't']) => {
    const chunks = [...historyChunks(world, vmtas, { now, hostName: 'mta01.lab.example', records, pool: 'default' })] as string[];
    return { chunks, rows: rowsOf(chunks.join('')) };
  };

  it('writes each hour its volume of valid records, inside the 24 h before now, in time order', () => {
    const world = { ...DEFAULT_WORLD, hourlyVolume: Array.from({ length: 24 }, (_, h) => 10 + h), isps: { '*': { deferRate: 0.2, bounceRate: 0.1, secondsPerMsg: 1 } } };
    const { rows } = run(world);
    expect(rows.length).toBe(Array.from({ length: 24 }, (_, h) => 10 + h).reduce((a, b) => a + b, 0));
    const start = Math.floor(now / HOUR) * HOUR - 24 * HOUR;
    const times = rows.map((r) => parseTime(r.timeLogged));
    expect(Math.min(...times)).toBeGreaterThanOrEqual(start);
    expect(Math.max(...times)).toBeLessThan(start + 24 * HOUR);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    for (const r of rows) {
      expect(parseTime(r.timeQueued)).toBe(parseTime(r.timeLogged) - 2000);
      expect(r.jobId).toBe(`job${Math.floor(parseTime(r.timeLogged) / HOUR) % 1000}`);
      expect(r.queue).toBe(`${r.rcpt.split('@')[1]}/${r.vmta}`);
      expect(vmtas.find((v) => v.name === r.vmta)?.sourceIp).toBe(r.dlvSourceIp);
      expect(r.srcMta).toBe('mta01.lab.example (127.0.0.1)');
      expect(r.vmtaPool).toBe('default');
    }
    // Hour h of the UTC day gets hourlyVolume[h] records.
    const perHour = new Map<number, number>();
    for (const t of times) perHour.set(new Date(t).getUTCHours(), (perHour.get(new Date(t).getUTCHours()) ?? 0) + 1);
    for (const [h, n] of perHour) expect(n).toBe(10 + h);
    expect(new Set(rows.map((r) => r.type))).toEqual(new Set(['d', 't', 'b']));
    for (const r of rows.filter((x) => x.type === 'b')) expect(r.dsnDiag).toContain(`<${r.rcpt}>`);
  });

  it('keeps only the configured record types', () => {
    const world = { ...DEFAULT_WORLD, hourlyVolume: Array(24).fill(50), isps: { '*': { deferRate: 0.3, bounceRate: 0.1, secondsPerMsg: 1 } } };
    const { rows } = run(world, ['d', 'b']);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(24 * 50);
    expect(new Set(rows.map((r) => r.type))).toEqual(new Set(['d', 'b']));
  });

  it('hands the default day (~17k records) out in ~64 KiB pieces, never as one string', () => {
    const { chunks, rows } = run(DEFAULT_WORLD);
    const volume = DEFAULT_WORLD.hourlyVolume.reduce((a: number, b: number) => a + b, 0);
    expect(rows.length).toBe(volume);
    expect(chunks.length).toBeGreaterThan(20);
    for (const c of chunks) expect(c.length).toBeLessThan(70 * 1024);
  });

  it('falls back to plain records for a domain a template slot cannot hold', () => {
    const world = { ...DEFAULT_WORLD, mix: { 'odd,"domain': 1 }, hourlyVolume: Array(24).fill(2) };
    const { rows } = run(world);
    expect(rows.length).toBe(48);
    expect(rows.every((r) => r.rcpt.endsWith('@odd,"domain') && r.queue.startsWith('odd,"domain/'))).toBe(true);
  });
});
