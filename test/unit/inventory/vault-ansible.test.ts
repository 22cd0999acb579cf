/**
 * Ansible Vault against the real tool: the fixtures are made in the test by Debian's
 * `ansible-vault` 2.14 (`encrypt` of a whole inventory and of group_vars files,
 * `encrypt_string` for inline `!vault` values, `--vault-id label@file` for format 1.2), then
 * `mtafleet inventory --list` is compared with `ansible-inventory --list`: same groups and
 * hosts, same non-vaulted variables; every vaulted value is *** in mtafleet (Ansible shows
 * inline ones as ciphertext, whole-file ones in clear) and neither ciphertext nor plaintext
 * appears in mtafleet's output. Errors (no password, wrong password, corrupted or truncated
 * vaults) exit 1 naming the file (and line for inline values). The corpus vault cases are
 * checked when ../shared/corpus is present. Skipped, and says so, without ansible-vault.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOnce, runCli } from '../../helpers/cli.js';

const ANSIBLE_VAULT = '/usr/bin/ansible-vault';
const ANSIBLE_INVENTORY = '/usr/bin/ansible-inventory';
const haveAnsible = existsSync(ANSIBLE_VAULT) && existsSync(ANSIBLE_INVENTORY);
if (!haveAnsible) console.log(`vault-ansible: skipped, no ${ANSIBLE_VAULT} / ${ANSIBLE_INVENTORY} (scripts/ensure-debian-packages.mjs installs ansible-core)`);

const CORPUS = join(__dirname, '../../../../shared/corpus/ansible-inventories');
const haveCorpus = existsSync(CORPUS);
if (!haveCorpus) console.log(`vault-ansible: corpus cases skipped, no corpus at ${CORPUS}`);

type List = Record<string, unknown> & { _meta: { hostvars: Record<string, Record<string, unknown>> } };

const PLAINTEXTS = ['10.1.0.1', 'relay.example.net', 's2026-dkim', 'k3y-prod-7f', '10.9.9.9', 'become-pw-42', 'gmail-pool'];

let dir: string;
let env: NodeJS.ProcessEnv;

function ansible(cmd: string, args: string[], cwd = dir): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** `ansible-vault encrypt_string` output, indented to sit under a key. */
function encryptString(value: string, name: string, vaultArgs: string[]): string {
  return execFileSync(ANSIBLE_VAULT, ['encrypt_string', ...vaultArgs, value, '--name', name], { cwd: dir, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

function mtafleet(args: string[], stdin = '', extraEnv: NodeJS.ProcessEnv = {}) {
  return runCli(args, { ...env, ...extraEnv }, stdin, 60_000);
}

beforeAll(() => {
  if (!haveAnsible) return;
  buildOnce();
  dir = mkdtempSync(join(tmpdir(), 'mtaf-vault-ansible-'));
  env = { ...process.env, HOME: dir, ANSIBLE_HOME: join(dir, '.ansible'), ANSIBLE_LOCAL_TEMP: join(dir, '.ansible-tmp'), ANSIBLE_NOCOLOR: '1', ANSIBLE_VAULT_PASSWORD_FILE: '' };
  delete env.ANSIBLE_VAULT_PASSWORD_FILE;
  writeFileSync(join(dir, 'pw'), 'pw-main\n');
  writeFileSync(join(dir, 'pwprod'), 'pw-prod\n');
  writeFileSync(join(dir, 'wrong'), 'not-it\n');
  const script = join(dir, 'pw-script.sh');
  writeFileSync(script, '#!/bin/sh\necho pw-main\n');
  chmodSync(script, 0o700);

  // 1. A whole vaulted INI inventory, a vaulted file in group_vars/mta/, inline values in host_vars.
  mkdirSync(join(dir, 'ini', 'group_vars', 'mta'), { recursive: true });
  mkdirSync(join(dir, 'ini', 'host_vars'), { recursive: true });
  writeFileSync(join(dir, 'ini', 'hosts.ini'), '[mta]\nmta01 ansible_host=10.1.0.1 pool=gmail-pool\nmta02\n\n[mta:vars]\nrelay=relay.example.net\n');
  execFileSync(ANSIBLE_VAULT, ['encrypt', '--vault-password-file', '../pw', 'hosts.ini'], { cwd: join(dir, 'ini'), env, stdio: 'ignore' });
  writeFileSync(join(dir, 'ini', 'group_vars', 'mta', 'vault.yml'), 'dkim_selector: s2026-dkim\n');
  execFileSync(ANSIBLE_VAULT, ['encrypt', '--vault-password-file', '../../../pw', 'vault.yml'], { cwd: join(dir, 'ini', 'group_vars', 'mta'), env, stdio: 'ignore' });
  writeFileSync(join(dir, 'ini', 'group_vars', 'mta', 'plain.yml'), 'plain_count: 5\nplain_flag: yes\n');
  writeFileSync(
    join(dir, 'ini', 'host_vars', 'mta02.yml'),
    ['site: fra', encryptString('k3y-prod-7f', 'api_key', ['--vault-id', 'prod@pwprod']).trimEnd(), encryptString('10.9.9.9', 'ansible_host', ['--vault-password-file', 'pw']).trimEnd(), ''].join('\n'),
  );

  // 2. A plain YAML inventory with an inline value (nested) and a vaulted group_vars file (1.2).
  mkdirSync(join(dir, 'yaml', 'group_vars'), { recursive: true });
  const become = encryptString('become-pw-42', 'ansible_become_password', ['--vault-password-file', 'pw']).trimEnd().replace(/\n/g, '\n    ');
  writeFileSync(join(dir, 'yaml', 'hosts.yml'), `all:\n  hosts:\n    edge01:\n      ansible_port: 2222\n      tier: edge\n  vars:\n    ${become}\n`);
  writeFileSync(join(dir, 'yaml', 'group_vars', 'all.yml'), 'team_token: relay.example.net\nmaintenance: false\n');
  execFileSync(ANSIBLE_VAULT, ['encrypt', '--vault-id', 'prod@../../pwprod', 'all.yml'], { cwd: join(dir, 'yaml', 'group_vars'), env, stdio: 'ignore' });
}, 180_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Compares mtafleet's --list with Ansible's: groups equal; each variable equal or, when vaulted, ***. */
function compareLists(mine: List, theirs: List, vaultedFromFiles: Set<string>): void {
  const { _meta: myMeta, ...myGroups } = mine;
  const { _meta: theirMeta, ...theirGroups } = theirs;
  expect(myGroups).toEqual(theirGroups);
  expect(Object.keys(myMeta.hostvars).sort()).toEqual(Object.keys(theirMeta.hostvars).sort());
  for (const [host, vars] of Object.entries(theirMeta.hostvars)) {
    expect(Object.keys(myMeta.hostvars[host]).sort(), host).toEqual(Object.keys(vars).sort());
    for (const [k, v] of Object.entries(vars)) {
      const inline = v !== null && typeof v === 'object' && '__ansible_vault' in (v as object);
      if (inline || vaultedFromFiles.has(k)) expect(myMeta.hostvars[host][k], `${host}.${k} is vaulted`).toBe('***');
      else expect(myMeta.hostvars[host][k], `${host}.${k}`).toEqual(v);
    }
  }
}

function expectNothingRevealed(text: string): void {
  for (const p of PLAINTEXTS) expect(text).not.toContain(p);
  expect(text).not.toContain('$ANSIBLE_VAULT');
}

describe.skipIf(!haveAnsible)('vault: mtafleet inventory --list against ansible-inventory 2.14', () => {
  it('whole vaulted INI inventory + vaulted group_vars/NAME/ file + inline 1.1 and 1.2 values', async () => {
    const args = ['-i', 'ini/hosts.ini', '--list', '--vault-password-file', 'pw', '--vault-id', 'prod@pwprod'];
    const theirs = ansible(ANSIBLE_INVENTORY, args);
    expect(theirs.code, theirs.stderr).toBe(0);
    const r = await mtafleet(['inventory', '-i', join(dir, 'ini/hosts.ini'), '--list', '--vault-password-file', join(dir, 'pw'), '--vault-id', `prod@${join(dir, 'pwprod')}`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // Everything the vaulted inventory and the vaulted group_vars file define is a secret.
    compareLists(JSON.parse(r.stdout) as List, JSON.parse(theirs.stdout) as List, new Set(['ansible_host', 'pool', 'relay', 'dkim_selector']));
    expectNothingRevealed(r.stdout);
    expect(r.stdout).toContain('"plain_flag": true');
  });

  it('plain YAML inventory with an inline !vault and a vaulted 1.2 group_vars file; the password from a script', async () => {
    const theirs = ansible(ANSIBLE_INVENTORY, ['-i', 'yaml/hosts.yml', '--list', '--vault-password-file', 'pw', '--vault-id', 'prod@pwprod']);
    expect(theirs.code, theirs.stderr).toBe(0);
    const r = await mtafleet(['inventory', '-i', join(dir, 'yaml/hosts.yml'), '--list', '--vault-password-file', join(dir, 'pw-script.sh'), '--vault-id', `prod@${join(dir, 'pwprod')}`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    compareLists(JSON.parse(r.stdout) as List, JSON.parse(theirs.stdout) as List, new Set(['team_token', 'maintenance']));
    expectNothingRevealed(r.stdout);
  });

  it('--ask-vault-pass reads the password (stdin when it is not a terminal); ANSIBLE_VAULT_PASSWORD_FILE works', async () => {
    const asked = await mtafleet(['inventory', '-i', join(dir, 'yaml/hosts.yml'), '--graph', '--ask-vault-pass', '--vault-id', `prod@${join(dir, 'pwprod')}`], 'pw-main\n');
    expect(asked.code, asked.stderr).toBe(0);
    expect(asked.stdout).toContain('edge01');
    const fromEnv = await mtafleet(['inventory', '-i', join(dir, 'ini/hosts.ini'), '--graph', '--vault-id', `prod@${join(dir, 'pwprod')}`], '', { ANSIBLE_VAULT_PASSWORD_FILE: join(dir, 'pw') });
    expect(fromEnv.code, fromEnv.stderr).toBe(0);
    expect(fromEnv.stdout).toContain('|  |--mta02');
  });

  it('without a password: both refuse; mtafleet exits 1 naming the vault and the file', async () => {
    const theirs = ansible(ANSIBLE_INVENTORY, ['-i', 'ini/hosts.ini', '--list']);
    expect(theirs.stdout + theirs.stderr).toMatch(/vault/i);
    const r = await mtafleet(['inventory', '-i', join(dir, 'ini/hosts.ini'), '--list']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/inventory file ".*ini\/hosts\.ini" is encrypted with Ansible Vault: no vault password was given: use --vault-password-file FILE/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('a wrong password: exit 1, "HMAC mismatch: wrong vault password?", naming each file and line', async () => {
    const theirs = ansible(ANSIBLE_INVENTORY, ['-i', 'yaml/hosts.yml', '--list', '--vault-password-file', 'wrong']);
    expect(theirs.code).not.toBe(0);
    const r = await mtafleet(['inventory', '-i', join(dir, 'yaml/hosts.yml'), '--list', '--vault-password-file', join(dir, 'wrong')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/yaml\/hosts\.yml:7: all\.vars\.ansible_become_password: inline !vault value: HMAC mismatch: wrong vault password\?/);
    expect(r.stderr).toMatch(/group_vars\/all\.yml:1: Ansible Vault-encrypted file: HMAC mismatch: wrong vault password\?/);
    expectNothingRevealed(r.stdout + r.stderr);
  });

  it('a corrupted (one hex digit flipped) and a truncated vault: exit 1 with file and line', async () => {
    const text = readFileSync(join(dir, 'yaml', 'hosts.yml'), 'utf8');
    const lines = text.split('\n');
    const at = lines.findIndex((l) => l.includes('$ANSIBLE_VAULT'));
    const target = lines[at + 2];
    // The second digit of a pair in the salt: still hex, another salt, so another key.
    const digit = target.trimStart()[11];
    const flippedLines = [...lines];
    flippedLines[at + 2] = target.replace(/^(\s*.{11})./, `$1${digit === '3' ? '4' : '3'}`);
    writeFileSync(join(dir, 'yaml', 'flipped.yml'), flippedLines.join('\n'));
    // Truncated: the last line of the envelope cut in half (an odd number of hex digits left).
    const last = lines.findIndex((l, i) => i > at && !/^\s+[0-9a-f]+$/.test(l)) - 1;
    const truncated = [...lines.slice(0, last), lines[last].slice(0, lines[last].length - 3), ...lines.slice(last + 1)];
    writeFileSync(join(dir, 'yaml', 'truncated.yml'), truncated.join('\n'));
    for (const [file, why] of [
      ['flipped.yml', /HMAC mismatch: wrong vault password\?/],
      ['truncated.yml', /the vault data is not valid hex: odd number of digits \(truncated or corrupted\?\)/],
    ] as const) {
      const theirs = ansible(ANSIBLE_INVENTORY, ['-i', `yaml/${file}`, '--list', '--vault-password-file', 'pw', '--vault-id', 'prod@pwprod']);
      const r = await mtafleet(['inventory', '-i', join(dir, 'yaml', file), '--list', '--vault-password-file', join(dir, 'pw'), '--vault-id', `prod@${join(dir, 'pwprod')}`]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`yaml/${file.replace('.', '\\.')}:7: all\\.vars\\.ansible_become_password: inline !vault value: ${why.source}`));
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1); // the vault's problem only, not a follow-on one
      expectNothingRevealed(r.stdout + r.stderr);
      // Ansible only decrypts an inline value when it is used, so its --list still succeeds;
      // mtafleet decrypts every vault at load (README says so).
      expect(theirs.code).toBe(0);
    }
  });

  it('a vault password script that fails is refused before anything else', async () => {
    const failing = join(dir, 'fail.sh');
    writeFileSync(failing, '#!/bin/sh\nexit 2\n');
    chmodSync(failing, 0o700);
    const r = await mtafleet(['inventory', '-i', join(dir, 'yaml/hosts.yml'), '--list', '--vault-password-file', failing]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`vault password script "${failing}" exited with status 2`);
  });
});

describe.skipIf(!haveCorpus)('vault: corpus cases (ansible-golden.json)', () => {
  const run = (name: string, inventory: string, password: string) => mtafleet(['inventory', '-i', join(CORPUS, name, inventory), '--list', '--vault-password-file', join(CORPUS, name, password)]);

  it('ansible-vaulted-inventory: the same hosts and groups, its variables ***', async () => {
    const golden = JSON.parse(readFileSync(join(CORPUS, 'ansible-vaulted-inventory', 'ansible-golden.json'), 'utf8')) as { list: { stdout: string } };
    const r = await run('ansible-vaulted-inventory', 'vaulted.inventory', 'vault-password');
    expect(r.code, r.stderr).toBe(0);
    const theirs = JSON.parse(golden.list.stdout) as List;
    const vaulted = new Set(Object.values(theirs._meta.hostvars).flatMap((v) => Object.keys(v)));
    compareLists(JSON.parse(r.stdout) as List, theirs, vaulted);
    expect(r.stdout).not.toContain('localhost');
  });

  it('ansible-vault-invalid-format: exit 1 for the odd-length vault file and the corrupted inline value, each named', async () => {
    const r = await run('ansible-vault-invalid-format', 'inventory', 'vault-secret');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/group_vars\/broken-group-vars\.yml:1: Ansible Vault-encrypted file: the vault data is not valid hex: odd number of digits/);
    expect(r.stderr).toMatch(/host_vars\/broken-host-vars\.example\.com\/vars:5: example_vars: inline !vault value: the vault data is not valid hex/);
  });

  it('ansible-vault-inline: testhost opens; myhost was made with another password: exit 1 naming that file', async () => {
    // Ansible's --list only shows these values as ciphertext (ansible-golden.json); its own decrypt
    // opens testhost's value with this password and not myhost's, which mtafleet reports at load.
    const r = await run('ansible-vault-inline', 'inventory.ini', 'vault-password');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/host_vars\/myhost\.yml:1: myvar: inline !vault value: HMAC mismatch: wrong vault password\?/);
    expect(r.stderr).not.toContain('testhost.yml');
  });
});
