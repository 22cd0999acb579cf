/**
 * The benchmarks that need no lab (startup, accounting, scale) run end to end at --size tiny --runs 1:
 * their JSON carries the figures, the checks inside them hold, and they leave nothing behind.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { alive, assertBuilt, benchTempDirs, byName, measureOf, runBench, type BenchResult } from './helpers.js';

describe('bench smoke: startup, accounting and scale (tiny)', () => {
  let results: BenchResult[];
  let output: string;
  let leftover: string[];

  beforeAll(() => {
    assertBuilt();
    const before = benchTempDirs();
    const r = runBench(['startup', 'accounting', 'scale'], 240_000);
    results = r.results;
    output = r.stdout;
    leftover = [...benchTempDirs()].filter((d) => !before.has(d));
  }, 300_000);

  it('accounting times the analysis and the one-liner and checks the analysis and its cursor', () => {
    const acc = byName(results, 'accounting');
    expect(acc.status).toBe('ok');
    for (const label of ['analysis, 24 h window (audit default)', 'analysis, whole file (every record aggregated)', 'one-liner (awk -F, hourly count)', 'repeated audit (cursor), unchanged file']) {
      const m = measureOf(acc, label);
      expect(m.samples).toHaveLength(1);
      expect(m.median).toBeGreaterThan(0);
    }
    expect(measureOf(acc, 'analysis whole-file peak RSS').median).toBeGreaterThan(0);
    expect(measureOf(acc, 'analysis whole-file CPU (user+sys, all processes)').median).toBeGreaterThan(0);
    expect(measureOf(acc, 'analysis whole-file: parse and merge in node').samples).toHaveLength(1);
    expect(acc.comparisons!.map((c) => c.target)).toEqual([1.2, 1.5, 0.05]);
    for (const c of acc.comparisons!) {
      expect(c.ratio).toBeCloseTo(c.measured! / c.baseline!, 6);
      expect(typeof c.pass).toBe('boolean');
    }
    const f = acc.figures!;
    expect(f['analysis correct (records, per IP, per hour vs truth)']).toBe('yes');
    expect(f['repeated audit, unchanged file: same facts as the cold analysis']).toBe('yes');
    expect(f['after appending 1 %: incremental equals a full analysis']).toBe('yes');
    expect(f['after a rotation: incremental equals a full analysis']).toBe('yes');
    expect(f['one-liner hourly counts correct']).toBe('yes');
    expect(f['one-liner per-IP ($15): d records in a wrong column']).toBeGreaterThan(0);
  });

  it('startup times --version, --help and inventory --graph against bare node, each checked for its output', () => {
    const st = byName(results, 'startup');
    expect(st.status).toBe('ok');
    for (const label of ['node -e 0 (bare node)', 'mtafleet --version', 'mtafleet --help', 'mtafleet inventory --graph (example inventory)']) {
      const m = measureOf(st, label);
      expect(m.samples).toHaveLength(3);
      expect(m.min).toBeGreaterThan(0);
    }
    expect(st.comparisons!.map((c) => c.target)).toEqual([2, 2, 2]);
    for (const c of st.comparisons!) {
      expect(c.ratio).toBeCloseTo(c.measured! / c.baseline!, 6);
      expect(typeof c.pass).toBe('boolean');
    }
    // Which entry ran (the bundle, or dist/cli when a test rebuilt dist/ with tsc alone since).
    expect(String(st.figures!['CLI entry'])).toMatch(/^dist\/(cjs\/mtafleet\.cjs|cli\/main\.js)/);
  });

  it('scale audits every simulated host and reports wall, CPU per host and RSS', () => {
    const sc = byName(results, 'scale');
    expect(sc.status).toBe('ok');
    expect(measureOf(sc, '20 hosts: wall').median).toBeGreaterThan(0);
    expect(measureOf(sc, '20 hosts: runner CPU per host').median).toBeGreaterThan(0);
    expect(measureOf(sc, '20 hosts: runner peak RSS').median).toBeGreaterThan(10);
    expect(sc.comparisons!.map((c) => c.label)).toEqual(expect.arrayContaining([expect.stringContaining('runner peak RSS')]));
    expect(alive(sc.serverPid as number)).toBe(false);
  });

  it('prints a table with verdicts and cleans up its temp dirs', () => {
    expect(output).toMatch(/== startup \(size tiny, 1 run/);
    expect(output).toMatch(/== accounting \(size tiny, 1 run/);
    expect(output).toMatch(/(PASS|MISS) {2}.*target <= 1.5x/);
    expect(leftover).toEqual([]);
  });
});
