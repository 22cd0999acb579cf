/**
 * Strict host key checking (DESIGN.md safety rules), end to end through the CLI:
 * - a MITM (same address, another host key) is refused with exit 4 and its fingerprint, by
 *   every host-talking command, also with --accept-new-host-keys; the impostor sees only the
 *   key exchange: no authentication attempt, no session (its ForceCommand would leave a marker);
 * - an unknown host is refused by default, and known_hosts is left unchanged.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { startOneHost, type OneHost } from './fixture.js';

let fx: OneHost;
let impostor: Sshd;
const marker = `/tmp/mtaf-rel-mitm-marker-${process.pid}-${Date.now()}`;

beforeAll(async () => {
  // The legitimate host: its key goes into known_hosts.
  fx = await startOneHost('mitm');
  // The impostor: same client key accepted, any session it ever starts leaves the marker.
  impostor = await startSshd({
    prefix: 'mtaf-rel-sshd-impostor-',
    clientKeyPath: fx.sshd.clientKeyPath,
    extraConfig: [`ForceCommand touch ${marker}`],
  });
}, 60_000);

afterAll(async () => {
  rmSync(marker, { force: true });
  await impostor?.stop();
  await fx?.cleanup();
});

function fingerprint(pub: string): string {
  const file = join(fx.dir, `fp-${Math.random().toString(36).slice(2)}.pub`);
  writeFileSync(file, pub + '\n');
  return execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', file], { encoding: 'utf8' }).split(/\s+/)[1];
}

/** An inventory whose h1 lives at the impostor's address while known_hosts holds the real key for it. */
function mitmInventory(): string {
  const knownHosts = fx.write('known_hosts_mitm', `[127.0.0.1]:${impostor.port} ${fx.sshd.hostKeyPub}\n`);
  return fx.inventory('inv-mitm.yaml', [`target: ${fx.dir}`], { port: impostor.port, knownHosts });
}

function commandsFor(inv: string, pb: string): string[][] {
  return [
    ['exec', '-i', inv, '--', 'true'],
    ['audit', '-i', inv, '--format', 'json'],
    ['run', pb, '-i', inv],
    ['run', pb, '-i', inv, '--check'],
    ['plan', pb, '-i', inv],
  ];
}

const PLAYBOOK = `- hosts: mta\n  tasks:\n    - name: t\n      file: { path: "{{ target }}/mitm-written.txt", content: "x" }\n`;

describe('host keys', () => {
  it('a changed host key (MITM) is refused with exit 4 and the fingerprint; the impostor sees only the key exchange', async () => {
    const inv = mitmInventory();
    const pb = fx.write('pb-mitm.yaml', PLAYBOOK);
    const impostorFp = fingerprint(impostor.hostKeyPub);
    for (const extra of [[], ['--accept-new-host-keys']]) {
      for (const args of commandsFor(inv, pb)) {
        const r = await fx.cli([...args, ...extra]);
        const out = r.stdout + r.stderr;
        expect(r.code, `${args.join(' ')} ${extra.join(' ')}: ${out}`).toBe(4);
        expect(out, args[0]).toContain(impostorFp);
        expect(out.toLowerCase(), args[0]).toMatch(/host key|changed|mismatch/);
      }
    }
    // Nothing past the key exchange reached the impostor.
    const log = impostor.log();
    expect(log).toMatch(/Connection from 127\.0\.0\.1/);
    expect(log).not.toMatch(/Accepted|Failed publickey|Postponed|session opened|Starting session|User child/i);
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(join(fx.dir, 'mitm-written.txt'))).toBe(false);
    // The known_hosts file still holds only the real key.
    expect(readFileSync(join(fx.dir, 'known_hosts_mitm'), 'utf8')).toBe(`[127.0.0.1]:${impostor.port} ${fx.sshd.hostKeyPub}\n`);
  }, 240_000);

  it('the impostor would have run a session had the key been trusted (the marker check can fail)', async () => {
    const knownHosts = fx.write('known_hosts_trusting', `[127.0.0.1]:${impostor.port} ${impostor.hostKeyPub}\n`);
    const inv = fx.inventory('inv-trusting.yaml', [`target: ${fx.dir}`], { port: impostor.port, knownHosts });
    await fx.cli(['exec', '-i', inv, '--', 'true']);
    expect(existsSync(marker)).toBe(true);
    rmSync(marker, { force: true });
  }, 60_000);

  it('an unknown host is refused by default (exit 4) by exec, audit, run, plan; known_hosts untouched', async () => {
    const emptyKnown = fx.write('known_hosts_empty', '');
    const inv = fx.inventory('inv-unknown.yaml', [`target: ${fx.dir}`], { knownHosts: emptyKnown });
    const pb = fx.write('pb-unknown.yaml', PLAYBOOK);
    for (const args of commandsFor(inv, pb)) {
      const r = await fx.cli(args);
      const out = r.stdout + r.stderr;
      expect(r.code, `${args.join(' ')}: ${out}`).toBe(4);
      expect(out, args[0]).toMatch(/host key is not known/);
      expect(out, args[0]).toContain(fingerprint(fx.sshd.hostKeyPub));
    }
    expect(readFileSync(emptyKnown, 'utf8')).toBe('');
    expect(existsSync(join(fx.dir, 'mitm-written.txt'))).toBe(false);
  }, 240_000);
});
