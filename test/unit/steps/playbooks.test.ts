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

  it('network-tuning carries the article defaults in one task', () => {
    const prepared = prepareHost(loadPlaybook(path.join(dir, 'network-tuning.yaml')), 0, host({}), {});
    expect(prepared.tasks.map((t) => t.params)).toEqual([
      {
        file: '/etc/sysctl.d/90-mtafleet.conf',
        values: {
          'net.ipv4.ip_local_port_range': '10240 65535',
          'net.ipv4.tcp_fin_timeout': '10',
          'net.ipv4.tcp_tw_reuse': '1',
          'net.core.somaxconn': '65535',
        },
      },
    ]);
  });

  it('pmta-threads uses the observed CPU count unless threads is given', () => {
    const pb = loadPlaybook(path.join(dir, 'pmta-threads.yaml'));
    expect(prepareHost(pb, 0, host({}), {}).tasks[0].params).toMatchObject({
      directives: { 'queue-processing-threads': null, 'smtp-service-threads': '32', 'num-hosts': '512' },
      valueFrom: 'cpu-count',
    });
    expect(prepareHost(pb, 0, host({}), { threads: '8' }).tasks[0].params).toMatchObject({ directives: { 'queue-processing-threads': '8' } });
  });

  it('isp-limits: profile values, explicit values win', () => {
    const pb = loadPlaybook(path.join(dir, 'isp-limits.yaml'));
    const byName = (extra: Record<string, unknown>) => Object.fromEntries(prepareHost(pb, 0, host({}), extra).tasks.map((t) => [t.def.name, t.params]));
    expect(byName({ profile: 'medium', domain: 'yahoo.com' })['Limits from the medium profile']).toMatchObject({
      block: 'domain yahoo.com',
      directives: { 'max-smtp-out': '5', 'max-msg-per-connection': '100' },
    });
    expect(byName({})['Limits from the high profile']).toMatchObject({ directives: { 'max-smtp-out': '8', 'max-msg-per-connection': '150' } });
    expect(byName({ max_smtp_out: '6' })['Limits from the warming profile']).toMatchObject({ block: 'domain gmail.com', directives: { 'max-smtp-out': '6', 'max-msg-per-connection': '20' } });
  });

  it('spool-migrate-nvme without a device is an error before any host is touched', () => {
    expect(() => prepareHost(loadPlaybook(path.join(dir, 'spool-migrate-nvme.yaml')), 0, host({}), {})).toThrow(/device/);
  });
});
