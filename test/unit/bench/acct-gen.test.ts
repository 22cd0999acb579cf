/** The generated accounting file is what the benchmark claims: header, mix, quoted commas, truth. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain .mjs module without type declarations
import { generateAccounting, HEADER } from '../../../bench/lib/acct-gen.mjs';

const dir = mkdtempSync(join(tmpdir(), 'mtaf-bench-gen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bench accounting generator', () => {
  const file = join(dir, 'acct.csv');
  const truth = generateAccounting(file, 300_000);
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');

  it('writes the default header and about the asked size, with all record types', () => {
    expect(lines[0]).toBe(HEADER);
    expect(truth.bytes).toBeGreaterThan(250_000);
    expect(truth.bytes).toBeLessThanOrEqual(300_000);
    expect(lines).toHaveLength(truth.lines);
    for (const t of ['d', 't', 'b', 'r', 'f']) expect(truth.byType[t]).toBeGreaterThan(0);
    expect(new Set(lines.slice(1).map((l) => l.split(',')[0]))).toEqual(new Set(['d', 't', 'b', 'r', 'f']));
  });

  it('counts per IP and per hour what a real CSV parse of the file finds', () => {
    const perIp: Record<string, number> = {};
    for (const line of lines.slice(1)) {
      const fields = line.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((f) => f.replace(/,$/, ''));
      if (fields[0] === 'd') perIp[fields[14]!] = (perIp[fields[14]!] ?? 0) + 1;
    }
    expect(perIp).toEqual(truth.deliveredByIp);
    expect(Object.values(truth.deliveredByHour as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(truth.byType.d);
  });

  it('has quoted fields with commas that shift the naive 15th column', () => {
    expect(lines.some((l) => /"[^"]*,[^"]*"/.test(l))).toBe(true);
    const naive = lines.slice(1).filter((l) => l.startsWith('d,') && !/^198\.51\.100\.\d+$/.test(l.split(',')[14]!)).length;
    expect(naive).toBe(truth.naiveWrongIpColumn);
    expect(naive).toBeGreaterThan(0);
  });
});
