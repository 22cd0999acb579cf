import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync, execFileSync } from 'node:child_process';
import { existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort, startSshd, type Sshd } from '../../helpers/sshd.js';
import { knownHostsFor, tempDir } from './helpers.js';

const ROOT = resolve(__dirname, '../../..');

function mtafleet(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/mtafleet.js'), ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('mtafleet exec end to end against a real sshd', () => {
  let sshd: Sshd | undefined;
  let dir = '';
  let inv = '';

  beforeAll(async () => {
    const buildStart = Date.now();
    // Other folders may still have type errors while the tree is being built up; tsc emits anyway.
    try {
      execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.json')], { stdio: 'ignore' });
    } catch {
      // checked below: our files must have been emitted
    }
    for (const f of ['dist/cli/main.js', 'dist/cli/exec.js', 'dist/transport/ssh.js']) {
      expect(existsSync(join(ROOT, f)) && statSync(join(ROOT, f)).mtimeMs >= buildStart - 1000, `${f} built`).toBe(true);
    }
    dir = tempDir('cli');
    sshd = await startSshd();
    const kh = knownHostsFor(dir, sshd);
    const closed = await freePort();
    const host = (port: number): string =>
      [
        `          ansible_host: 127.0.0.1`,
        `          ansible_port: ${port}`,
        `          ansible_user: root`,
        `          ansible_ssh_private_key_file: ${sshd!.clientKeyPath}`,
      ].join('\n');
    inv = join(dir, 'inventory.yaml');
    writeFileSync(
      inv,
      [
        'all:',
        '  vars:',
        `    mtafleet_known_hosts: ${kh}`,
        '  children:',
        '    good:',
        '      hosts:',
        '        mta01:',
        host(sshd.port),
        '        mta02:',
        host(sshd.port),
        '    down:',
        '      hosts:',
        '        mta-down:',
        host(closed),
        '',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    await sshd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs one shell-text argument on every selected host, grouped per host (exit 0)', () => {
    const r = mtafleet('exec', '-i', inv, '--limit', 'good', '--', 'echo "hi from $(hostname -s)" | tr a-z A-Z; echo warn >&2');
    expect(r.code, r.stderr).toBe(0);
    const host = execFileSync('hostname', ['-s'], { encoding: 'utf8' }).trim().toUpperCase();
    for (const name of ['mta01', 'mta02']) {
      expect(r.stdout).toContain(`${name} | rc=0 >>\nHI FROM ${host}\nwarn\n`);
    }
    expect(r.stdout).not.toContain('mta-down');
  });

  it('passes several arguments as an argv, untouched by the remote shell (json)', () => {
    const hostile = `a b; echo pwned $(id -u) 'q'`;
    const r = mtafleet('exec', '-i', inv, '--limit', 'mta01', '--format', 'json', '--', 'printf', '%s', hostile);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{ name: 'mta01', exitCode: 0, stdout: hostile, stderr: '', error: null }]);
  });

  it('exits 2 when a command fails on a host', () => {
    const r = mtafleet('exec', '-i', inv, '--limit', 'good', '--', 'exit 3');
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toContain('mta01 | FAILED | rc=3 >>');
  });

  it('exits 4 when a host is unreachable and the others are fine, 6 with both', () => {
    const ok = mtafleet('exec', '-i', inv, '--format', 'json', '--', 'true');
    expect(ok.code, ok.stderr).toBe(4);
    const hosts = JSON.parse(ok.stdout) as Array<{ name: string; exitCode: number | null; error: string | null }>;
    expect(hosts.map((h) => [h.name, h.exitCode])).toEqual([
      ['mta01', 0],
      ['mta02', 0],
      ['mta-down', null],
    ]);
    expect(hosts[2]!.error).toMatch(/mta-down .*unreachable/);
    const both = mtafleet('exec', '-i', inv, '--', 'exit 1');
    expect(both.code).toBe(6);
    expect(both.stdout).toContain('mta-down | UNREACHABLE! =>');
  });

  it('--become runs through sudo, --timeout stops a slow command', () => {
    const become = mtafleet('exec', '-i', inv, '--limit', 'mta01', '--become', '--format', 'json', '--', 'id', '-un');
    expect(JSON.parse(become.stdout)[0]).toMatchObject({ exitCode: 0, stdout: 'root\n' });
    const slow = mtafleet('exec', '-i', inv, '--limit', 'mta01', '--timeout', '1', '--format', 'json', '--', 'sleep 20');
    expect(slow.code).toBe(2);
    expect(JSON.parse(slow.stdout)[0].error).toMatch(/"sleep" timed out after 1s/);
  });

  it('refuses an unknown host key unless --accept-new-host-keys (exit 4, then 0)', () => {
    const fresh = join(dir, 'fresh_known_hosts');
    const refused = mtafleet('exec', '-i', inv, '--limit', 'mta01', '--known-hosts', fresh, '--', 'true');
    expect(refused.code).toBe(4);
    expect(refused.stdout).toMatch(/host key is not known .*SHA256:/);
    const accepted = mtafleet('exec', '-i', inv, '--limit', 'mta01', '--known-hosts', fresh, '--accept-new-host-keys', '--', 'true');
    expect(accepted.code).toBe(0);
    expect(existsSync(fresh)).toBe(true);
  });

  it('exits 1 on bad input before touching any host', () => {
    expect(mtafleet('exec', '-i', join(dir, 'missing.yaml'), '--', 'true').code).toBe(1);
    expect(mtafleet('exec', '-i', inv, '--limit', 'nomatch', '--', 'true').code).toBe(1);
  });
});
