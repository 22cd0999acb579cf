/**
 * The lab fleet's infrastructure: real sshd per host, isolation of sysctls and files between
 * hosts and the machine, disks, and a `down` that leaves nothing behind.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parse } from 'yaml';
import { startLab, type LabHandle } from '../../helpers/lab.js';
import { labDown, loadState, labFiles, type LabState } from '../../../src/lab/index.js';
import { main } from '../../../src/cli/main.js';
import { startPmta } from '../../../src/lab/apply.js';

const NAME = 't1';
let lab: LabHandle;
let recorded: LabState;

function ssh(address: string, command: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('ssh', ['-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${lab.knownHostsFile}`, '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', '-i', lab.keyFile, `root@${address}`, command], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function runOk(host: string, text: string): Promise<string> {
  const r = await lab.run(host, text);
  expect(r.exitCode, `${host}: ${text}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

function rootSysctl(key: string): string {
  return execFileSync('sysctl', ['-n', key], { encoding: 'utf8' }).trim();
}

/** CLI in-process, capturing stdout. */
async function cliOut(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  });
  try {
    const code = await main(['node', 'mtafleet', ...args]);
    return { code, out };
  } finally {
    spy.mockRestore();
  }
}

beforeAll(async () => {
  lab = await startLab({ name: NAME, hosts: 3 });
  recorded = loadState(labFiles(lab.labDir).state) as LabState;
});

afterAll(async () => {
  await labDown({ name: NAME });
});

describe('lab hosts', () => {
  it('accepts key-only root ssh with strict host key checking against the lab known_hosts', () => {
    for (const h of lab.hosts) {
      const r = ssh(h.address, 'hostname; echo "$PATH"; head -1 ~/.bashrc');
      expect(r.status, r.stderr).toBe(0);
      const [hostname, path, bashrc] = r.stdout.trim().split('\n');
      expect(hostname).toBe(h.name);
      expect(path?.split(':')[0]).toMatch(/\/src\/lab\/assets\/bin$/);
      expect(bashrc).toBe('# Stock lab host ~/.bashrc'); // not the lab machine's own start-up files
      const login = ssh(h.address, 'bash -lc \'echo "$PATH"\''); // /etc/profile resets PATH
      expect(login.stdout.trim().split(':')[0]).toMatch(/\/src\/lab\/assets\/bin$/);
    }
  });

  it('writes an ssh_config for people: ssh -F <lab>/ssh_config mta02', () => {
    const r = spawnSync('ssh', ['-F', `${lab.labDir}/ssh_config`, '-o', 'BatchMode=yes', 'mta02', 'hostname'], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('mta02');
  });

  it('refuses a host whose key is not the recorded one', () => {
    // host 2's address with host 1's known_hosts lines only: strict checking must fail
    const lines = readFileSync(lab.knownHostsFile, 'utf8').split('\n').filter((l) => l.startsWith(`${lab.hosts[0]!.address},`));
    const other = lines.map((l) => l.replace(lab.hosts[0]!.address, lab.hosts[1]!.address).replace(/,mta01 /, ',x ')).join('\n');
    const file = `${lab.labDir}/wrong_known_hosts`;
    execFileSync('sh', ['-c', 'cat > "$1"', 'sh', file], { input: other + '\n' });
    const r = spawnSync('ssh', ['-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${file}`, '-o', 'BatchMode=yes', '-i', lab.keyFile, `root@${lab.hosts[1]!.address}`, 'true'], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
  });

  it('keeps sysctls per host: ip_local_port_range on host 1 changes neither host 2 nor the machine', async () => {
    const before2 = (await runOk('mta02', 'sysctl -n net.ipv4.ip_local_port_range')).trim();
    const beforeRoot = rootSysctl('net.ipv4.ip_local_port_range');
    const r = ssh(lab.hosts[0]!.address, 'sysctl -w net.ipv4.ip_local_port_range="20000 20100" >/dev/null && sysctl -n net.ipv4.ip_local_port_range');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split(/\s+/)).toEqual(['20000', '20100']);
    expect((await runOk('mta02', 'sysctl -n net.ipv4.ip_local_port_range')).trim()).toBe(before2);
    expect(rootSysctl('net.ipv4.ip_local_port_range')).toBe(beforeRoot);
  });

  it('keeps /etc/pmta, /etc/sysctl.d and the spool private to each host', async () => {
    const marker = `marker-${process.pid}-${Date.now()}`;
    await runOk('mta01', `mkdir -p /etc/pmta && echo ${marker} > /etc/pmta/config && echo "# ${marker}" > /etc/sysctl.d/90-lab-test.conf && echo ${marker} > /var/spool/pmta/lab-test.msg`);
    expect(await runOk('mta01', 'cat /etc/pmta/config /etc/sysctl.d/90-lab-test.conf /var/spool/pmta/lab-test.msg')).toContain(marker);
    const other = await lab.run('mta02', 'cat /etc/pmta/config /etc/sysctl.d/90-lab-test.conf /var/spool/pmta/lab-test.msg 2>/dev/null');
    expect(other.stdout).not.toContain(marker);
    expect(existsSync('/etc/sysctl.d/90-lab-test.conf')).toBe(false);
    expect(existsSync('/var/spool/pmta/lab-test.msg')).toBe(false);
    if (existsSync('/etc/pmta/config')) expect(readFileSync('/etc/pmta/config', 'utf8')).not.toContain(marker);
  });

  it('allows atomic rename over /etc/sysctl.conf, sed -i on /etc/fstab and mount -a, privately', async () => {
    const rootConf = readFileSync('/etc/sysctl.conf', 'utf8');
    const rootFstab = readFileSync('/etc/fstab', 'utf8');
    const out = ssh(lab.hosts[0]!.address, [
      'set -e',
      'printf "net.core.somaxconn = 4096\\n" > /etc/sysctl.conf.tmp',
      'mv /etc/sysctl.conf.tmp /etc/sysctl.conf',
      'echo "# lab-test-line" >> /etc/fstab',
      'sed -i "s/# lab-test-line/# lab-test-edited/" /etc/fstab',
      'mount -a',
      'cat /etc/sysctl.conf /etc/fstab',
    ].join('\n'));
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toContain('net.core.somaxconn = 4096');
    expect(out.stdout).toContain('# lab-test-edited');
    expect(readFileSync('/etc/sysctl.conf', 'utf8')).toBe(rootConf);
    expect(readFileSync('/etc/fstab', 'utf8')).toBe(rootFstab);
    expect(await runOk('mta02', 'cat /etc/fstab')).not.toContain('lab-test');
  });

  it('gives each host an unformatted, non-rotational nvme loop device; host 1 also a used XFS disk', async () => {
    for (const h of lab.hosts) {
      expect(h.nvmeDevice).toMatch(/^\/dev\/loop\d+$/);
      expect(readFileSync(`/sys/block/${basename(h.nvmeDevice)}/queue/rotational`, 'utf8').trim()).toBe('0');
      const blkid = spawnSync('blkid', ['-p', h.nvmeDevice], { encoding: 'utf8' });
      expect(blkid.status, blkid.stdout).toBe(2); // 2: nothing found on the device
      expect((await runOk(h.name, `lsblk -dn -o ROTA ${h.nvmeDevice}`)).trim()).toBe('0');
    }
    const used = lab.hosts[0]!.usedDevice as string;
    expect(used).toMatch(/^\/dev\/loop\d+$/);
    expect(execFileSync('blkid', ['-p', '-o', 'value', '-s', 'TYPE', used], { encoding: 'utf8' }).trim()).toBe('xfs');
    expect(lab.hosts[1]!.usedDevice).toBeUndefined();
  });

  it('mounts a new disk inside one host only', async () => {
    const h = lab.hosts[2]!;
    await runOk(h.name, `mkfs.xfs -q ${h.nvmeDevice} && mount ${h.nvmeDevice} /mnt/nvme && touch /mnt/nvme/x`);
    expect(await runOk(h.name, 'findmnt -n -o SOURCE /mnt/nvme')).toContain(h.nvmeDevice);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(' /mnt/nvme ');
    const other = await lab.run('mta01', 'findmnt -n /mnt/nvme');
    expect(other.exitCode).not.toBe(0);
  });

  it('writes an inventory that names address, key, known_hosts and devices', () => {
    const inv = parse(readFileSync(lab.inventoryFile, 'utf8'));
    const hosts = inv.all.children.mta.hosts;
    expect(Object.keys(hosts)).toEqual(['mta01', 'mta02', 'mta03']);
    expect(hosts.mta01).toMatchObject({
      ansible_host: lab.hosts[0]!.address,
      ansible_user: 'root',
      ansible_ssh_private_key_file: lab.keyFile,
      mtafleet_known_hosts: lab.knownHostsFile,
      lab_nvme_device: lab.hosts[0]!.nvmeDevice,
      lab_used_device: lab.hosts[0]!.usedDevice,
      lab_scenario: 'healthy',
    });
    expect(Object.keys(inv.all.children.scenario_healthy.hosts)).toEqual(['mta01', 'mta02', 'mta03']);
  });

  it('reports the lab through `mtafleet lab status --format json` and `lab inventory`', async () => {
    const status = await cliOut(['lab', 'status', '--name', NAME, '--format', 'json']);
    expect(status.code).toBe(0);
    const json = JSON.parse(status.out);
    expect(json.name).toBe(NAME);
    expect(json.hosts).toHaveLength(3);
    for (const [i, h] of json.hosts.entries()) {
      expect(h).toMatchObject({ name: lab.hosts[i]!.name, address: lab.hosts[i]!.address, netns: `mtaf-${NAME}-0${i + 1}`, scenario: 'healthy', nvmeDevice: lab.hosts[i]!.nvmeDevice, spoolDevice: null });
      expect(h.sshdPid).toBe(lab.hosts[i]!.sshdPid);
      expect(h.pmtaRunning).toBe(true);
      expect(h.sshdRunning).toBe(true);
    }
    const inv = await cliOut(['lab', 'inventory', '--name', NAME]);
    expect(inv.code).toBe(0);
    expect(inv.out).toBe(readFileSync(lab.inventoryFile, 'utf8'));
  });

  it('serves mtafleet commands from its inventory alone (`mtafleet exec -i inventory.yaml`)', async () => {
    const r = await cliOut(['exec', '-i', lab.inventoryFile, '--format', 'json', '--', 'hostname']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.out) as Array<{ name: string; exitCode: number; stdout: string }>;
    expect(rows.map((x) => [x.name, x.exitCode, x.stdout.trim()])).toEqual(lab.hosts.map((h) => [h.name, 0, h.name]));
  });

  it('runs the simulated pmta on every host (`pmta show status` over ssh)', () => {
    for (const h of lab.hosts) {
      const r = ssh(h.address, 'pmta show status');
      expect(r.status, r.stderr).toBe(0);
    }
  });
});

describe('lab pmta start', () => {
  it('names the host and shows the end of pmta.log when pmta does not start', async () => {
    const h = lab.hosts[2]!;
    await runOk(h.name, 'systemctl stop pmta && echo "bogus-directive 1" >> /etc/pmta/config');
    const err = await startPmta(h.name, h.sshdPid, 5000).then(() => null, (e: Error) => e);
    expect(err?.message).toMatch(new RegExp(`^${h.name}: `));
    expect(err?.message).toMatch(/pmta\.log ends:[\s\S]*bogus-directive/);
  });
});

describe('lab down', () => {
  it('leaves no namespace, interface, loop device, mount or process behind, and can run twice', async () => {
    const loopFiles = recorded.hosts.flatMap((h) => h.loops.map((l) => l.file));
    expect(loopFiles.length).toBeGreaterThanOrEqual(4);
    const pids = recorded.hosts.map((h) => h.sshdPid as number);
    const netnsPids = recorded.hosts.flatMap((h) => execFileSync('ip', ['netns', 'pids', h.netns], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number));
    expect(netnsPids.length).toBeGreaterThanOrEqual(3);

    const first = await labDown({ name: NAME });
    expect(first.problems).toEqual([]);
    expect(first.found).toBe(true);

    const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
    for (const h of recorded.hosts) {
      expect(netns).not.toContain(h.netns);
      expect(links).not.toContain(`${h.veth}@`);
    }
    expect(links).not.toContain(recorded.bridge);
    const losetup = execFileSync('losetup', ['-a'], { encoding: 'utf8' });
    for (const f of loopFiles) expect(losetup).not.toContain(f);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(recorded.labDir);
    for (const pid of [...pids, ...netnsPids]) {
      const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
      expect(stat === '' || / [ZX] /.test(stat.slice(stat.lastIndexOf(')'))), `pid ${pid} still alive: ${stat}`).toBe(true);
    }
    expect(existsSync(recorded.labDir)).toBe(false);

    const second = await labDown({ name: NAME });
    expect(second).toMatchObject({ found: false, problems: [] });
  });
});
