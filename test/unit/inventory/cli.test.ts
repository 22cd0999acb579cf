import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '../../..');
const fixtures = 'test/fixtures/inventory';

function mtafleet(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/mtafleet.js', ...args], { cwd: root, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  // Build dist/ (the binary runs the compiled CLI). Type errors in files still being written
  // by others do not stop tsc from emitting, so only the output is checked.
  spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: root, timeout: 150_000 });
  expect(existsSync(join(root, 'dist/cli/inventory.js'))).toBe(true);
}, 180_000);

describe('mtafleet inventory', () => {
  it('--graph prints the example fleet as a tree', () => {
    const r = mtafleet('inventory', '-i', 'inventory.example.yaml', '--graph');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('@all:');
    expect(lines).toContain('  |--@mta:');
    expect(lines).toContain('  |  |--@pool_gmail:');
    expect(lines).toContain('  |  |  |--mta01.fra.example.net');
    expect(lines).toContain('  |--@dc_ams:');
    expect(lines).toContain('  |  |--bastion.ams.example.net');
  });

  it('--list prints ansible-inventory JSON with typed connection vars', () => {
    const r = mtafleet('inventory', '-i', 'inventory.example.yaml', '--list');
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout) as Record<string, { children?: string[]; hosts?: string[] }> & { _meta: { hostvars: Record<string, Record<string, unknown>> } };
    expect(Object.keys(list._meta.hostvars)).toHaveLength(8);
    expect(list.all.children).toEqual(expect.arrayContaining(['ungrouped', 'mta', 'dc_fra', 'dc_ams', 'bastions']));
    expect(list.mta.children).toEqual(['pool_gmail', 'pool_microsoft', 'pool_yahoo']);
    const mta06 = list._meta.hostvars['mta06.ams.example.net'];
    expect(mta06.ansible_port).toBe(2222);
    expect(mta06.ansible_become).toBe(true);
    expect(mta06.mtafleet_jump).toBe('bastion.ams.example.net');
    expect(list._meta.hostvars['bastion.ams.example.net'].ansible_become).toBe(false);
    expect(String(list._meta.hostvars['mta01.fra.example.net'].mtafleet_known_hosts)).toBe(join(root, 'known_hosts.fra'));
  });

  it('--limit "pool_gmail:&dc_fra" selects the Frankfurt Gmail pool only', () => {
    const list = mtafleet('inventory', '-i', 'inventory.example.yaml', '--limit', 'pool_gmail:&dc_fra', '--list');
    expect(list.code).toBe(0);
    expect(Object.keys(JSON.parse(list.stdout)._meta.hostvars)).toEqual(['mta01.fra.example.net', 'mta02.fra.example.net']);
    const graph = mtafleet('inventory', '-i', 'inventory.example.yaml', '--limit', 'pool_gmail:&dc_fra', '--graph');
    expect(graph.code).toBe(0);
    expect(graph.stdout).not.toContain('mta05');
    expect(graph.stdout).not.toContain('@dc_ams');
    expect(graph.stdout).toContain('  |  |  |--mta02.fra.example.net');
  });

  it('reads INI inventories too', () => {
    const r = mtafleet('inventory', '-i', `${fixtures}/nested.ini`, '--graph');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  |  |  |--@pool_a:');
  });

  it('a broken inventory exits 1 with file, line and path on stderr, nothing on stdout', () => {
    const r = mtafleet('inventory', '-i', `${fixtures}/bad-port.yaml`, '--list');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('bad-port.yaml:9: all.children.gmail.hosts.mta03.ansible_port: must be a whole number between 1 and 65535, got "abc"');
  });

  it('a --limit matching nothing, or neither/both of --list and --graph, exits 1', () => {
    const nomatch = mtafleet('inventory', '-i', 'inventory.example.yaml', '--limit', 'pool_aol', '--graph');
    expect(nomatch.code).toBe(1);
    expect(nomatch.stderr).toContain('--limit "pool_aol" matches no host; known groups:');
    const neither = mtafleet('inventory', '-i', 'inventory.example.yaml');
    expect(neither.code).toBe(1);
    expect(neither.stderr).toContain('exactly one of --list or --graph');
    expect(mtafleet('inventory', '-i', 'inventory.example.yaml', '--list', '--graph').code).toBe(1);
    expect(mtafleet('inventory', '--graph').code).toBe(1);
  });

  it('never prints secrets', () => {
    const r = mtafleet('inventory', '-i', `${fixtures}/secrets.yaml`, '--list');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('"***"');
    for (const secret of ['hunter2-group', 's3cret-ssh', 'tok-123456', 'smtp-pass-789', '918273']) expect(r.stdout).not.toContain(secret);
  });
});
