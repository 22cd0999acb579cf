import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSshd, type Sshd } from '../../helpers/sshd.js';
import { connect } from '../../../src/transport/ssh.js';
import { argv, sh } from '../../../src/transport/quote.js';
import type { ConnectionSpec, HostConnection } from '../../../src/transport/types.js';
import { Secret } from '../../../src/util/secret.js';
import { knownHostsFor, specFor, tempDir } from './helpers.js';

const USER = 'mtaftest';
const SUDOERS = '/etc/sudoers.d/mtaf-tr-become';
const PASSWORD = `Pw'd $(x) ${Math.random().toString(36).slice(2)}`;

function removeUser(): void {
  rmSync(SUDOERS, { force: true });
  try {
    execFileSync('userdel', ['-r', USER], { stdio: 'ignore' });
  } catch {
    // not there
  }
}

describe('become (sudo) over a real sshd', () => {
  let sshd: Sshd | undefined;
  let dir = '';
  let kh = '';
  const open: HostConnection[] = [];

  async function as(over: Partial<ConnectionSpec>): Promise<HostConnection> {
    const c = await connect(specFor(sshd!, kh, { user: USER, ...over }));
    open.push(c);
    return c;
  }

  beforeAll(async () => {
    dir = tempDir('become');
    chmodSync(dir, 0o755);
    removeUser();
    execFileSync('useradd', ['-m', '-s', '/bin/sh', USER]);
    execFileSync('chpasswd', { input: `${USER}:${PASSWORD}\n` });
    // root without a password; "nobody" only with mtaftest's password.
    writeFileSync(SUDOERS, `${USER} ALL=(root) NOPASSWD: ALL\n${USER} ALL=(nobody) PASSWD: ALL\n`, { mode: 0o440 });
    execFileSync('visudo', ['-c', '-f', SUDOERS], { stdio: 'ignore' });
    sshd = await startSshd({ extraConfig: ['PasswordAuthentication yes'] });
    chmodSync(sshd.clientKeyPath, 0o644); // harmless in a test: lets this run as any user
    kh = knownHostsFor(dir, sshd);
  });

  afterAll(async () => {
    await Promise.all(open.map((c) => c.close()));
    await sshd?.stop();
    removeUser();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs as the login user without become, as root with it (sudo -n, no password)', async () => {
    const c = await as({ becomeUser: 'root' });
    expect((await c.exec(argv('id', '-un'))).stdout).toBe(`${USER}\n`);
    const r = await c.exec(sh`id -un; cat`, { become: true, stdin: 'in\n' });
    expect(r).toMatchObject({ stdout: 'root\nin\n', exitCode: 0 });
  });

  it('ansible_become on the spec makes become the default', async () => {
    const c = await as({ become: true });
    expect((await c.exec(argv('id', '-un'))).stdout).toBe('root\n');
    expect((await c.exec(argv('id', '-un'), { become: false })).stdout).toBe(`${USER}\n`);
  });

  it('reads and writes root-only files through become', async () => {
    const c = await as({});
    const target = join(dir, 'root-only');
    mkdirSync(target, { mode: 0o700 });
    const file = join(target, 'f.conf');
    await expect(c.writeFileAtomic(file, 'x')).rejects.toThrow(/cannot write/);
    await c.writeFileAtomic(file, 'secret stuff\n', { become: true, mode: 0o600 });
    expect(readFileSync(file, 'utf8')).toBe('secret stuff\n');
    expect(statSync(file).uid).toBe(0);
    await expect(c.readFile(file)).rejects.toThrow(/cannot read/);
    expect((await c.readFile(file, { become: true }))?.toString()).toBe('secret stuff\n');
  });

  it('sudo -n fails cleanly where a password is required and none is given', async () => {
    const c = await as({ becomeUser: 'nobody' });
    const r = await c.exec(argv('id', '-un'), { become: true });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/password is required/);
  });

  describe('with a become password', () => {
    it('answers the sudo prompt, then passes stdin to the command', async () => {
      const c = await as({ becomeUser: 'nobody', becomePassword: new Secret(PASSWORD) });
      const r = await c.exec(sh`id -un; cat`, { become: true, stdin: 'payload\n' });
      expect(r).toMatchObject({ stdout: 'nobody\npayload\n', exitCode: 0 });
      expect(r.stderr).not.toMatch(/mtafleet|password/i);
    });

    it('never puts the password in argv, output or errors', async () => {
      const c = await as({ becomeUser: 'nobody', becomePassword: new Secret(PASSWORD) });
      const r = await c.exec(sh`ps -eo args`, { become: true });
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toContain('sudo');
      const all = JSON.stringify(r);
      expect(all).not.toContain(PASSWORD);
      expect(all).not.toContain(PASSWORD.slice(-8));
    });

    it('does not leak the password into stdin when sudo does not ask (NOPASSWD rule)', async () => {
      const c = await as({ becomeUser: 'root', becomePassword: new Secret(PASSWORD) });
      const r = await c.exec(argv('cat'), { become: true, stdin: 'only this' });
      expect(r).toMatchObject({ stdout: 'only this', exitCode: 0 });
      // Twice: a cached sudo timestamp must not change that either.
      expect((await c.exec(argv('cat'), { become: true })).stdout).toBe('');
    });

    it('a wrong password fails without running the command and without echoing it', async () => {
      const wrong = `wrong-${Math.random().toString(36).slice(2)}`;
      const c = await as({ becomeUser: 'nobody', becomePassword: new Secret(wrong) });
      const r = await c.exec(sh`echo ran`, { become: true, timeoutMs: 15_000 });
      expect(r.exitCode).not.toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/incorrect password|Sorry/);
      expect(JSON.stringify(r)).not.toContain(wrong);
    });

    it('writes a file as the become user with the password', async () => {
      const c = await as({ becomeUser: 'nobody', becomePassword: new Secret(PASSWORD) });
      const open777 = join(dir, 'shared');
      mkdirSync(open777);
      chmodSync(open777, 0o777);
      await c.writeFileAtomic(join(open777, 'by-nobody'), 'n\n', { become: true });
      const st = statSync(join(open777, 'by-nobody'));
      expect(st.uid).toBe(Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' })));
      expect(readFileSync(join(open777, 'by-nobody'), 'utf8')).toBe('n\n');
    });
  });

  describe('login with a password (last resort after keys and agent)', () => {
    it('logs in with the password when no key works', async () => {
      const c = await as({ privateKeyFiles: [], password: new Secret(PASSWORD) });
      expect((await c.exec(argv('id', '-un'))).stdout).toBe(`${USER}\n`);
    });

    it('a wrong password is an auth error that does not contain it', async () => {
      const wrong = `nope-${Math.random().toString(36).slice(2)}`;
      const err = await connect(specFor(sshd!, kh, { user: USER, privateKeyFiles: [], password: new Secret(wrong) })).catch((e: unknown) => e);
      expect((err as { reason?: string }).reason).toBe('auth');
      expect((err as Error).message).toMatch(/tried password/);
      expect(JSON.stringify({ message: (err as Error).message, stack: (err as Error).stack })).not.toContain(wrong);
    });
  });
});
