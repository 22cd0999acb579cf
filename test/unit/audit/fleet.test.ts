import { describe, expect, it } from 'vitest';
import { auditFleetWith, type AuditDeps, type AuditProgress } from '../../../src/audit/fleet.js';
import { auditExitCode } from '../../../src/audit/summary.js';
import type { HostFacts } from '../../../src/audit/types.js';
import type { InventoryHost } from '../../../src/inventory/types.js';
import type { ConnectionSpec, HostConnection } from '../../../src/transport/types.js';
import { ConnectError, ProbeError } from '../../../src/util/errors.js';

const inv = (name: string): InventoryHost => ({
  name,
  vars: { ansible_host: '127.0.0.1', ansible_user: 'root', ansible_become_password: 'hunter2', lab_nvme_device: `/dev/loop-${name}`, mtafleet_port: 22, nested: { a: 1 } },
  groups: ['all'],
});

/** A fake connection that records what was done with it; the real forEachHost drives it. */
function fakeFleet(behaviour: Record<string, 'ok' | 'unreachable' | 'probe-fails' | 'diagnose-throws' | 'nothing-measured'>) {
  const opened: string[] = [];
  const closed: string[] = [];
  const probeCalls: Array<{ host: string; options: unknown }> = [];
  const diagnoseVars: Record<string, Record<string, string>> = {};
  const connect = async (spec: ConnectionSpec): Promise<HostConnection> => {
    if (behaviour[spec.name] === 'unreachable') throw new ConnectError(spec.name, 'unreachable', `${spec.name}: connection refused`);
    opened.push(spec.name);
    return {
      name: spec.name,
      exec: async () => { throw new Error('the fake runProbes does not exec'); },
      readFile: async () => null,
      writeFileAtomic: async () => { throw new Error('an audit must never write'); },
      close: async () => { closed.push(spec.name); },
    };
  };
  const deps: AuditDeps = {
    connect,
    runProbes: async (conn, options) => {
      probeCalls.push({ host: conn.name, options });
      if (behaviour[conn.name] === 'probe-fails') throw new ProbeError(`${conn.name}: probe batch exited 137`);
      if (behaviour[conn.name] === 'nothing-measured') return { facts: {}, unavailable: { cpu: 'no output from the probe batch' }, warnings: [] };
      const facts: HostFacts = { facts: { marker: conn.name } as HostFacts['facts'], unavailable: { fio: 'not installed' }, warnings: ['odd line'] };
      return facts;
    },
    diagnose: (facts, { hostVars }) => {
      const name = (facts.facts as { marker: string }).marker;
      diagnoseVars[name] = hostVars;
      if (behaviour[name] === 'diagnose-throws') throw new TypeError('rule exploded');
      return name === 'a'
        ? [{ kind: 'spool-io', severity: 'critical', title: 'spool', evidence: ['sdb 99%'], remedy: 'playbooks/spool-migrate-nvme.yaml', strength: 2 }]
        : [];
    },
  };
  return { deps, opened, closed, probeCalls, diagnoseVars };
}

describe('auditFleetWith', () => {
  it('probes and diagnoses every host over one connection, isolating failures', async () => {
    const fleet = fakeFleet({ a: 'ok', b: 'unreachable', c: 'probe-fails', d: 'diagnose-throws', e: 'ok', f: 'nothing-measured' });
    const progress: AuditProgress[] = [];
    const report = await auditFleetWith(fleet.deps, ['a', 'b', 'c', 'd', 'e', 'f'].map(inv), {
      forks: 2,
      windowHours: 6,
      connection: { knownHostsFile: '/dev/null' },
      onProgress: (p) => progress.push(p),
    });

    expect(report.hosts.map((h) => [h.name, h.reachable, h.error])).toEqual([
      ['a', true, null],
      ['b', false, 'b: connection refused'],
      ['c', true, 'c: probe batch exited 137'],
      ['d', true, 'd: diagnosis failed: rule exploded'],
      ['e', true, null],
      ['f', true, 'f: no probe produced facts (cpu: no output from the probe batch)'],
    ]);
    expect(report.hosts[0]!.findings.map((f) => f.kind)).toEqual(['spool-io']);
    expect(report.hosts[0]).toMatchObject({ facts: { marker: 'a' }, unavailable: { fio: 'not installed' }, warnings: ['odd line'] });
    expect(report.hosts[3]!.facts).toEqual({ marker: 'd' }); // facts kept when diagnosis fails
    expect(report.summary).toEqual({ hosts: 6, reachable: 5, byKind: { 'spool-io': 1 } });
    // every host, reached or not, has its wall time (connect + probes + diagnosis)
    for (const h of report.hosts) expect(h.probeSeconds, h.name).toBeGreaterThanOrEqual(0);
    expect(auditExitCode(report)).toBe(6);

    expect(fleet.opened.sort()).toEqual(['a', 'c', 'd', 'e', 'f']);
    expect(fleet.closed.sort()).toEqual(['a', 'c', 'd', 'e', 'f']);
    expect(fleet.probeCalls.every((c) => JSON.stringify(c.options) === '{"windowHours":6}')).toBe(true);
    expect(progress.map((p) => p.done)).toEqual([1, 2, 3, 4, 5, 6]);
    // diagnosis gets each host's own scalar inventory vars, never its secrets
    expect(fleet.diagnoseVars.e).toEqual({ ansible_host: '127.0.0.1', ansible_user: 'root', lab_nvme_device: '/dev/loop-e', mtafleet_port: '22' });
    expect(progress.every((p) => p.total === 6)).toBe(true);
    expect(progress.find((p) => p.host === 'b')!.status).toBe('unreachable');
  });

  it('passes --benchmark-disk through and keeps at most `forks` hosts in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const fleet = fakeFleet({});
    const slow: AuditDeps = {
      ...fleet.deps,
      runProbes: async (conn, options) => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight -= 1;
        return fleet.deps.runProbes(conn, options);
      },
    };
    await auditFleetWith(slow, ['a', 'b', 'c', 'd', 'e', 'f'].map(inv), { forks: 3, benchmarkDisk: true, connection: { knownHostsFile: '/dev/null' } });
    expect(peak).toBe(3);
    expect(fleet.probeCalls.every((c) => JSON.stringify(c.options) === '{"benchmarkDisk":true}')).toBe(true);
  });
});
