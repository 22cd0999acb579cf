import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tcpConnect } from 'node:net';
import { startSshd, type Sshd } from '../../helpers/sshd.js';
import { connect } from '../../../src/transport/ssh.js';
import { argv } from '../../../src/transport/quote.js';
import { ConnectError } from '../../../src/util/errors.js';
import { specFor, tempDir } from './helpers.js';

// The target sshd listens only on the loopback of a network namespace; the jump sshd runs in
// that namespace too and is reachable from here over a veth pair. So the target can only be
// reached through the jump host.
const NS = 'mtaf-tr-jump';
const HOST_IF = 'mtaf-tr-h';
const NS_IF = 'mtaf-tr-n';
const HOST_ADDR = '10.213.207.1';
const JUMP_ADDR = '10.213.207.2';

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'ignore' });
}
function cleanupNetwork(): void {
  for (const args of [['link', 'del', HOST_IF], ['netns', 'del', NS]]) {
    try {
      ip(...args);
    } catch {
      // already gone
    }
  }
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ host, port, timeout: 1_000 });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
    s.once('timeout', () => (s.destroy(), resolve(false)));
  });
}

describe('jump host (ProxyJump) against real sshds', () => {
  let jump: Sshd | undefined;
  let target: Sshd | undefined;
  let dir = '';

  beforeAll(async () => {
    dir = tempDir('jump');
    cleanupNetwork();
    ip('netns', 'add', NS);
    ip('link', 'add', HOST_IF, 'type', 'veth', 'peer', 'name', NS_IF);
    ip('link', 'set', NS_IF, 'netns', NS);
    ip('addr', 'add', `${HOST_ADDR}/30`, 'dev', HOST_IF);
    ip('link', 'set', HOST_IF, 'up');
    ip('netns', 'exec', NS, 'ip', 'addr', 'add', `${JUMP_ADDR}/30`, 'dev', NS_IF);
    ip('netns', 'exec', NS, 'ip', 'link', 'set', NS_IF, 'up');
    ip('netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up');
    jump = await startSshd({ netns: NS, listenAddress: JUMP_ADDR, prefix: 'mtaf-tr-jumpd-' });
    target = await startSshd({ netns: NS, listenAddress: '127.0.0.1', prefix: 'mtaf-tr-target-', clientKeyPath: jump.clientKeyPath });
  });

  afterAll(async () => {
    await target?.stop();
    await jump?.stop();
    cleanupNetwork();
    rmSync(dir, { recursive: true, force: true });
  });

  function knownHosts(...lines: string[]): string {
    const file = join(dir, `kh-${Math.random().toString(36).slice(2)}`);
    writeFileSync(file, lines.map((l) => `${l}\n`).join(''));
    return file;
  }

  it('the target is not reachable directly', async () => {
    expect(await canConnect('127.0.0.1', target!.port)).toBe(false);
    expect(await canConnect(JUMP_ADDR, jump!.port)).toBe(true);
  });

  it('reaches the target through the jump host, verifying both host keys', async () => {
    const kh = knownHosts(jump!.knownHostsLine, target!.knownHostsLine);
    const spec = specFor(target!, kh, { name: 'mta-behind', jump: specFor(jump!, kh, { name: 'bastion' }) });
    const conn = await connect(spec);
    // Inside the namespace, the target's sshd sees the jump's forwarded connection.
    const r = await conn.exec(argv('sh', '-c', 'echo "$SSH_CONNECTION"'));
    expect(r.stdout).toContain(` 127.0.0.1 ${target!.port}`);
    await conn.close();
  });

  it('refuses when the jump host key is unknown, naming the jump host and fingerprint', async () => {
    const kh = knownHosts(target!.knownHostsLine);
    const spec = specFor(target!, kh, { name: 'mta-behind', jump: specFor(jump!, kh, { name: 'bastion' }) });
    const err = (await connect(spec).catch((e: unknown) => e)) as ConnectError;
    expect(err).toBeInstanceOf(ConnectError);
    expect(err.reason).toBe('jump');
    expect(err.message).toMatch(/bastion .*host key is not known .*SHA256:/);
  });

  it('refuses when the target host key behind the jump is unknown', async () => {
    const kh = knownHosts(jump!.knownHostsLine);
    const spec = specFor(target!, kh, { name: 'mta-behind', jump: specFor(jump!, kh, { name: 'bastion' }) });
    const err = (await connect(spec).catch((e: unknown) => e)) as ConnectError;
    expect(err.reason).toBe('host-key-unknown');
    expect(err.message).toContain(`mta-behind (root@127.0.0.1:${target!.port})`);
  });

  it('reports a target the jump cannot reach as a jump failure', async () => {
    const kh = knownHosts(jump!.knownHostsLine, target!.knownHostsLine);
    const spec = specFor(target!, kh, { name: 'mta-gone', port: 1, jump: specFor(jump!, kh, { name: 'bastion' }) });
    const err = (await connect(spec).catch((e: unknown) => e)) as ConnectError;
    expect(err.reason).toBe('jump');
    expect(err.message).toMatch(/bastion cannot reach 127\.0\.0\.1:1/);
  });
});
