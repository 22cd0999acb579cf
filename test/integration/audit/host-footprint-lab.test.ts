/**
 * Issue 17: nothing the audit runs writes on the host or takes a lock. The whole probe batch
 * (every probe, the `pmta` CLI and curl included) runs inside a lab host under strace, and
 * every open for writing, create, remove, rename, chmod/chown/utime, flock and fcntl lock of
 * it and its children is checked: only its own temp dir (in $TMPDIR, removed at its end) may
 * be written. The same run still gives every probe's facts, with the one-second sample.
 */
import { describe, expect, it } from 'vitest';
// A plain ESM module of the benchmarks (bench/probe-cost.mjs uses it too).
import { hostChanges, TRACE_ARGS } from '../../../bench/lib/host-writes.mjs';
import { ALL_PROBES, buildProbeScript, collectFacts } from '../../../src/probes/index.js';
import { quote } from '../../../src/transport/quote.js';
import { useLab } from '../../helpers/lab.js';

describe('the probe batch on a lab host', () => {
  const fx = useLab({ name: 'fp', hosts: 1, scenarios: ['spool-io'] });

  it('writes nothing outside its temp dir, takes no lock, and still gives every probe its facts', async () => {
    const host = fx.lab.hosts[0]!;
    const batch = buildProbeScript(ALL_PROBES, {}).text;
    const dir = (await fx.lab.run(host.name, 'mktemp -d /tmp/mtaf-fp.XXXXXX')).stdout.trim();
    try {
      const traced = await fx.lab.run(
        host.name,
        `mkdir ${dir}/tmp && TMPDIR=${dir}/tmp strace ${(TRACE_ARGS as string[]).map(quote).join(' ')} -o ${dir}/trace sh -c ${quote(batch)}`,
      );
      expect(traced.exitCode, traced.stderr).toBe(0);
      const facts = collectFacts(traced.stdout);
      expect(facts.unavailable).toEqual({});
      expect(facts.facts.cpu?.sampleSeconds).toBeGreaterThanOrEqual(0.9);
      expect(facts.facts.cpu?.sampleSeconds).toBeLessThan(1.5);
      const log = (await fx.lab.run(host.name, `cat ${dir}/trace`)).stdout;
      // The trace saw the batch's own temp files (so it did record writes), and nothing else.
      expect(log).toMatch(new RegExp(`openat\\(.*"${dir}/tmp/[^"]+", O_WRONLY\\|O_CREAT`));
      expect((hostChanges(log, `${dir}/tmp`) as Array<{ what: string }>).map((c) => c.what)).toEqual([]);
      // The batch removed its temp dir.
      expect((await fx.lab.run(host.name, `ls -A ${dir}/tmp`)).stdout).toBe('');
    } finally {
      await fx.lab.run(host.name, `rm -rf ${dir}`);
    }
  }, 180_000);
});
