import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { renderInventory, renderKnownHosts } from '../../../src/lab/inventory.js';
import { renderApplyScript } from '../../../src/lab/apply.js';
import { renderSetupScript, renderSshdConfig } from '../../../src/lab/hostsetup.js';
import { hostPaths } from '../../../src/lab/paths.js';
import { assertLabHost, missingPackages } from '../../../src/lab/preflight.js';
import { InputError } from '../../../src/util/errors.js';

describe('lab inventory and known_hosts', () => {
  const hosts = [
    { name: 'mta01', address: '198.18.3.11', scenario: 'spool-io', nvmeDevice: '/dev/loop4', usedDevice: '/dev/loop5', spoolDevice: '/dev/loop6' },
    { name: 'mta02', address: '198.18.3.12', scenario: 'healthy', nvmeDevice: '/dev/loop7' },
  ];

  it('writes an Ansible YAML inventory with connection vars, devices and scenario groups', () => {
    const inv = parse(renderInventory({ labName: 'x', keyFile: '/l/key', knownHostsFile: '/l/kh', hosts }));
    expect(inv.all.children.mta.hosts.mta01).toEqual({
      ansible_host: '198.18.3.11',
      ansible_user: 'root',
      ansible_ssh_private_key_file: '/l/key',
      mtafleet_known_hosts: '/l/kh',
      lab_scenario: 'spool-io',
      lab_mount_dir: '/mnt/nvme',
      lab_nvme_device: '/dev/loop4',
      lab_used_device: '/dev/loop5',
      lab_spool_device: '/dev/loop6',
    });
    expect(inv.all.children.mta.hosts.mta02.lab_used_device).toBeUndefined();
    expect(Object.keys(inv.all.children.scenario_spool_io.hosts)).toEqual(['mta01']);
    expect(Object.keys(inv.all.children.scenario_healthy.hosts)).toEqual(['mta02']);
  });

  it('writes one known_hosts line per host key with address and name', () => {
    const text = renderKnownHosts([{ name: 'mta01', address: '198.18.3.11', publicKeys: ['ssh-ed25519 AAAAC3 mta01\n', 'ecdsa-sha2-nistp256 AAAAE2 mta01'] }]);
    expect(text).toBe('198.18.3.11,mta01 ssh-ed25519 AAAAC3\n198.18.3.11,mta01 ecdsa-sha2-nistp256 AAAAE2\n');
  });
});

describe('lab host scripts', () => {
  it('writes scenario files byte for byte (quotes, newlines, $) and sets sysctls', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mtaf-t-render-'));
    try {
      const content = "line 1 with 'quotes' and $HOME and `x`\nline2\n";
      const script = renderApplyScript({ files: { [`${dir}/a/b/c.conf`]: content }, sysctls: {} });
      execFileSync('sh', ['-s'], { input: script });
      expect(readFileSync(`${dir}/a/b/c.conf`, 'utf8')).toBe(content);
      expect(renderApplyScript({ files: {}, sysctls: { 'net.ipv4.ip_local_port_range': '40000 40500' } })).toContain("sysctl -q -w 'net.ipv4.ip_local_port_range=40000 40500'");
      expect(() => renderApplyScript({ files: { 'relative/path': 'x' }, sysctls: {} })).toThrow(/absolute/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('mounts /etc as an overlay and the private dirs, then execs sshd; spool on its own device when asked', () => {
    const p = hostPaths('/var/lib/mtafleet-lab/x', 'mta01');
    const plain = renderSetupScript({ hostName: 'mta01', paths: p, sshdConfig: p.sshdConfig });
    expect(plain).toContain(`mount -t overlay overlay -o lowerdir=/etc,upperdir=${p.etcUpper},workdir=${p.etcWork} /etc`);
    for (const d of ['/var/spool/pmta', '/var/log/pmta', '/var/lib/pmta-sim', '/root', '/mnt']) expect(plain).toMatch(new RegExp(`mount --bind \\S+ ${d}\\n`));
    expect(plain.trimEnd().split('\n').at(-1)).toBe(`exec /usr/sbin/sshd -D -e -f ${p.sshdConfig}`);
    const withSpool = renderSetupScript({ hostName: 'mta01', paths: p, sshdConfig: p.sshdConfig, spoolDevice: '/dev/loop9' });
    expect(withSpool).toContain('mount -t xfs /dev/loop9 /var/spool/pmta');
    expect(withSpool).not.toContain(`${p.spool} /var/spool/pmta`);
  });

  it('configures sshd for key-only root login with the simulator first on PATH', () => {
    const p = hostPaths('/l', 'mta01');
    const cfg = renderSshdConfig({ address: '198.18.3.11', paths: p, clientPublicKeyFile: '/l/client_key.pub', path: '/repo/src/lab/assets/bin:/usr/bin' });
    for (const line of ['ListenAddress 198.18.3.11:22', 'PermitRootLogin prohibit-password', 'PasswordAuthentication no', 'UsePAM no', 'SetEnv PATH=/repo/src/lab/assets/bin:/usr/bin', 'AuthorizedKeysFile .ssh/authorized_keys /l/client_key.pub']) {
      expect(cfg.split('\n')).toContain(line);
    }
    expect(cfg.match(/^HostKey /gm)).toHaveLength(2);
  });
});

describe('lab preflight', () => {
  it('refuses non-Linux and non-root with a clear message', () => {
    expect(() => assertLabHost('darwin', 0)).toThrow(/needs Linux/);
    expect(() => assertLabHost('linux', 1000)).toThrow(InputError);
    expect(() => assertLabHost('linux', 1000)).toThrow(/needs root/);
  });

  it('names the Debian package of each missing tool', () => {
    expect(missingPackages(() => true)).toEqual([]);
    expect(missingPackages((f) => !f.endsWith('mkfs.xfs'))).toEqual(['xfsprogs']);
    expect(missingPackages((f) => !f.includes('sshd') && !f.includes('nsenter'))).toEqual(['openssh-server', 'util-linux']);
  });
});
