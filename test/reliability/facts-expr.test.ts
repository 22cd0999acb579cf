/**
 * gather_facts and expressions on a real host (sshd at 127.0.0.1, this Debian machine): the
 * ansible_* facts reach `when` (run, and plan + apply, whose replay takes fact-based decisions
 * from the plan), magic variables and filters render task params, and a task whose condition
 * is false does nothing.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOneHost, type OneHost } from './fixture.js';

let fx: OneHost;

beforeAll(async () => {
  fx = await startOneHost('facts');
}, 60_000);

afterAll(async () => {
  await fx?.cleanup();
});

const playbook = (out: string) => `- hosts: mta
  gather_facts: yes
  tasks:
    - name: on Debian 12 or later
      file:
        path: "${out}/debian"
        content: "{{ groups['mta'] | join(',') }} {{ inventory_hostname_short | upper }} {{ spool_mb | int // 1024 }}\\n"
      when:
        - ansible_distribution == 'Debian' and ansible_distribution_major_version | int >= 12
        - ansible_mounts | selectattr_free_length_ok | default(true)
    - name: not on this host
      file: { path: "${out}/never", content: "x\\n" }
      when: ansible_distribution != 'Debian' or ansible_processor_vcpus < 1 or inventory_hostname not in groups['mta']
`;

describe('facts and expressions on a real host', () => {
  it('refuses an unknown filter at load, with the line', async () => {
    const pb = fx.write('bad.yaml', playbook(join(fx.dir, 'bad')));
    const r = await fx.cli(['run', pb, '-i', fx.inventory('inv.yaml', ['spool_mb: "20480"'])]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.yaml:10: plays\[0\]\.tasks\[0\]\.when\[1\]: invalid condition: unknown filter "selectattr_free_length_ok"/);
  });

  it('run: the fact-based condition holds, the other does not', async () => {
    const out = join(fx.dir, 'run');
    mkdirSync(out);
    const pb = fx.write('pb.yaml', playbook(out).replace('ansible_mounts | selectattr_free_length_ok | default(true)', "ansible_mounts | length > 0 and ansible_mounts[0].mount is string and ansible_default_ipv4.address is defined"));
    const r = await fx.cli(['run', pb, '-i', fx.inventory('inv.yaml', ['spool_mb: "20480"']), '--format', 'json']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(JSON.parse(r.stdout).summary).toMatchObject({ changed: 1, failed: 0 });
    expect(readFileSync(join(out, 'debian'), 'utf8')).toBe('h1 H1 20\n');
    expect(existsSync(join(out, 'never'))).toBe(false);
  }, 120_000);

  it('plan then apply: the replay takes the fact-based decisions from the plan', async () => {
    const out = join(fx.dir, 'plan');
    mkdirSync(out);
    const pb = fx.write('pb2.yaml', playbook(out).replace('ansible_mounts | selectattr_free_length_ok | default(true)', "ansible_facts.kernel is defined"));
    const inv = fx.inventory('inv2.yaml', ['spool_mb: "4096"']);
    const planFile = join(fx.dir, 'p.plan');
    const p = await fx.cli(['plan', pb, '-i', inv, '--out', planFile]);
    expect(p.code, p.stderr).toBe(0);
    expect(existsSync(join(out, 'debian'))).toBe(false);
    const a = await fx.cli(['apply', planFile, '--yes', '--format', 'json']);
    expect(a.code, a.stderr + a.stdout).toBe(0);
    expect(readFileSync(join(out, 'debian'), 'utf8')).toBe('h1 H1 4\n');
    expect(existsSync(join(out, 'never'))).toBe(false);
  }, 120_000);
});
