/**
 * pmta-config `testFirst`: observe asks the host's PowerMTA about the planned files (pmta test
 * config on copies, UG §6.3.38) and the plan is refused, before anything changes, on a rejection.
 */
import { describe, expect, it } from 'vitest';
import { pmtaConfigStep, TEST_KEY } from '../../../src/steps/pmta-config.js';
import type { Command } from '../../../src/transport/quote.js';
import type { ExecOptions, HostConnection } from '../../../src/transport/types.js';

const CONFIG = 'http-mgmt-port 8080\n';

function fakeHost(answer: string): { host: HostConnection; calls: Array<{ command: string; stdin?: string }> } {
  const calls: Array<{ command: string; stdin?: string }> = [];
  const host = {
    name: 'mta01',
    readFile: async (p: string) => (p === '/etc/pmta/config' ? Buffer.from(CONFIG) : null),
    exec: async (command: Command, options: ExecOptions = {}) => {
      calls.push({ command: command.text, stdin: options.stdin?.toString() });
      return { stdout: answer, stderr: '', exitCode: 0, signal: null, durationMs: 1 };
    },
    writeFileAtomic: async () => undefined,
    close: async () => undefined,
  } as unknown as HostConnection;
  return { host, calls };
}

const params = (testFirst: boolean) => pmtaConfigStep.params.parse({ directives: { 'queue-processing-threads': '4', 'num-hosts': '512' }, testFirst });

describe('pmta-config testFirst', () => {
  it('a rejection refuses the step with pmta\'s answer; the candidate sent is the planned file', async () => {
    const { host, calls } = fakeHost('mtafleet-rc 1\nError in line 2 of /etc/pmta/config: unknown directive "queue-processing-threads"\n');
    const state = await pmtaConfigStep.observe(host, params(true), { become: false });
    expect(state[TEST_KEY]).toEqual({ verdict: 'rejected', output: 'Error in line 2 of /etc/pmta/config: unknown directive "queue-processing-threads"' });
    expect(calls).toHaveLength(1);
    expect(calls[0].command).toMatch(/mtafleet-try-config replace \/etc\/pmta\/config$/);
    expect(Buffer.from(calls[0].stdin!.trim(), 'base64').toString()).toBe('http-mgmt-port 8080\nqueue-processing-threads 4\nnum-hosts 512\n');
    const plan = pmtaConfigStep.plan(state, params(true));
    expect(plan).toEqual({
      kind: 'refused',
      reason: 'this host\'s PowerMTA rejects the new config (pmta test config on a copy; nothing was changed): Error in line 2 of /etc/pmta/config: unknown directive "queue-processing-threads"',
    });
  });

  it('accepted or unchecked: the usual validated write is planned', async () => {
    for (const answer of ['mtafleet-rc 0\n\n', 'mtafleet-untested not root (testing a copy needs a private mount namespace)\n']) {
      const { host } = fakeHost(answer);
      const state = await pmtaConfigStep.observe(host, params(true), { become: false });
      expect(pmtaConfigStep.plan(state, params(true)).kind).toBe('changes');
    }
  });

  it('without testFirst nothing is asked', async () => {
    const { host, calls } = fakeHost('mtafleet-rc 1\nError in line 1 of x: y\n');
    const state = await pmtaConfigStep.observe(host, params(false), { become: false });
    expect(calls).toHaveLength(0);
    expect(pmtaConfigStep.plan(state, params(false)).kind).toBe('changes');
  });
});
