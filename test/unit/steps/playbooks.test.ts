import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadPlaybook } from '../../../src/playbook/load.js';
import { prepareHost } from '../../../src/engine/prepare.js';

/** The shipped playbooks load, and every task's params render and validate for a sample host. */
const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../playbooks');
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
const host = (vars: Record<string, unknown>) => ({ name: 'mta01', vars, groups: ['all', 'mta'] });

describe('shipped playbooks', () => {
  it('are all there', () => {
    expect(files).toEqual([
      'audit-remediate.yaml',
      'fd-limit.yaml',
      'isp-limits.yaml',
      'network-tuning.yaml',
      'pmta-threads.yaml',
      'spool-finalize.yaml',
      'spool-migrate-nvme.yaml',
    ]);
  });

  for (const file of files) {
    it(`${file}: documented header, loads, params valid for a sample host`, () => {
      const pb = loadPlaybook(path.join(dir, file));
      const text = readFileSync(path.join(dir, file), 'utf8');
      expect(text.startsWith(`# ${file} — `)).toBe(true);
      expect(text).toMatch(/^# Vars/m);
      expect(text).toMatch(/^# Usage:/m);
      const prepared = prepareHost(pb, 0, host({ device: '/dev/nvme0n1', findings: ['fd-limit', 'spool-io'] }), {});
      for (const t of [...prepared.tasks, ...prepared.handlers]) {
        // A `when`-guarded task may reference variables only defined when it runs.
        if (t.deferredError && t.def.when.length === 0) throw t.deferredError;
        if (t.deferredError) continue;
        expect(t.params, t.def.name).toBeDefined();
      }
    });
  }

  it('network-tuning carries the article defaults', () => {
    const prepared = prepareHost(loadPlaybook(path.join(dir, 'network-tuning.yaml')), 0, host({}), {});
    expect(prepared.tasks.map((t) => t.params)).toEqual([
      { name: 'net.ipv4.ip_local_port_range', value: '10240 65535', file: '/etc/sysctl.d/90-mtafleet.conf' },
      { name: 'net.ipv4.tcp_fin_timeout', value: '10', file: '/etc/sysctl.d/90-mtafleet.conf' },
      { name: 'net.ipv4.tcp_tw_reuse', value: '1', file: '/etc/sysctl.d/90-mtafleet.conf' },
      { name: 'net.core.somaxconn', value: '65535', file: '/etc/sysctl.d/90-mtafleet.conf' },
    ]);
  });

  it('pmta-threads uses the observed CPU count unless threads is given', () => {
    const pb = loadPlaybook(path.join(dir, 'pmta-threads.yaml'));
    expect(prepareHost(pb, 0, host({}), {}).tasks[0].params).toMatchObject({ directive: 'queue-processing-threads', value: null, valueFrom: 'cpu-count' });
    expect(prepareHost(pb, 0, host({}), { threads: '8' }).tasks[0].params).toMatchObject({ value: '8' });
  });

  it('isp-limits: profile values, explicit values win', () => {
    const pb = loadPlaybook(path.join(dir, 'isp-limits.yaml'));
    const medium = prepareHost(pb, 0, host({}), { profile: 'medium', domain: 'yahoo.com' });
    const byName = Object.fromEntries(medium.tasks.map((t) => [t.def.name, t]));
    expect(byName['max-smtp-out (medium profile)'].params).toMatchObject({ directive: 'max-smtp-out', value: '5', block: 'domain yahoo.com', state: 'present', file: '/etc/pmta/config' });
    expect(byName['max-msg-per-connection (high profile)'].params).toMatchObject({ value: '150' });
    expect(byName['max-smtp-out (explicit)'].deferredError).toBeDefined();
    const explicit = prepareHost(pb, 0, host({}), { max_smtp_out: '6' });
    expect(explicit.tasks[0].params).toMatchObject({ value: '6', block: 'domain gmail.com' });
  });

  it('spool-migrate-nvme without a device is an error before any host is touched', () => {
    expect(() => prepareHost(loadPlaybook(path.join(dir, 'spool-migrate-nvme.yaml')), 0, host({}), {})).toThrow(/device/);
  });
});
