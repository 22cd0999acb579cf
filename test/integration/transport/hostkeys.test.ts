import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type Socket } from 'node:net';
import { freePort, startSshd, type Sshd } from '../../helpers/sshd.js';
import { connect } from '../../../src/transport/ssh.js';
import { argv } from '../../../src/transport/quote.js';
import { ConnectError } from '../../../src/util/errors.js';
import { knownHostsFor, specFor, tempDir } from './helpers.js';

function sshKeygenFingerprint(pubFile: string): string {
  return execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', pubFile], { encoding: 'utf8' }).split(' ')[1]!;
}

async function refusal(promise: Promise<unknown>): Promise<ConnectError> {
  const err = await promise.then(
    () => new Error('connected, but a refusal was expected'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConnectError);
  return err as ConnectError;
}

describe('host key verification against a real sshd', () => {
  let sshd: Sshd | undefined;
  let dir = '';
  let fp = '';

  beforeAll(async () => {
    dir = tempDir('hostkeys');
    // Two host keys: RSA listed first, ed25519 second.
    execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', join(dir, 'rsa_host_key')]);
    sshd = await startSshd({ extraConfig: [`HostKey ${join(dir, 'rsa_host_key')}`] });
    fp = sshKeygenFingerprint(join(sshd.dir, 'host_key.pub'));
  });

  afterAll(async () => {
    await sshd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('connects when known_hosts has the key', async () => {
    const conn = await connect(specFor(sshd!, knownHostsFor(dir, sshd!)));
    expect((await conn.exec(argv('echo', 'hi'))).stdout).toBe('hi\n');
    await conn.close();
  });

  it('refuses an unknown host and shows the SHA256 fingerprint and host:port', async () => {
    const file = join(dir, 'empty_known_hosts');
    writeFileSync(file, '');
    const err = await refusal(connect(specFor(sshd!, file, { name: 'mta-new' })));
    expect(err.reason).toBe('host-key-unknown');
    expect(err.host).toBe('mta-new');
    expect(err.message).toContain(`127.0.0.1:${sshd!.port}`);
    expect(err.message).toContain(fp);
    expect(readFileSync(file, 'utf8')).toBe('');
  });

  it('accepts and records a new key with acceptNewHostKeys, then trusts it', async () => {
    const file = join(dir, 'accept_known_hosts');
    const first = await connect(specFor(sshd!, file, { acceptNewHostKeys: true }));
    await first.close();
    expect(readFileSync(file, 'utf8')).toBe(`${sshd!.knownHostsLine}\n`);
    const again = await connect(specFor(sshd!, file));
    await again.close();
    expect(readFileSync(file, 'utf8')).toBe(`${sshd!.knownHostsLine}\n`);
  });

  it('parallel first connections with acceptNewHostKeys record the key once', async () => {
    const file = join(dir, 'parallel_known_hosts');
    const conns = await Promise.all(Array.from({ length: 6 }, () => connect(specFor(sshd!, file, { acceptNewHostKeys: true }))));
    await Promise.all(conns.map((c) => c.close()));
    expect(readFileSync(file, 'utf8')).toBe(`${sshd!.knownHostsLine}\n`);
  });

  it('refuses a changed key, even with acceptNewHostKeys, and leaves the file alone', async () => {
    const file = join(dir, 'changed_known_hosts');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'impostor')]);
    const impostor = readFileSync(join(dir, 'impostor.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
    const content = `# header\n[127.0.0.1]:${sshd!.port} ${impostor}\n`;
    writeFileSync(file, content);
    for (const acceptNewHostKeys of [false, true]) {
      const err = await refusal(connect(specFor(sshd!, file, { acceptNewHostKeys })));
      expect(err.reason).toBe('host-key-changed');
      expect(err.message).toContain(fp);
      expect(err.message).toContain(`${file} line 2`);
    }
    expect(readFileSync(file, 'utf8')).toBe(content);
  });

  it('refuses a key marked @revoked', async () => {
    const file = join(dir, 'revoked_known_hosts');
    writeFileSync(file, `${sshd!.knownHostsLine}\n@revoked * ${sshd!.hostKeyPub}\n`);
    const err = await refusal(connect(specFor(sshd!, file)));
    expect(err.reason).toBe('host-key-changed');
    expect(err.message).toMatch(/@revoked/);
  });

  it('verifies hashed entries written by ssh-keygen -H', async () => {
    const file = knownHostsFor(dir, sshd!);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    expect(readFileSync(file, 'utf8')).toMatch(/^\|1\|/);
    const conn = await connect(specFor(sshd!, file));
    await conn.close();
  });

  it('asks the server for a key type it has recorded (only the RSA key is known)', async () => {
    const file = join(dir, 'rsa_known_hosts');
    const rsaPub = readFileSync(join(dir, 'rsa_host_key.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
    writeFileSync(file, `[127.0.0.1]:${sshd!.port} ${rsaPub}\n`);
    const conn = await connect(specFor(sshd!, file));
    await conn.close();
  });

  it('reports failed authentication as auth, naming what was tried', async () => {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'stranger')]);
    const err = await refusal(
      connect(specFor(sshd!, knownHostsFor(dir, sshd!), { privateKeyFiles: [join(dir, 'stranger')] })),
    );
    expect(err.reason).toBe('auth');
    expect(err.message).toContain(`root@127.0.0.1:${sshd!.port}`);
    expect(err.message).toContain(join(dir, 'stranger'));
  });

  it('uses an encrypted key with its passphrase and names a missing passphrase', async () => {
    const { Secret } = await import('../../../src/util/secret.js');
    const key = join(dir, 'locked');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'open sesame', '-f', key]);
    writeFileSync(join(sshd!.dir, 'authorized_keys'), readFileSync(`${key}.pub`), { flag: 'a' });
    const kh = knownHostsFor(dir, sshd!);
    const conn = await connect(specFor(sshd!, kh, { privateKeyFiles: [key], passphrase: new Secret('open sesame') }));
    await conn.close();
    const err = await refusal(connect(specFor(sshd!, kh, { privateKeyFiles: [key] })));
    expect(err.reason).toBe('auth');
    expect(err.message).toMatch(/passphrase/);
  });

  it('reports a closed port as unreachable with host:port', async () => {
    const port = await freePort();
    const err = await refusal(connect({ ...specFor(sshd!, knownHostsFor(dir, sshd!)), port }));
    expect(err.reason).toBe('unreachable');
    expect(err.message).toContain(`127.0.0.1:${port}`);
  });

  it('reports a server that never completes the handshake as a timeout', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((sock) => sockets.push(sock));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as { port: number }).port;
    try {
      const started = Date.now();
      const err = await refusal(connect({ ...specFor(sshd!, knownHostsFor(dir, sshd!)), port, connectTimeoutMs: 600 }));
      expect(err.reason).toBe('timeout');
      expect(err.message).toContain(`127.0.0.1:${port}`);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      sockets.forEach((s) => s.destroy());
      await new Promise((r) => silent.close(r));
    }
  });

  it('authenticates through ssh-agent (SSH_AUTH_SOCK) when no key file is given', async () => {
    const sock = join(dir, 'agent.sock');
    const agent = execFileSync('ssh-agent', ['-s', '-a', sock], { encoding: 'utf8' });
    const pid = Number(/SSH_AGENT_PID=(\d+)/.exec(agent)![1]);
    const saved = process.env.SSH_AUTH_SOCK;
    try {
      execFileSync('ssh-add', ['-q', sshd!.clientKeyPath], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
      process.env.SSH_AUTH_SOCK = sock;
      const conn = await connect(specFor(sshd!, knownHostsFor(dir, sshd!), { privateKeyFiles: [] }));
      expect((await conn.exec(argv('echo', 'agent'))).stdout).toBe('agent\n');
      await conn.close();
    } finally {
      if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
      else process.env.SSH_AUTH_SOCK = saved;
      process.kill(pid, 'SIGTERM');
    }
  });
});
