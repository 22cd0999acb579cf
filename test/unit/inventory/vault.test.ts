/**
 * Ansible Vault (src/inventory/vault.ts): the crypto against vectors made by Debian's
 * ansible-vault 2.14 (copied below), envelope errors, password sources, and the loader API:
 * whole vaulted inventory / group_vars / host_vars files and inline `!vault` values become
 * Secret, are used decrypted (the connection spec), and never show in messages.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadInventory } from '../../../src/inventory/index.js';
import { loadPlaybook } from '../../../src/playbook/index.js';
import { encryptVault, parseVaultEnvelope, readPasswordFile, VaultError, VaultKeyring, vaultKeyringFrom } from '../../../src/inventory/vault.js';
import { connectErrorFor, describeTarget } from '../../../src/transport/connecterrors.js';
import { resolveConnectionSpec } from '../../../src/transport/spec.js';
import { Secret } from '../../../src/util/secret.js';

// `printf 'ansible_become_password: s3cr3t-\xc3\xa9\n' > f; ansible-vault encrypt --vault-password-file vp f`
// with vp holding "vector-pass" (ansible-core 2.14.18); and the same with --vault-id mta@vp.
const V11 = `$ANSIBLE_VAULT;1.1;AES256
32663161386532323135313937663632633135653266616664313665626163666161663537346338
6161633362663761353463666530363366303633306538610a663838396630343430343632646362
37376262636534376138386237303862646264623537623339353035326135353236383135303164
6465363136303036320a383561343836326434323864636463306661313438376562613134383632
33383136313664386230386164343937623638656534663638643863303335373535623263643838
3861643263386163333930326165333034653165386637633832
`;
const V12 = `$ANSIBLE_VAULT;1.2;AES256;mta
30613365373465666538393061336662323434373461303435383966393130323832316635613036
3333306230353939613138316463386231363332313264630a386364326135306263376533353766
33656664373066646561366466353039323635663464333738323365313061396437373931653136
6333383934616232350a386266383330666633336465383435373537303336663436336137376533
32623132373037396263616534356638343939303438643439626239323135396336626461343931
6566633336613434366635646431346365623330386461363330
`;
const PLAIN = 'ansible_become_password: s3cr3t-é\n';
const ring = (...pw: Array<[string, string]>) => new VaultKeyring(pw.map(([label, p]) => ({ label, password: new Secret(p), source: 'test' })));

describe('vault crypto', () => {
  it('decrypts ansible-vault 1.1 and 1.2 vectors', () => {
    expect(ring(['default', 'vector-pass']).decrypt(V11).toString('utf8')).toBe(PLAIN);
    expect(ring(['default', 'vector-pass']).decrypt(V12).toString('utf8')).toBe(PLAIN);
    expect(parseVaultEnvelope(V12)).toMatchObject({ version: '1.2', label: 'mta' });
    expect(parseVaultEnvelope(V11).label).toBeUndefined();
  });

  it('tries the password of the matching label first, then the others', () => {
    expect(ring(['other', 'nope'], ['mta', 'vector-pass']).decrypt(V12).toString('utf8')).toBe(PLAIN);
    expect(ring(['mta', 'nope'], ['other', 'vector-pass']).decrypt(V12).toString('utf8')).toBe(PLAIN);
  });

  it('a wrong password is an HMAC mismatch, and nothing is decrypted', () => {
    expect(() => ring(['default', 'wrong']).decrypt(V11)).toThrow('HMAC mismatch: wrong vault password?');
    expect(() => ring(['a', 'x'], ['b', 'y']).decrypt(V11)).toThrow(/any of the 2 vault passwords/);
  });

  it('no password: says so and how to give one', () => {
    expect(() => new VaultKeyring().decrypt(V12)).toThrow(/no vault password was given \(vault id "mta"\): use --vault-password-file FILE/);
  });

  it('encryptVault writes what ansible-vault reads back the same way (round trip, both formats)', () => {
    for (const label of [undefined, 'prod']) {
      const text = encryptVault('hello: world\n', 'pw', label);
      expect(text.split('\n')[0]).toBe(label ? '$ANSIBLE_VAULT;1.2;AES256;prod' : '$ANSIBLE_VAULT;1.1;AES256');
      expect(ring(['default', 'pw']).decrypt(text).toString()).toBe('hello: world\n');
    }
  });

  it('corrupted or truncated envelopes give plain-words errors, never the data', () => {
    const lines = V11.trimEnd().split('\n');
    // A flipped hex digit inside the ciphertext: the HMAC no longer matches.
    const last = lines[lines.length - 1];
    const flipped = [...lines.slice(0, -1), last.slice(0, -2) + (last.at(-2) === '3' ? '4' : '3') + last.at(-1)].join('\n');
    expect(() => ring(['default', 'vector-pass']).decrypt(flipped)).toThrow('HMAC mismatch');
    // One digit cut off: odd-length hex.
    expect(() => ring(['default', 'vector-pass']).decrypt(V11.trimEnd().slice(0, -1))).toThrow(/odd number of digits \(truncated or corrupted\?\)/);
    // Whole lines cut off: the inner salt/HMAC/ciphertext split is broken.
    expect(() => ring(['default', 'vector-pass']).decrypt(lines.slice(0, 2).join('\n'))).toThrow(VaultError);
    expect(() => ring(['default', 'vector-pass']).decrypt(lines[0])).toThrow(/header but no encrypted data/);
    expect(() => ring(['default', 'x']).decrypt(V11.replace('3266', 'zz66'))).toThrow(/other than 0-9 and a-f/);
    expect(() => ring(['default', 'x']).decrypt(V11.replace('1.1', '1.0'))).toThrow(/unsupported vault format version "1.0"/);
    expect(() => ring(['default', 'x']).decrypt(V11.replace('AES256', 'AES'))).toThrow(/unsupported vault cipher "AES"/);
    for (const bad of [flipped, V11.trimEnd().slice(0, -1)]) {
      try {
        ring(['default', 'vector-pass']).decrypt(bad);
      } catch (err) {
        expect((err as Error).message).not.toMatch(/[0-9a-f]{16}/);
      }
    }
  });
});

describe('vault password sources', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mtaf-vault-pw-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a password file: its text without surrounding whitespace', async () => {
    writeFileSync(join(dir, 'pw'), '  vector-pass \n\n');
    expect((await readPasswordFile(join(dir, 'pw'))).reveal()).toBe('vector-pass');
  });

  it('an empty or missing password file is refused, naming it', async () => {
    writeFileSync(join(dir, 'empty'), '\n');
    await expect(readPasswordFile(join(dir, 'empty'))).rejects.toThrow(`vault password file "${join(dir, 'empty')}" is empty`);
    await expect(readPasswordFile(join(dir, 'none'))).rejects.toThrow(/cannot read vault password file ".*none": no such file/);
  });

  it('an executable password file is run (no shell) and its stdout is the password', async () => {
    const script = join(dir, 'pw.sh');
    writeFileSync(script, '#!/bin/sh\nprintf "%s\\n" "vector-pass"\n');
    chmodSync(script, 0o700);
    expect((await readPasswordFile(script)).reveal()).toBe('vector-pass');
    // A name with shell characters is run as that file, not interpreted by a shell.
    const odd = join(dir, 'pw;touch hacked.sh');
    writeFileSync(odd, '#!/bin/sh\necho "$#:$1"\n');
    chmodSync(odd, 0o700);
    expect((await readPasswordFile(odd)).reveal()).toBe('0:');
  });

  it('a "-client" script gets --vault-id LABEL, as in Ansible', async () => {
    const script = join(dir, 'keyring-client.sh');
    writeFileSync(script, '#!/bin/sh\necho "$1=$2"\n');
    chmodSync(script, 0o700);
    expect((await readPasswordFile(script, 'prod')).reveal()).toBe('--vault-id=prod');
  });

  it('a failing or silent script is refused, naming it', async () => {
    const failing = join(dir, 'fail.sh');
    writeFileSync(failing, '#!/bin/sh\nexit 3\n');
    chmodSync(failing, 0o700);
    await expect(readPasswordFile(failing)).rejects.toThrow(`vault password script "${failing}" exited with status 3`);
    const silent = join(dir, 'silent.sh');
    writeFileSync(silent, '#!/bin/sh\nexit 0\n');
    chmodSync(silent, 0o700);
    await expect(readPasswordFile(silent)).rejects.toThrow('printed no password');
  });

  it('--vault-id, --vault-password-file, --ask-vault-pass and ANSIBLE_VAULT_PASSWORD_FILE', async () => {
    writeFileSync(join(dir, 'a'), 'A\n');
    writeFileSync(join(dir, 'b'), 'B\n');
    writeFileSync(join(dir, 'c'), 'C\n');
    const asked: string[] = [];
    const keyring = await vaultKeyringFrom(
      { vaultId: [`prod@${join(dir, 'a')}`, 'dev@prompt'], vaultPasswordFile: [join(dir, 'b')], askVaultPass: true },
      { env: { ANSIBLE_VAULT_PASSWORD_FILE: join(dir, 'c') }, prompt: async (q) => (asked.push(q), 'P') },
    );
    expect(asked).toEqual(['Vault password: ', 'Vault password (dev): ']);
    expect(keyring.passwords.map((p) => `${p.label}:${p.password.reveal()}:${p.source === 'prompt' ? 'prompt' : 'file'}`)).toEqual(['default:P:prompt', 'prod:A:file', 'dev:P:prompt', 'default:B:file', 'default:C:file']);
    expect((await vaultKeyringFrom({}, { env: {} })).empty).toBe(true);
    await expect(vaultKeyringFrom({ askVaultPass: true }, { env: {}, prompt: async () => '' })).rejects.toThrow('empty vault password');
  });
});

describe('loading vaulted inventories', () => {
  let dir: string;
  const PW = 'loader-pass';
  const keyring = () => ring(['default', PW]);
  const inline = (value: string, indent: number, label?: string) =>
    `!vault |\n${encryptVault(value, PW, label)
      .trimEnd()
      .split('\n')
      .map((l) => ' '.repeat(indent) + l)
      .join('\n')}`;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mtaf-vault-inv-'));
    // A whole vaulted inventory with a connection variable.
    writeFileSync(join(dir, 'whole.yml'), encryptVault('all:\n  children:\n    mta:\n      hosts:\n        mta01: { ansible_host: 192.0.2.7, ansible_port: 2222, ansible_become: no, mtafleet_lock_path: /run/mta.lock }\n', PW));
    // Inline values, group_vars file, group_vars/NAME/ directory file and host_vars file vaulted.
    mkdirSync(join(dir, 'vars', 'group_vars', 'mta'), { recursive: true });
    mkdirSync(join(dir, 'vars', 'host_vars'), { recursive: true });
    writeFileSync(
      join(dir, 'vars', 'hosts.yml'),
      `all:\n  children:\n    mta:\n      hosts:\n        mta01:\n          ansible_host: ${inline('198.51.100.9', 12)}\n          plain: visible\n          smtp:\n            relay_key: ${inline('nested-secret', 14)}\n`,
    );
    writeFileSync(join(dir, 'vars', 'group_vars', 'all.yml'), encryptVault('relay_name: relay.example.net\n', PW, 'prod'));
    writeFileSync(join(dir, 'vars', 'group_vars', 'mta', 'vault.yml'), encryptVault('ansible_become_password: dir-secret\n', PW));
    writeFileSync(join(dir, 'vars', 'host_vars', 'mta01.yml'), encryptVault('ansible_user: deploy\n', PW));
    // A vaulted known variable with a bad value: the message must not show it.
    writeFileSync(join(dir, 'badport.yml'), `all:\n  hosts:\n    h1:\n      ansible_port: ${inline('not-a-port', 8)}\n`);
    // Inline vault with a wrong password, and one corrupted, on known lines.
    writeFileSync(
      join(dir, 'mixed.yml'),
      `all:\n  hosts:\n    h1:\n      ok: 1\n      wrong: ${encryptVault('x', 'other').trimEnd().split('\n').map((l, i) => (i === 0 ? `!vault |\n        ${l}` : `        ${l}`)).join('\n')}\n      broken: !vault |\n        $ANSIBLE_VAULT;1.1;AES256\n        6162z\n`,
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a whole vaulted inventory: hosts and groups as usual, variables Secret, used decrypted', async () => {
    const inv = await loadInventory(join(dir, 'whole.yml'), { vault: keyring() });
    const host = inv.hosts.get('mta01')!;
    expect(host.groups).toContain('mta');
    expect(host.vars.ansible_host).toBeInstanceOf(Secret);
    expect(JSON.stringify(host.vars)).not.toContain('192.0.2.7');
    const spec = resolveConnectionSpec(host);
    expect(spec.host).toBe('192.0.2.7');
    expect(spec.port).toBe(2222);
    expect(spec.become).toBe(false);
    // Settings code outside transport/ reads by type are their typed value, not a Secret.
    expect(host.vars.ansible_become).toBe(false);
    expect(host.vars.mtafleet_lock_path).toBe('/run/mta.lock');
  });

  it('a vaulted address is used but never shown in connection messages', async () => {
    const inv = await loadInventory(join(dir, 'whole.yml'), { vault: keyring() });
    const spec = resolveConnectionSpec(inv.hosts.get('mta01')!);
    expect(spec.concealed).toEqual(['host', 'port']);
    expect(describeTarget(spec)).toBe(`mta01 (${spec.user}@***:***)`);
    const messages = [
      connectErrorFor(spec, Object.assign(new Error('connect ECONNREFUSED 192.0.2.7:2222'), { code: 'ECONNREFUSED' }), undefined, []).message,
      connectErrorFor(spec, Object.assign(new Error('getaddrinfo ENOTFOUND 192.0.2.7'), { code: 'ENOTFOUND' }), undefined, []).message,
      connectErrorFor(spec, new Error('something odd about 192.0.2.7'), undefined, []).message,
    ];
    expect(messages[1]).toContain('host name not found: ***');
    for (const m of messages) expect(m).not.toContain('192.0.2.7');
    expect(messages[2]).toContain('something odd about ***');
  });

  it('without a password: exit-1 error naming the vault and the file', async () => {
    const err = await loadInventory(join(dir, 'whole.yml')).catch((e: unknown) => e);
    expect(err).toMatchObject({ exitCode: 1 });
    expect(String(err)).toMatch(/inventory file ".*whole\.yml" is encrypted with Ansible Vault: no vault password was given: use --vault-password-file/);
  });

  it('a wrong password names the file: HMAC mismatch', async () => {
    await expect(loadInventory(join(dir, 'whole.yml'), { vault: ring(['default', 'nope']) })).rejects.toThrow(/whole\.yml" is encrypted with Ansible Vault: HMAC mismatch: wrong vault password\?/);
  });

  it('inline values and vaulted group_vars / group_vars/NAME/ / host_vars files are Secret and decrypted', async () => {
    const inv = await loadInventory(join(dir, 'vars', 'hosts.yml'), { vault: keyring() });
    const vars = inv.hosts.get('mta01')!.vars;
    expect(vars.plain).toBe('visible');
    for (const [value, plain] of [
      [vars.ansible_host, '198.51.100.9'],
      [(vars.smtp as Record<string, unknown>).relay_key, 'nested-secret'],
      [vars.relay_name, 'relay.example.net'],
      [vars.ansible_become_password, 'dir-secret'],
      [vars.ansible_user, 'deploy'],
    ] as const) {
      expect(value).toBeInstanceOf(Secret);
      expect((value as Secret).reveal()).toBe(plain);
    }
    const spec = resolveConnectionSpec(inv.hosts.get('mta01')!);
    expect(spec.host).toBe('198.51.100.9');
    expect(spec.user).toBe('deploy');
    expect(spec.becomePassword?.reveal()).toBe('dir-secret');
  });

  it('every vaulted file without a password is reported with its path', async () => {
    const err = String(await loadInventory(join(dir, 'vars', 'hosts.yml')).catch((e: unknown) => e));
    expect(err).toMatch(/hosts\.yml:6: all\.children\.mta\.hosts\.mta01\.ansible_host: inline !vault value: no vault password was given/);
    expect(err).toMatch(/group_vars\/all\.yml:1: Ansible Vault-encrypted file: no vault password was given \(vault id "prod"\)/);
    expect(err).toMatch(/group_vars\/mta\/vault\.yml:1: Ansible Vault-encrypted file: no vault password/);
    expect(err).toMatch(/host_vars\/mta01\.yml:1: Ansible Vault-encrypted file: no vault password/);
    expect(err).not.toContain('$ANSIBLE_VAULT');
  });

  it('a vaulted known variable is checked on its plaintext, and the message shows ***', async () => {
    const err = String(await loadInventory(join(dir, 'badport.yml'), { vault: keyring() }).catch((e: unknown) => e));
    expect(err).toMatch(/badport\.yml:4: all\.hosts\.h1\.ansible_port: must be a whole number between 1 and 65535, got \*\*\* \(a vault-encrypted value\)/);
    expect(err).not.toContain('not-a-port');
  });

  it('JSON inventories: {"__ansible_vault": "..."} (as ansible-inventory --list writes it) is decrypted; untagged ciphertext is refused', async () => {
    writeFileSync(join(dir, 'inv.json'), JSON.stringify({ all: { hosts: { j1: { relay_key: { __ansible_vault: encryptVault('json-secret', PW) }, note: 'plain' } } } }, null, 2));
    const inv = await loadInventory(join(dir, 'inv.json'), { vault: keyring() });
    const value = inv.hosts.get('j1')!.vars.relay_key;
    expect(value).toBeInstanceOf(Secret);
    expect((value as Secret).reveal()).toBe('json-secret');
    writeFileSync(join(dir, 'untagged.yml'), `all:\n  hosts:\n    u1:\n      relay_key: |\n${encryptVault('x', PW).trimEnd().split('\n').map((l) => `        ${l}`).join('\n')}\n`);
    const err = String(await loadInventory(join(dir, 'untagged.yml'), { vault: keyring() }).catch((e: unknown) => e));
    expect(err).toMatch(/untagged\.yml:4: all\.hosts\.u1\.relay_key: this value is Ansible Vault ciphertext without the !vault tag/);
  });

  it('inline: a wrong password and a corrupted value, each with file and line', async () => {
    const err = String(await loadInventory(join(dir, 'mixed.yml'), { vault: keyring() }).catch((e: unknown) => e));
    expect(err).toMatch(/mixed\.yml:5: all\.hosts\.h1\.wrong: inline !vault value: HMAC mismatch: wrong vault password\?/);
    expect(err).toMatch(/mixed\.yml:\d+: all\.hosts\.h1\.broken: inline !vault value: the vault data is not valid hex/);
  });
});

describe('!vault outside inventories', () => {
  it('a playbook with an inline !vault value is refused with its line, never read as ciphertext', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mtaf-vault-pb-'));
    try {
      const file = join(dir, 'play.yml');
      const value = encryptVault('x', 'pw').trimEnd().split('\n').map((l) => `      ${l}`).join('\n');
      writeFileSync(file, `- hosts: all\n  vars:\n    token: !vault |\n${value}\n  tasks: []\n`);
      expect(() => loadPlaybook(file)).toThrow(/play\.yml:3: .*inline !vault value is not supported by mtafleet here: vaults are decrypted only in inventories/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
