/** The history benchmark at --size tiny: it records, generates, queries, checks what it read, and leaves nothing behind. */
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, byName, measureOf, runBench, type BenchResult } from './helpers.js';

/** This benchmark's own temp dirs (other checkouts on the machine may run other benchmarks meanwhile). */
const ownDirs = (): Set<string> => new Set(readdirSync(tmpdir()).filter((f) => f.startsWith('mtaf-bench-history-') || f.startsWith('mtaf-pg-')));

describe('bench smoke: history (tiny)', () => {
  let result: BenchResult;
  let output: string;
  let leftover: string[];

  beforeAll(() => {
    assertBuilt();
    const before = ownDirs();
    const r = runBench(['history'], 120_000);
    result = byName(r.results, 'history');
    output = r.stdout;
    leftover = [...ownDirs()].filter((d) => !before.has(d));
  }, 180_000);

  it('measures recording on both backends and the queries over generated history', () => {
    expect(result.status).toBe('ok');
    expect(measureOf(result, 'SQLite: record one audit of 20 hosts').median).toBeGreaterThan(0);
    expect(measureOf(result, 'PostgreSQL: record one audit of 20 hosts').median).toBeGreaterThan(0);
    expect(measureOf(result, 'fleet trend query (48 audits, 20 hosts)').samples.length).toBeGreaterThanOrEqual(3);
    expect(measureOf(result, 'one-host query (48 points)').median).toBeGreaterThan(0);
    expect(result.figures!['host-audit rows generated']).toBe(960);
    expect(result.comparisons!.map((c) => c.label)).toEqual(expect.arrayContaining(['fleet trend query (s)', 'one-host query (s)']));
  });

  it('prints verdicts and removes its store files and its PostgreSQL cluster', () => {
    expect(output).toMatch(/(PASS|MISS) {2}one-host query/);
    expect(leftover).toEqual([]);
  });
});
