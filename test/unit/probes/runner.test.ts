import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { makeProbeRunner, PROBE_LAUNCHER, runProbes } from '../../../src/probes/index.js';
import type { HostConnection } from '../../../src/transport/types.js';

/** Real probe-batch outputs recorded from lab hosts (bench/fixtures). */
const recorded = (scenario: string): { stdout: string } => JSON.parse(readFileSync(new URL(`../../../bench/fixtures/probe-batch-${scenario}.json`, import.meta.url), 'utf8'));

/** A connection answering every exec with one recorded batch, keeping the scripts it got on stdin. */
function replaying(name: string, scenario: string, sent: string[]): HostConnection {
  const { stdout } = recorded(scenario);
  return {
    name,
    exec: async (command, options) => {
      // The exec request is the small constant launcher; the batch itself comes on stdin.
      expect(command).toBe(PROBE_LAUNCHER);
      expect(command.text.length).toBeLessThan(100);
      sent.push(String(options?.stdin));
      return { stdout, stderr: '', exitCode: 0, signal: null, durationMs: 1 };
    },
    readFile: async () => null,
    writeFileAtomic: async () => { throw new Error('probes never write'); },
    close: async () => undefined,
  };
}

describe('makeProbeRunner', () => {
  it('sends one script, built once, to every host of the audit and parses each host on its own', async () => {
    const sent: string[] = [];
    const run = makeProbeRunner();
    const healthy = await run(replaying('a', 'healthy', sent), { windowHours: 24 });
    const reputation = await run(replaying('b', 'ip-reputation', sent), { windowHours: 24 });
    expect(sent).toHaveLength(2);
    expect(sent[1]).toBe(sent[0]); // the same script, nonce included
    expect(sent[0]!).toMatch(/MTAF_M=@@mtafleet-batch-[0-9a-f]{16}\n/);
    // each host's facts come from its own output (and its own accounting cursor)
    expect(healthy.facts.accounting).toBeDefined();
    expect(reputation.facts.accounting).toBeDefined();
    expect(healthy.facts.accounting).not.toEqual(reputation.facts.accounting);
    expect(healthy.accountingCursor).not.toBe(reputation.accountingCursor);
    // the same as the one-host runProbes, apart from the nonce
    const single: string[] = [];
    const alone = await runProbes(replaying('a', 'healthy', single), { windowHours: 24 });
    expect(alone).toEqual(healthy);
    expect(single[0]!.replace(/batch-[0-9a-f]+/g, 'N')).toBe(sent[0]!.replace(/batch-[0-9a-f]+/g, 'N'));
  });

  it('builds a new script for other batch options or a host with an accounting cursor', async () => {
    const sent: string[] = [];
    const run = makeProbeRunner();
    const first = await run(replaying('a', 'healthy', sent), { windowHours: 24 });
    await run(replaying('b', 'healthy', sent), { windowHours: 6 });
    await run(replaying('c', 'healthy', sent), { windowHours: 24, accountingCursor: first.accountingCursor! });
    await run(replaying('d', 'healthy', sent), { windowHours: 24 });
    expect(sent[1]!).toContain('MTAF_WINDOW_HOURS=6');
    expect(sent[1]).not.toBe(sent[0]);
    expect(sent[2]).not.toBe(sent[0]);
    expect(sent[2]!).not.toContain('MTAF_ACCT_CURSOR=\n');
    expect(sent[3]).toBe(sent[0]);
  });
});
