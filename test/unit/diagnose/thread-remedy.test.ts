/**
 * The thread-contention remedy only recommends directives the host's PowerMTA accepts
 * (`pmta test config` on a copy, UG §6.3.38; the v5.0 Guide documents no thread-count
 * directive, only thread-min/max-priority §3.3.1.27 and thread-reuse §3.3.1.28).
 */
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../../src/diagnose/index.js';
import { threadContention, threadRemedyDirectives, THREADS_INSTEAD } from '../../../src/diagnose/system.js';
import type { HostFacts } from '../../../src/probes/index.js';
import { healthy } from './facts.js';

function pinned(test?: NonNullable<HostFacts['facts']['configTest']>['verdict'], output = ''): HostFacts {
  const h = healthy();
  h.facts.cpu = { ...h.facts.cpu!, daemonCpuPercent: 99, perCore: [{ cpu: 'cpu0', busyPercent: 100, iowaitPercent: 0 }, { cpu: 'cpu1', busyPercent: 3, iowaitPercent: 0 }] };
  if (test) h.facts.configTest = { file: '/etc/pmta/config', directives: threadRemedyDirectives(2), verdict: test, output };
  return h;
}

describe('thread-contention remedy and the host\'s answer', () => {
  it('the directives are the playbook\'s defaults, threads = cores', () => {
    expect(threadRemedyDirectives(8)).toEqual(['queue-processing-threads 8', 'smtp-service-threads 32', 'num-hosts 512']);
  });

  it('accepted: the playbook with threads = cores, and the evidence says the host accepts it', () => {
    const [f] = diagnose(pinned('accepted'));
    expect(f).toMatchObject({ kind: 'thread-contention', remedy: 'playbooks/pmta-threads.yaml', remedyVars: { threads: '2' } });
    expect(f.title).toBe('PowerMTA is bound to one core of 2: raise queue-processing-threads');
    expect(f.evidence).toContain('pmta test config accepts "queue-processing-threads 2; smtp-service-threads 32; num-hosts 512" added to a copy of /etc/pmta/config (tested in a private mount namespace; the installed config is unchanged)');
  });

  it('rejected: no playbook (remedy null, no vars), pmta\'s answer and what to do instead', () => {
    const [f] = diagnose(pinned('rejected', 'Error in line 40 of /etc/pmta/config: unknown directive "queue-processing-threads"\n'));
    expect(f.kind).toBe('thread-contention');
    expect(f.severity).toBe('critical');
    expect(f.remedy).toBeNull();
    expect(f.remedyVars).toBeUndefined();
    expect(f.title).toMatch(/this PowerMTA rejects queue-processing-threads/);
    expect(f.evidence).toContain('pmta test config rejects "queue-processing-threads 2; smtp-service-threads 32; num-hosts 512" added to a copy of /etc/pmta/config: Error in line 40 of /etc/pmta/config: unknown directive "queue-processing-threads" (the installed config is unchanged)');
    expect(f.evidence[f.evidence.length - 1]).toBe(THREADS_INSTEAD);
    expect(THREADS_INSTEAD).toMatch(/§3\.3\.1\.27/);
  });

  it('unchecked: the playbook stays (it checks before changing anything), the evidence says why the audit could not', () => {
    const [f] = diagnose(pinned('unchecked', 'not root (testing a copy needs a private mount namespace)'));
    expect(f.remedy).toBe('playbooks/pmta-threads.yaml');
    expect(f.evidence[f.evidence.length - 1]).toMatch(/^not checked whether this PowerMTA accepts queue-processing-threads .*: not root .*refuses if rejected$/);
  });

  it('no answer at all (facts without the follow-up): the evidence says the directive is not in the Guide', () => {
    const [f] = threadContention(pinned().facts);
    expect(f.remedy).toBe('playbooks/pmta-threads.yaml');
    expect(f.evidence[f.evidence.length - 1]).toMatch(/not in the PowerMTA v5\.0 User's Guide/);
  });
});
