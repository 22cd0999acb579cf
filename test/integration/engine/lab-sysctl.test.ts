/**
 * The engine on the lab fleet with the sysctl step: dry-run leaves hosts unchanged, apply is
 * idempotent, drift by hand refuses that host only, and rollback restores observed values.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type LabHandle } from '../../helpers/lab.js';
import { buildOnce, runCli } from './fleet-fixture.js';

let lab: LabHandle;
let dir: string;

beforeAll(async () => {
  buildOnce();
  dir = mkdtempSync(join(tmpdir(), 'mtaf-eng-lab-'));
  lab = await startLab({ name: 'eng1', hosts: 2, scenarios: ['healthy'] });
}, 300_000);

afterAll(async () => {
  await lab?.down();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const cli = (args: string[]) => runCli([...args, '--state-dir', join(dir, 'state')], { ...process.env, HOME: dir });

async function state(host: string): Promise<string> {
  const r = await lab.run(host, 'sysctl -n net.ipv4.tcp_fin_timeout; sha256sum /etc/sysctl.d/90-mtafleet.conf 2>/dev/null || echo no-file');
  return r.stdout;
}

const PLAYBOOK = `
- hosts: all
  tasks:
    - name: shorter FIN timeout
      sysctl: { name: net.ipv4.tcp_fin_timeout, value: "{{ fin | default(17) }}" }
`;

describe('engine on the lab (sysctl)', () => {
  it('check, run twice, drift refusal, rollback', async () => {
    const [a, b] = lab.hosts.map((h) => h.name);
    const pb = join(dir, 'pb.yaml');
    (await import('node:fs')).writeFileSync(pb, PLAYBOOK);
    const before = { [a]: await state(a), [b]: await state(b) };

    const check = await cli(['run', pb, '-i', lab.inventoryFile, '--check', '--diff']);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toMatch(/tcp_fin_timeout/);
    expect({ [a]: await state(a), [b]: await state(b) }).toEqual(before);

    const first = await cli(['run', pb, '-i', lab.inventoryFile, '--format', 'json']);
    expect(first.code, first.stderr).toBe(0);
    const run1 = JSON.parse(first.stdout);
    expect(run1.summary.changed).toBe(2);
    expect((await lab.run(a, 'sysctl -n net.ipv4.tcp_fin_timeout')).stdout.trim()).toBe('17');
    const second = JSON.parse((await cli(['run', pb, '-i', lab.inventoryFile, '--format', 'json'])).stdout);
    expect(second.hosts.map((h: { changes: number }) => h.changes)).toEqual([0, 0]);

    const planFile = join(dir, 'fin.plan');
    expect((await cli(['plan', pb, '-i', lab.inventoryFile, '-e', 'fin=23', '--out', planFile])).code).toBe(0);
    await lab.run(a, 'sysctl -w net.ipv4.tcp_fin_timeout=45');
    const apply = await cli(['apply', planFile, '--yes', '--format', 'json']);
    expect(apply.code).toBe(3);
    const res = JSON.parse(apply.stdout);
    expect(res.hosts.find((h: { name: string }) => h.name === a).error).toMatch(/sysctl net\.ipv4\.tcp_fin_timeout.*17.*45/);
    expect(res.hosts.find((h: { name: string }) => h.name === b).status).toBe('changed');
    expect((await lab.run(b, 'sysctl -n net.ipv4.tcp_fin_timeout')).stdout.trim()).toBe('23');

    // Undo the apply, then the first run: every host back to what was observed at first.
    const rbApply = await cli(['rollback', res.runId]);
    expect(rbApply.code, rbApply.stdout + rbApply.stderr).toBe(0);
    await lab.run(a, 'sysctl -w net.ipv4.tcp_fin_timeout=17');
    const rb = await cli(['rollback', run1.runId]);
    expect(rb.code, rb.stdout + rb.stderr).toBe(0);
    expect({ [a]: await state(a), [b]: await state(b) }).toEqual(before);
  }, 900_000);
});
