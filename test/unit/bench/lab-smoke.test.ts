/**
 * The lab benchmarks (fleet-audit, plan-apply, migration-downtime, probe-cost) at --size tiny --runs 1:
 * each brings up its own 4-host lab named "bench" (namespaces mtaf-bench-NN; under
 * MTAF_LAB_TAG a name of that checkout's own) and takes it down. Needs root (network namespaces), like the lab's own integration tests.
 */
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, benchTempDirs, byName, measureOf, runBench, type BenchResult } from './helpers.js';
// The lab's name: "bench", or one of its own under MTAF_LAB_TAG (bench/lib/lab.mjs).
import { benchLabName } from '../../../bench/lib/lab.mjs';

const root = process.getuid?.() === 0;

describe.skipIf(!root)('bench smoke: lab benchmarks (tiny)', () => {
  let results: BenchResult[];
  let leftover: string[];

  beforeAll(() => {
    assertBuilt();
    const before = benchTempDirs();
    results = runBench(['fleet-audit', 'plan-apply', 'migration-downtime', 'probe-cost'], 900_000).results;
    leftover = [...benchTempDirs()].filter((d) => !before.has(d));
  }, 960_000);

  it('fleet-audit measures mtafleet, plain OpenSSH and both Ansible configurations', () => {
    const fa = byName(results, 'fleet-audit');
    expect(fa.status).toBe('ok');
    for (const tool of ['mtafleet', 'openssh', 'ansible-default', 'ansible-tuned']) expect(measureOf(fa, `4 hosts: ${tool}`).median).toBeGreaterThan(0);
    expect(fa.comparisons!.map((c) => c.target).sort()).toEqual([0.2, 1]);
  });

  it('plan-apply compares a no-op run with the audit, or says why it cannot', () => {
    const pa = byName(results, 'plan-apply');
    if (pa.status === 'not-runnable') expect(pa.reason).toBeTruthy();
    else {
      expect(measureOf(pa, '4 hosts: mtafleet run (no-op playbook)').median).toBeGreaterThan(0);
      expect(pa.comparisons![0]!.target).toBe(1.2);
    }
  });

  it('migration-downtime measures downtime against the naive copy, or says why it cannot', () => {
    const md = byName(results, 'migration-downtime');
    // The naive baseline is measured either way; the comparison only once spool-migrate can run.
    expect(measureOf(md, 'naive stop / cp -a / start, 1000 queued files: time stopped').median).toBeGreaterThan(0);
    expect(md.figures!['files in the spool']).toBeGreaterThanOrEqual(1000);
    if (md.status === 'not-runnable') expect(md.reason).toMatch(/\S{10,}/);
    else expect(md.comparisons![0]!.target).toBe(0.1);
  });

  it('probe-cost judges the batch CPU, the host writes and the sampling window on one lab host', () => {
    const pc = byName(results, 'probe-cost');
    expect(pc.status).toBe('ok');
    expect(pc.comparisons!.map((c) => c.label)).toEqual([
      "probe batch's own CPU, first audit (ms) vs 120 ms",
      "probe batch's own CPU, repeated audit (ms) vs 120 ms",
      'writes or locks outside the batch temp dir (count) vs 0',
      'sampling window (s) vs 1 s',
    ]);
    // Real figures, not placeholders: the batch costs CPU, writes nothing, samples one second.
    expect(measureOf(pc, "whole batch, first audit: the batch's own CPU").median).toBeGreaterThan(5);
    expect(pc.comparisons![2]!.measured).toBe(0);
    expect(pc.comparisons![3]!.measured).toBe(1);
    expect(pc.figures!['writes or locks outside the batch temp dir']).toBe('none');
  });

  it('leaves no lab namespaces and no temp dirs', () => {
    const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    expect(netns).not.toMatch(new RegExp(`mtaf-${benchLabName('bench')}-`));
    expect(leftover).toEqual([]);
  });
});
