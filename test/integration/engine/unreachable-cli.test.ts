/**
 * Unreachable hosts through every command, against a real OpenSSH server (#14 item 4, #15):
 * a key the server does not authorise, a host key that differs from known_hosts, a closed port
 * and a server that never answers are `unreachable` (exit 4) for exec, audit, plan,
 * run --check, run, apply and rollback, and each names the host and the reason. A host that
 * was reached but failed keeps exit 2 (6 with an unreachable one).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startSshd, type Sshd } from '../../helpers/sshd.js';
import { buildOnce, runCli, type CliResult } from '../../helpers/cli.js';

let sshd: Sshd | undefined;
let silent: Server | undefined;
const sockets: Socket[] = [];
let dir = '';
let inventory = '';
let stateDir = '';
let authorizedAll = '';
let authorizedWithoutRevocable = '';
let env: NodeJS.ProcessEnv = {};

/** What each failing host's error must say (the reason, in words an operator acts on). */
const REASON: Record<string, RegExp> = {
  noauth: /noauth \(root@127\.0\.0\.1:\d+\): authentication failed \(tried key .*stranger_key\)/,
  badkey: /badkey \(root@127\.0\.0\.1:\d+\): HOST KEY CHANGED/,
  closed: /closed \(root@127\.0\.0\.1:\d+\): unreachable \(connection refused\)/,
  mute: /mute \(root@127\.0\.0\.1:\d+\): no SSH handshake within 10s/,
};

function keygen(path: string): string {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'mtaf-out', '-f', path], { stdio: 'ignore' });
  return readFileSync(`${path}.pub`, 'utf8').trim();
}

/** The state dir goes right after the command: exec's words after `--` must stay last. */
function cli(args: string[]): Promise<CliResult> {
  return runCli([args[0]!, '--state-dir', stateDir, ...args.slice(1)], env, '', 120_000);
}

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function hostDir(name: string): string {
  return join(dir, 'hosts', name);
}

const FILE_PLAYBOOK = `- name: write a marker
  hosts: all
  tasks:
    - name: marker file
      file: { path: "{{ target_dir }}/marker.conf", content: "v = {{ v | default(1) }}\\n" }
`;

/** Fails where the host has no `must-exist` file. */
const CHECK_PLAYBOOK = `- name: check a file
  hosts: all
  tasks:
    - name: must exist
      command: { cmd: "test -e {{ target_dir }}/must-exist" }
`;

interface RunJson {
  runId: string;
  hosts: Array<{ name: string; status: string; changes: number; error: string | null }>;
  summary: Record<string, number>;
}

/** name:status per host, in the order the run reports them. */
function statuses(j: RunJson): string[] {
  return j.hosts.map((h) => `${h.name}:${h.status}`);
}

function byName(j: RunJson, name: string): RunJson['hosts'][number] {
  const h = j.hosts.find((x) => x.name === name);
  if (!h) throw new Error(`no host ${name} in ${JSON.stringify(j.hosts)}`);
  return h;
}

beforeAll(async () => {
  buildOnce();
  dir = mkdtempSync(join(tmpdir(), 'mtaf-out-'));
  stateDir = join(dir, 'state');
  const revocable = join(dir, 'revocable_key');
  const revocablePub = keygen(revocable);
  const stranger = join(dir, 'stranger_key');
  keygen(stranger);
  // Another key posing as the server's host key: a changed host key for `badkey`.
  const impostorPub = keygen(join(dir, 'impostor_host_key')).split(/\s+/).slice(0, 2).join(' ');
  sshd = await startSshd({ prefix: 'mtaf-out-sshd-', authorizedKeys: [revocablePub] });
  const authorizedFile = join(sshd.dir, 'authorized_keys');
  authorizedAll = readFileSync(authorizedFile, 'utf8');
  authorizedWithoutRevocable = authorizedAll.split('\n').filter((l) => l.trim() !== revocablePub).join('\n');
  expect(authorizedWithoutRevocable).not.toEqual(authorizedAll);
  const goodKh = write('known_hosts', `${sshd.knownHostsLine}\n`);
  const badKh = write('known_hosts_bad', `[127.0.0.1]:${sshd.port} ${impostorPub}\n`);
  const closed = await freePort();
  // Accepts TCP and never speaks: the SSH handshake times out.
  silent = createServer((sock) => sockets.push(sock));
  await new Promise<void>((r) => silent!.listen(0, '127.0.0.1', () => r()));
  const mutePort = (silent.address() as { port: number }).port;
  const hosts: Array<[string, { port: number; key: string; kh: string }]> = [
    ['good', { port: sshd.port, key: sshd.clientKeyPath, kh: goodKh }],
    ['revocable', { port: sshd.port, key: revocable, kh: goodKh }],
    ['noauth', { port: sshd.port, key: stranger, kh: goodKh }],
    ['badkey', { port: sshd.port, key: sshd.clientKeyPath, kh: badKh }],
    ['closed', { port: closed, key: sshd.clientKeyPath, kh: goodKh }],
    ['mute', { port: mutePort, key: sshd.clientKeyPath, kh: goodKh }],
  ];
  const lines = ['all:', '  hosts:'];
  for (const [name, h] of hosts) {
    mkdirSync(hostDir(name), { recursive: true });
    lines.push(
      `    ${name}:`,
      '      ansible_host: 127.0.0.1',
      `      ansible_port: ${h.port}`,
      '      ansible_user: root',
      `      ansible_ssh_private_key_file: ${h.key}`,
      `      mtafleet_known_hosts: ${h.kh}`,
      `      mtafleet_lock_path: ${join(dir, `lock-${name}`)}`,
      `      target_dir: ${hostDir(name)}`,
    );
  }
  inventory = write('inventory.yaml', lines.join('\n') + '\n');
  // No ssh-agent: only the inventory's key files are tried.
  env = { ...process.env, HOME: dir, NO_COLOR: '1' };
  delete env.SSH_AUTH_SOCK;
}, 120_000);

afterAll(async () => {
  sockets.forEach((s) => s.destroy());
  if (silent) await new Promise((r) => silent!.close(r));
  await sshd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function revoke(): void {
  writeFileSync(join(sshd!.dir, 'authorized_keys'), authorizedWithoutRevocable);
}
function restore(): void {
  writeFileSync(join(sshd!.dir, 'authorized_keys'), authorizedAll);
}

describe.each(['noauth', 'badkey', 'closed'])('host %s: unreachable (exit 4) for every command', (host) => {
  it('exec: exit 4, the host shown UNREACHABLE with the reason (text and json)', async () => {
    const text = await cli(['exec', '-i', inventory, '--limit', host, '--', 'true']);
    expect(text.code, text.stderr).toBe(4);
    expect(text.stdout).toMatch(new RegExp(`^${host} \\| UNREACHABLE! => `));
    expect(text.stdout).toMatch(REASON[host]!);
    const json = await cli(['exec', '-i', inventory, '--limit', host, '--format', 'json', '--', 'true']);
    expect(json.code, json.stderr).toBe(4);
    const hosts = JSON.parse(json.stdout) as Array<{ name: string; exitCode: number | null; error: string }>;
    expect(hosts.map((h) => [h.name, h.exitCode])).toEqual([[host, null]]);
    expect(hosts[0]!.error).toMatch(REASON[host]!);
  }, 120_000);

  it('audit: exit 4, the host not reachable, with the reason', async () => {
    const r = await cli(['audit', '-i', inventory, '--limit', host, '--format', 'json']);
    expect(r.code, r.stderr).toBe(4);
    const report = JSON.parse(r.stdout) as { hosts: Array<{ name: string; reachable: boolean; error: string }>; summary: { hosts: number; reachable: number } };
    expect(report.hosts.map((h) => [h.name, h.reachable])).toEqual([[host, false]]);
    expect(report.hosts[0]!.error).toMatch(REASON[host]!);
    expect(report.summary).toMatchObject({ hosts: 1, reachable: 0 });
  }, 120_000);

  it('plan: exit 4, the host listed UNREACHABLE with the reason', async () => {
    const pb = write('pb-file.yaml', FILE_PLAYBOOK);
    const r = await cli(['plan', pb, '-i', inventory, '--limit', host]);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stdout).toMatch(new RegExp(`  ${host}  UNREACHABLE: `));
    expect(r.stdout).toMatch(REASON[host]!);
  }, 120_000);

  it('run --check and run: exit 4, status unreachable with the reason', async () => {
    const pb = write('pb-file.yaml', FILE_PLAYBOOK);
    for (const check of [['--check'], []]) {
      const r = await cli(['run', pb, '-i', inventory, '--limit', host, '--format', 'json', ...check]);
      expect(r.code, `run ${check.join(' ')}: ${r.stderr}`).toBe(4);
      const j = JSON.parse(r.stdout) as RunJson;
      expect(statuses(j)).toEqual([`${host}:unreachable`]);
      expect(j.hosts[0]!.error).toMatch(REASON[host]!);
      expect(j.summary).toEqual({ ok: 0, changed: 0, failed: 0, unreachable: 1, refused: 0 });
    }
    const text = await cli(['run', pb, '-i', inventory, '--limit', host, '--check']);
    expect(text.code, text.stderr).toBe(4);
    expect(text.stdout).toMatch(new RegExp(`^${host} +unreachable +0 change\\(s\\)  .*`, 'm'));
  }, 120_000);
});

describe('a connect timeout and every kind at once', () => {
  it('exec and run --check over all four unreachable kinds: exit 4, each named with its reason', async () => {
    const limit = 'noauth:badkey:closed:mute';
    const exec = await cli(['exec', '-i', inventory, '--limit', limit, '--format', 'json', '--', 'true']);
    expect(exec.code, exec.stderr).toBe(4);
    const hosts = JSON.parse(exec.stdout) as Array<{ name: string; error: string }>;
    expect(hosts.map((h) => h.name)).toEqual(['noauth', 'badkey', 'closed', 'mute']);
    for (const h of hosts) expect(h.error).toMatch(REASON[h.name]!);
    const pb = write('pb-file.yaml', FILE_PLAYBOOK);
    const run = await cli(['run', pb, '-i', inventory, '--limit', limit, '--check', '--format', 'json']);
    expect(run.code, run.stderr).toBe(4);
    const j = JSON.parse(run.stdout) as RunJson;
    expect(statuses(j)).toEqual(['noauth:unreachable', 'badkey:unreachable', 'closed:unreachable', 'mute:unreachable']);
    for (const h of j.hosts) expect(h.error).toMatch(REASON[h.name]!);
  }, 120_000);
});

describe('reached hosts that fail keep exit 2', () => {
  it('exec: a failing command on reachable hosts is 2; with an unreachable host 6', async () => {
    const failed = await cli(['exec', '-i', inventory, '--limit', 'good:revocable', '--', 'exit 3']);
    expect(failed.code, failed.stderr).toBe(2);
    expect(failed.stdout).toContain('good | FAILED | rc=3 >>');
    const both = await cli(['exec', '-i', inventory, '--limit', 'good:noauth', '--', 'exit 3']);
    expect(both.code, both.stderr).toBe(6);
    expect(both.stdout).toContain('good | FAILED | rc=3 >>');
    expect(both.stdout).toMatch(REASON.noauth!);
  }, 120_000);

  it('run: one good host and one whose command fails is 2; adding an unreachable host makes 6', async () => {
    writeFileSync(join(hostDir('good'), 'must-exist'), '');
    const pb = write('pb-check.yaml', CHECK_PLAYBOOK);
    const mixed = await cli(['run', pb, '-i', inventory, '--limit', 'good:revocable', '--format', 'json']);
    expect(mixed.code, mixed.stderr).toBe(2);
    const j = JSON.parse(mixed.stdout) as RunJson;
    expect(statuses(j)).toEqual(['good:changed', 'revocable:failed']);
    const withUnreachable = await cli(['run', pb, '-i', inventory, '--limit', 'good:revocable:badkey', '--format', 'json']);
    expect(withUnreachable.code, withUnreachable.stderr).toBe(6);
    expect(statuses(JSON.parse(withUnreachable.stdout) as RunJson)).toEqual(['good:changed', 'revocable:failed', 'badkey:unreachable']);
  }, 120_000);
});

describe('apply and rollback', () => {
  it('apply: a host unreachable at plan time stays unreachable (4), the reachable one is applied', async () => {
    const pb = write('pb-file.yaml', FILE_PLAYBOOK);
    const planFile = join(dir, 'noauth.plan');
    const plan = await cli(['plan', pb, '-i', inventory, '--limit', 'good:noauth', '--out', planFile, '-e', 'v=2']);
    expect(plan.code, plan.stderr).toBe(4);
    const r = await cli(['apply', planFile, '--yes', '--format', 'json']);
    expect(r.code, r.stderr).toBe(4);
    const j = JSON.parse(r.stdout) as RunJson;
    // Hosts with no plan are reported first.
    expect(statuses(j)).toEqual(['noauth:unreachable', 'good:changed']);
    expect(byName(j, 'noauth').error).toMatch(REASON.noauth!);
    expect(readFileSync(join(hostDir('good'), 'marker.conf'), 'utf8')).toBe('v = 2\n');
  }, 120_000);

  it('apply: a host whose key is refused after the plan was made is unreachable (4), not failed', async () => {
    const pb = write('pb-file.yaml', FILE_PLAYBOOK);
    const planFile = join(dir, 'revocable.plan');
    const plan = await cli(['plan', pb, '-i', inventory, '--limit', 'good:revocable', '--out', planFile, '-e', 'v=3']);
    expect(plan.code, plan.stderr).toBe(0);
    revoke();
    try {
      const r = await cli(['apply', planFile, '--yes', '--format', 'json']);
      expect(r.code, r.stderr).toBe(4);
      const j = JSON.parse(r.stdout) as RunJson;
      expect(statuses(j)).toEqual(['good:changed', 'revocable:unreachable']);
      expect(byName(j, 'revocable').error).toMatch(/revocable \(root@127\.0\.0\.1:\d+\): authentication failed \(tried key .*revocable_key\)/);
    } finally {
      restore();
    }
  }, 120_000);

  it('rollback: a host that refuses the key is unreachable (4); once it accepts it again, rolled back (0)', async () => {
    const pb = write('pb-file.yaml', FILE_PLAYBOOK);
    const run = await cli(['run', pb, '-i', inventory, '--limit', 'good:revocable', '--format', 'json', '-e', 'v=4']);
    expect(run.code, run.stderr).toBe(0);
    const { runId } = JSON.parse(run.stdout) as RunJson;
    expect(readFileSync(join(hostDir('revocable'), 'marker.conf'), 'utf8')).toBe('v = 4\n');
    revoke();
    try {
      const r = await cli(['rollback', runId, '--format', 'json']);
      expect(r.code, r.stderr).toBe(4);
      const j = JSON.parse(r.stdout) as RunJson;
      // Hosts come in the order of the run's journal, which the hosts wrote concurrently.
      expect(statuses(j).sort()).toEqual(['good:changed', 'revocable:unreachable']);
      expect(byName(j, 'revocable').error).toMatch(/revocable \(root@127\.0\.0\.1:\d+\): authentication failed/);
    } finally {
      restore();
    }
    const again = await cli(['rollback', runId, '--format', 'json']);
    expect(again.code, again.stderr).toBe(0);
    expect(statuses(JSON.parse(again.stdout) as RunJson)).toEqual(['revocable:changed']);
  }, 120_000);
});
