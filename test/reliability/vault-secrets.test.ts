/**
 * Values from Ansible Vault are secrets end to end, on a real sshd: a whole vaulted inventory
 * connects (its decrypted ansible_host/port/user are used); inline `!vault` values and a vaulted
 * group_vars file reach `when` but never any stdout, stderr, plan, journal or run record, and a
 * task that puts one in its parameters is refused. No ciphertext is ever used or shown either.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptVault } from '../../src/inventory/vault.js';
import { filesUnder, startOneHost, type CliResult, type OneHost } from './fixture.js';

const uniq = `${process.pid}x${Date.now().toString(36)}`;
const PASSWORD = `VaultPw-${uniq}`;
const PLAIN = { relay: `VaultRelay-${uniq}`, become: `VaultBecome-${uniq}`, note: `VaultNote-${uniq}`, user: `VaultUser-${uniq}` };

let fx: OneHost;
let pwFile: string;
const outputs: Array<{ what: string; r: CliResult }> = [];
const artifacts: string[] = [];

function inline(value: string, indent: number): string {
  const body = encryptVault(value, PASSWORD)
    .trimEnd()
    .split('\n')
    .map((l) => ' '.repeat(indent) + l)
    .join('\n');
  return `!vault |\n${body}`;
}

async function cli(what: string, args: string[]): Promise<CliResult> {
  const r = await fx.cli(args);
  outputs.push({ what, r });
  return r;
}

beforeAll(async () => {
  fx = await startOneHost('vault');
  pwFile = fx.write('vault-pass', `${PASSWORD}\n`);
}, 60_000);

afterAll(async () => {
  await fx?.cleanup();
});

describe('vaulted values are secrets end to end', () => {
  it('a whole vaulted inventory connects with its decrypted connection variables', async () => {
    const plainInv = readFileSync(fx.inventory('plain-for-vault.yaml'), 'utf8');
    const vaulted = fx.write('whole-vaulted.yaml', encryptVault(plainInv, PASSWORD));
    const ex = await cli('exec (whole vaulted inventory)', ['exec', '-i', vaulted, '--format', 'json', '-vvv', '--vault-password-file', pwFile, '--', 'echo', 'reached']);
    expect(ex.code, ex.stderr).toBe(0);
    expect((JSON.parse(ex.stdout) as Array<{ stdout: string }>)[0].stdout.trim()).toBe('reached');
    const none = await cli('exec without password', ['exec', '-i', vaulted, '--', 'true']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/whole-vaulted\.yaml" is encrypted with Ansible Vault: no vault password was given/);
    const wrong = fx.write('wrong-pass', 'nope\n');
    const bad = await cli('exec wrong password', ['exec', '-i', vaulted, '--vault-password-file', wrong, '--', 'true']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('HMAC mismatch: wrong vault password?');
    // A vaulted user that does not exist: the failure names the host, not the user (nor, the
    // whole file being vaulted, the address and port).
    const badUser = fx.write('bad-user-vaulted.yaml', encryptVault(plainInv.replace('ansible_user: root', `ansible_user: ${PLAIN.user}`), PASSWORD));
    const au = await cli('exec vaulted unknown user', ['exec', '-i', badUser, '--vault-password-file', pwFile, '--', 'true']);
    expect(au.code).toBe(4);
    expect(au.stderr + au.stdout).toMatch(/h1 \(\*\*\*@\*\*\*:\*\*\*\)/);
  }, 120_000);

  it('inline values and a vaulted group_vars file: usable in when, refused in task parameters, shown nowhere', async () => {
    const target = join(fx.dir, 'target');
    mkdirSync(target, { recursive: true });
    mkdirSync(join(fx.dir, 'group_vars'), { recursive: true });
    fx.write('group_vars/mta.yaml', encryptVault(`vault_note: ${PLAIN.note}\n`, PASSWORD));
    const inv = fx.inventory('inline.yaml', [`relay_name: ${inline(PLAIN.relay, 12)}`, 'ansible_become: true', `ansible_become_password: ${inline(PLAIN.become, 12)}`, `target: ${target}`]);
    const v = ['--vault-password-file', pwFile];

    const list = await cli('inventory --list', ['inventory', '-i', inv, '--list', ...v]);
    expect(list.code, list.stderr).toBe(0);
    const hostvars = (JSON.parse(list.stdout) as { _meta: { hostvars: Record<string, Record<string, unknown>> } })._meta.hostvars.h1;
    expect([hostvars.relay_name, hostvars.ansible_become_password, hostvars.vault_note]).toEqual(['***', '***', '***']);
    expect((await cli('inventory --graph --vars', ['inventory', '-i', inv, '--graph', '--vars', ...v])).code).toBe(0);
    const ex = await cli('exec --become', ['exec', '-i', inv, '--become', '-vvv', '--format', 'json', ...v, '--', 'id', '-u']);
    expect(ex.code, ex.stderr).toBe(0);

    const when = fx.write(
      'pb-when.yaml',
      `- hosts: mta\n  tasks:\n    - name: matched\n      when: "'VaultRelay-' in relay_name and 'VaultNote-' in vault_note"\n      file: { path: "{{ target }}/when.txt", content: "matched\\n" }\n    - name: not matched\n      when: "'VaultRelay-' not in relay_name"\n      file: { path: "{{ target }}/when.txt", content: "unmatched\\n" }\n`,
    );
    const planFile = join(fx.dir, 'vault.plan');
    artifacts.push(planFile);
    const plan = await cli('plan --out', ['plan', when, '-i', inv, ...v, '--out', planFile, '--format', 'json']);
    expect(plan.code, plan.stderr).toBe(0);
    const ap = await cli('apply', ['apply', planFile, '--yes', '--format', 'json', ...v]);
    expect(ap.code, ap.stderr + ap.stdout).toBe(0);
    expect(readFileSync(join(target, 'when.txt'), 'utf8')).toBe('matched\n');
    const run = await cli('run --diff', ['run', when, '-i', inv, ...v, '--diff', '--format', 'json']);
    expect(run.code, run.stderr).toBe(0);

    const leak = fx.write('pb-leak.yaml', `- hosts: mta\n  tasks:\n    - name: leak\n      file: { path: "{{ target }}/leak.txt", content: "{{ relay_name }}\\n" }\n`);
    const refused = await cli('vaulted value in a task', ['run', leak, '-i', inv, ...v, '--diff']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/"relay_name" is a secret/);
    expect(existsSync(join(target, 'leak.txt'))).toBe(false);
  }, 180_000);

  it('grep: no vaulted plaintext and no ciphertext in any output, plan or state-dir file', () => {
    expect(outputs.length).toBeGreaterThan(8);
    const texts = [
      ...outputs.flatMap(({ what, r }) => [
        { where: `${what} stdout`, text: r.stdout },
        { where: `${what} stderr`, text: r.stderr },
      ]),
      ...[...filesUnder(fx.stateDir), ...artifacts.filter((f) => existsSync(f))].map((f) => ({ where: f, text: readFileSync(f, 'latin1') })),
    ];
    const leaks: string[] = [];
    for (const { where, text } of texts) {
      for (const [name, value] of Object.entries(PLAIN)) if (text.includes(value)) leaks.push(`${name} in ${where}`);
      if (text.includes(PASSWORD)) leaks.push(`the vault password in ${where}`);
      if (text.includes('$ANSIBLE_VAULT')) leaks.push(`ciphertext in ${where}`);
    }
    expect(leaks).toEqual([]);
  });
});
