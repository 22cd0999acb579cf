/**
 * The thread-contention remedy the host accepts (issue #12 item 5): two hosts with one hot
 * processing thread, one whose PowerMTA accepts `queue-processing-threads` and one whose build
 * answers `unknown directive` (the v5.0 User's Guide documents no thread-count directive). The
 * audit asks each host's PowerMTA (`pmta test config` on a copy, UG §6.3.38) before naming the
 * playbook, changes nothing, and the threads playbook refuses the rejecting host before any change.
 * Every run is judged; none is retried.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cli, useLab, type LabHandle } from '../../helpers/lab.js';
import { AuditContract } from '../../unit/report/contract.js';

const SCENARIOS = ['thread-contention', 'thread-contention-no-directive'];
/** The backlog is seeded at start; the processing thread is saturated within seconds. */
const SETTLE_MS = 20_000;
const PLAYBOOK = 'playbooks/pmta-threads.yaml';

async function configHash(lab: LabHandle, host: string): Promise<string> {
  const r = await lab.run(host, 'cat /etc/pmta/config');
  return createHash('sha256').update(r.stdout).digest('hex');
}

describe('thread-contention: the remedy is checked with the host\'s own PowerMTA', () => {
  const fx = useLab({ name: 'f3thr', hosts: SCENARIOS.length, scenarios: SCENARIOS });

  it('audit: the playbook where pmta test config accepts the directive, remedy null and what to do instead where it rejects it; no config changed', async () => {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const accepts = fx.lab.hosts.find((h) => h.scenario === 'thread-contention')!.name;
    const rejects = fx.lab.hosts.find((h) => h.scenario === 'thread-contention-no-directive')!.name;
    const before = [await configHash(fx.lab, accepts), await configHash(fx.lab, rejects)];

    const r = await cli(['audit', '-i', fx.lab.inventoryFile, '--format', 'json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const report = AuditContract.parse(JSON.parse(r.stdout));
    const thread = (name: string) => report.hosts.find((h) => h.name === name)!.findings.find((f) => f.kind === 'thread-contention');

    const ok = thread(accepts);
    expect(ok, JSON.stringify(report.hosts.find((h) => h.name === accepts)!.findings.map((f) => f.title))).toBeDefined();
    expect(ok!.remedy).toBe(PLAYBOOK);
    expect(ok!.remedyVars).toEqual({ threads: expect.stringMatching(/^\d+$/) });
    expect(ok!.evidence.some((e) => /^pmta test config accepts "queue-processing-threads \d+; smtp-service-threads 32; num-hosts 512" added to a copy of \/etc\/pmta\/config/.test(e))).toBe(true);

    const no = thread(rejects);
    expect(no, JSON.stringify(report.hosts.find((h) => h.name === rejects)!.findings.map((f) => f.title))).toBeDefined();
    expect(no!.remedy).toBeNull();
    expect(no!.title).toMatch(/rejects queue-processing-threads/);
    expect(no!.evidence).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^pmta test config rejects .*: Error in line \d+ of \/etc\/pmta\/config: unknown directive "queue-processing-threads" \(the installed config is unchanged\)$/),
        expect.stringMatching(/^instead: the PowerMTA v5\.0 User's Guide documents no thread-count directive/),
      ]),
    );
    expect([await configHash(fx.lab, accepts), await configHash(fx.lab, rejects)]).toEqual(before);
  }, 240_000);

  it('the threads playbook: planned on the accepting host, refused before any change on the rejecting one', async () => {
    const accepts = fx.lab.hosts.find((h) => h.scenario === 'thread-contention')!.name;
    const rejects = fx.lab.hosts.find((h) => h.scenario === 'thread-contention-no-directive')!.name;
    const before = await configHash(fx.lab, rejects);

    const check = await cli(['run', PLAYBOOK, '-i', fx.lab.inventoryFile, '--limit', accepts, '--check', '--format', 'json', '--state-dir', `${fx.dir}/state`]);
    expect(check.exitCode, check.stderr + check.stdout).toBe(0);
    expect(JSON.parse(check.stdout).hosts).toEqual([expect.objectContaining({ name: accepts, status: 'changed' })]);

    const run = await cli(['run', PLAYBOOK, '-i', fx.lab.inventoryFile, '--limit', rejects, '--format', 'json', '--state-dir', `${fx.dir}/state`]);
    expect(run.exitCode, run.stderr).toBe(3);
    const [host] = JSON.parse(run.stdout).hosts;
    expect(host).toMatchObject({ name: rejects, status: 'refused', changes: 0 });
    expect(host.error).toMatch(/rejects the new config \(pmta test config on a copy; nothing was changed\): Error in line \d+ of \/etc\/pmta\/config: unknown directive "queue-processing-threads"/);
    expect(await configHash(fx.lab, rejects)).toBe(before);
  }, 180_000);
});
