/**
 * The ansible_* facts: the script's output parsed (captured output, hostile output), and the
 * script run on this machine compared with what ansible-core's own `setup` module gathers
 * here (the real thing is the reference).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ANSIBLE_FACTS_SCRIPT, FACT_NAMES, parseAnsibleFacts } from '../../../src/engine/facts.js';
import { factVars } from '../../../src/playbook/vars.js';
import { evalWhen, parseWhen } from '../../../src/playbook/when.js';

const M = '@@mtafleet-fact:';
const section = (name: string, body: string) => `\n${M}${name}\n${body}\n`;

/** Captured on a Debian 12 host (the output of ANSIBLE_FACTS_SCRIPT). */
const DEBIAN = [
  section('hostname', 'mta01'),
  section('fqdn', '10.0.0.5       mta01.example.com mta01'),
  section('kernel', '6.1.0-28-amd64'),
  section('system', 'Linux'),
  section('machine', 'x86_64'),
  section('os-release', 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian'),
  section('debian-version', '12.8'),
  section('vcpus', '8'),
  section('meminfo', 'MemTotal:       32779288 kB\nMemFree:        23036860 kB\nMemAvailable:   23708080 kB'),
  section('route', '8.8.8.8 via 10.0.0.1 dev eth0 src 10.0.0.5 uid 0 \n    cache '),
  section('mounts', '4096 66053021 20596197 ext4 /dev/vda1 /\n4096 262144 200000 xfs /dev/nvme0n1 /var/spool/pmta'),
  section('end', ''),
].join('');

describe('ansible_* facts from the script output', () => {
  it('parses a Debian host', () => {
    expect({ ...parseAnsibleFacts(DEBIAN) }).toEqual({
      ansible_nodename: 'mta01',
      ansible_hostname: 'mta01',
      ansible_fqdn: 'mta01.example.com',
      ansible_kernel: '6.1.0-28-amd64',
      ansible_system: 'Linux',
      ansible_architecture: 'x86_64',
      ansible_distribution: 'Debian',
      ansible_os_family: 'Debian',
      ansible_distribution_version: '12.8',
      ansible_distribution_major_version: '12',
      ansible_distribution_release: 'bookworm',
      ansible_processor_vcpus: 8,
      ansible_memtotal_mb: 32011,
      ansible_default_ipv4: { address: '10.0.0.5', interface: 'eth0', gateway: '10.0.0.1' },
      ansible_mounts: [
        { mount: '/', device: '/dev/vda1', fstype: 'ext4', size_total: 4096 * 66053021, size_available: 4096 * 20596197 },
        { mount: '/var/spool/pmta', device: '/dev/nvme0n1', fstype: 'xfs', size_total: 4096 * 262144, size_available: 4096 * 200000 },
      ],
    });
  });

  it('every name it gives is one of FACT_NAMES', () => {
    for (const k of Object.keys(parseAnsibleFacts(DEBIAN))) expect(FACT_NAMES.has(k), k).toBe(true);
  });

  it('hostile output: nothing odd becomes a value, no host text becomes a key', () => {
    const hostile = [
      section('hostname', 'evil;$(reboot)'),
      section('fqdn', '1.2.3.4 __proto__ constructor'),
      section('kernel', 'x'.repeat(300)),
      section('os-release', 'ID=__proto__\nVERSION_ID="1\u001b[2J"\nID_LIKE=constructor\n__proto__=1'),
      section('vcpus', '99999999999999999999'),
      section('meminfo', 'MemTotal: -5 kB'),
      section('route', '8.8.8.8 via 999.1.1.1 dev eth0;rm src 10.0.0.300'),
      section('mounts', '4096 10 5 ext4 /dev/sda /ok\n4096 10 5 ext4 /dev/sdb relative\n-1 10 5 ext4 /dev/sdc /neg\n4096 99999999999999999 5 ext4 /dev/sdd /huge\n4096 10 5 EXT4;x /dev/sde /bad\n4096 10 5 ext4 /dev/sdf /a b'),
      section('hostname', 'second-section-ignored'),
    ].join('');
    const f = parseAnsibleFacts(hostile);
    expect(Object.getPrototypeOf(f)).toBe(null);
    expect(f.ansible_hostname).toBeUndefined();
    expect(f.ansible_kernel).toBeUndefined();
    expect(f.ansible_processor_vcpus).toBeUndefined();
    expect(f.ansible_memtotal_mb).toBeUndefined();
    expect(f.ansible_default_ipv4).toBeUndefined();
    expect(f.ansible_distribution_version).toBeUndefined();
    // "__proto__" is a plain distribution name here, and "constructor" no family.
    expect(f.ansible_distribution).toBe('__proto__');
    expect(f.ansible_os_family).toBeUndefined();
    expect(f.ansible_fqdn).toBe('constructor');
    expect(f.ansible_mounts).toEqual([{ mount: '/ok', device: '/dev/sda', fstype: 'ext4', size_total: 40960, size_available: 20480 }]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('output past 256 KiB is not read', () => {
    const f = parseAnsibleFacts(section('kernel', '6.1') + 'x'.repeat(300 * 1024) + section('system', 'Linux'));
    expect(f.ansible_kernel).toBe('6.1');
    expect(f.ansible_system).toBeUndefined();
  });
});

describe('facts as variables', () => {
  it('ansible_* at the top, in ansible_facts without the prefix, and everything under facts', () => {
    const gathered = { ...parseAnsibleFacts(DEBIAN), spool: { device: 'sdb' } };
    const vars = factVars(gathered);
    expect(evalWhen(parseWhen("ansible_distribution == 'Debian' and ansible_distribution_major_version | int >= 12"), vars)).toBe(true);
    expect(evalWhen(parseWhen("ansible_facts.distribution == 'Debian'"), vars)).toBe(true);
    expect(evalWhen(parseWhen("ansible_default_ipv4.address"), vars)).toBe('10.0.0.5');
    expect(evalWhen(parseWhen("(ansible_mounts | length) == 2 and ansible_mounts[1].mount == '/var/spool/pmta'"), vars)).toBe(true);
    expect(evalWhen(parseWhen("facts.spool.device == 'sdb'"), vars)).toBe(true);
    expect(evalWhen(parseWhen('ansible_memtotal_mb // 1024 >= 31'), vars)).toBe(true);
  });
});

const HAVE_ANSIBLE = spawnSync('sh', ['-c', 'command -v ansible']).status === 0;

describe.skipIf(!HAVE_ANSIBLE)('the script on this machine agrees with ansible-core setup', () => {
  it('same values as `ansible localhost -m setup`', () => {
    const setup = spawnSync('ansible', ['localhost', '-c', 'local', '-m', 'setup', '-a', 'gather_subset=!all,!min,hardware,network,distribution,platform'], {
      encoding: 'utf8',
      env: { ...process.env, ANSIBLE_LOCALHOST_WARNING: 'false', ANSIBLE_INVENTORY_UNPARSED_WARNING: 'false', ANSIBLE_NOCOLOR: '1' },
      timeout: 120_000,
    });
    expect(setup.status, setup.stderr).toBe(0);
    const ref = JSON.parse(setup.stdout.slice(setup.stdout.indexOf('{'))).ansible_facts as Record<string, unknown>;
    const ours = spawnSync('sh', ['-c', ANSIBLE_FACTS_SCRIPT.text], { encoding: 'utf8' });
    expect(ours.status).toBe(0);
    const f = parseAnsibleFacts(ours.stdout);
    for (const k of FACT_NAMES) {
      if (k === 'ansible_mounts' || k === 'ansible_default_ipv4') continue;
      expect(f[k], k).toEqual(ref[k]);
    }
    expect((f.ansible_default_ipv4 as Record<string, unknown>).address).toBe((ref.ansible_default_ipv4 as Record<string, unknown>).address);
    type Mount = { mount: string; device: string; fstype: string; size_total: number; size_available: number };
    const refMounts = ref.ansible_mounts as Mount[];
    const ourMounts = f.ansible_mounts as Mount[];
    expect(ourMounts.map((m) => [m.mount, m.device, m.fstype, m.size_total])).toEqual(refMounts.map((m) => [m.mount, m.device, m.fstype, m.size_total]));
    // Free space moves while other work writes to the disk: within 1 % of the size.
    ourMounts.forEach((m, i) => expect(Math.abs(m.size_available - refMounts[i].size_available)).toBeLessThan(m.size_total / 100));
  }, 150_000);
});
