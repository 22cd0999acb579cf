/**
 * Secrets never leak (DESIGN.md safety rules): a become password, a key passphrase, and
 * variables named *token* / *password* / *secret* (in the inventory and as -e extra vars)
 * appear in no stdout, stderr, journal, run record, plan file or report of any command, nor
 * in error messages. Afterwards: the state dir is 0700 and plan / journal / run files 0600.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesUnder, startOneHost, type CliResult, type OneHost } from './fixture.js';
import { openStore } from '../../src/history/index.js';

const uniq = `${process.pid}x${Date.now().toString(36)}`;
const SECRETS = {
  become: `BecomePw-${uniq}`,
  passphrase: `KeyPass-${uniq}`,
  apiToken: `ApiTok-${uniq}`,
  dbPassword: `DbPw-${uniq}`,
  smtpSecret: `SmtpSec-${uniq}`,
  extraSecret: `ExtraPw-${uniq}`,
  extraUsed: `ExtraUsed-${uniq}`,
};

let fx: OneHost;
let keyDir: string;
const outputs: Array<{ what: string; r: CliResult }> = [];
const artifacts: string[] = [];

beforeAll(async () => {
  keyDir = mkdtempSync(join(tmpdir(), 'mtaf-rel-seckey-'));
  const key = join(keyDir, 'client_key');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', SECRETS.passphrase, '-C', 'mtaf-rel', '-f', key], { stdio: 'ignore' });
  fx = await startOneHost('secret', { clientKeyPath: key });
}, 60_000);

afterAll(async () => {
  await fx?.cleanup();
  rmSync(keyDir, { recursive: true, force: true });
});

function secretInventory(name: string, overrides: Record<string, string> = {}): string {
  const target = join(fx.dir, 'target');
  mkdirSync(target, { recursive: true });
  const vars: Record<string, string> = {
    ansible_ssh_private_key_passphrase: SECRETS.passphrase,
    ansible_become: 'true',
    ansible_become_password: SECRETS.become,
    api_token: SECRETS.apiToken,
    db_password: SECRETS.dbPassword,
    target,
    ...overrides,
  };
  const lines = Object.entries(vars).map(([k, v]) => `${k}: ${JSON.stringify(v)}`);
  lines.push('smtp:', `  smtp_secret: ${JSON.stringify(SECRETS.smtpSecret)}`, '  host: relay.example.net');
  return fx.inventory(name, lines);
}

async function cli(what: string, args: string[]): Promise<CliResult> {
  const r = await fx.cli(args);
  outputs.push({ what, r });
  return r;
}

const PLAYBOOK = `- hosts: mta
  tasks:
    - name: conf
      file: { path: "{{ target }}/app.conf", content: "relay = {{ smtp.host }}\\n" }
    - name: cmd
      command: { argv: ["true"] }
`;

describe('secrets never reach any output or artifact', () => {
  it('every command, its output and every file it wrote', async () => {
    const inv = secretInventory('inv.yaml');
    const pb = fx.write('pb.yaml', PLAYBOOK);
    const e = ['-e', `smtp_secret=${SECRETS.extraSecret}`, '-e', `api_token=${SECRETS.extraSecret}`];
    const planFile = join(fx.dir, 'out.plan');
    artifacts.push(planFile);

    expect((await cli('inventory --list', ['inventory', '-i', inv, '--list'])).code).toBe(0);
    expect((await cli('inventory --graph --vars', ['inventory', '-i', inv, '--graph', '--vars'])).code).toBe(0);
    const ex = await cli('exec', ['exec', '-i', inv, '--become', '--format', 'json', '-vvv', '--', 'id', '-u']);
    expect((await cli('exec text', ['exec', '-i', inv, '--become', '-vvv', '--', 'true'])).code).toBe(0);
    expect([0, 2]).toContain((await cli('audit stdout json', ['audit', '-i', inv, '--format', 'json', '-vvv'])).code);
    expect(ex.code, ex.stderr).toBe(0);
    expect(JSON.parse(ex.stdout)[0].stdout.trim()).toBe('0'); // the passphrase-protected key worked
    for (const format of ['text', 'json', 'markdown']) {
      const r = await cli(`plan ${format}`, ['plan', pb, '-i', inv, ...e, '--format', format, '--out', planFile]);
      expect(r.code, r.stderr + r.stdout).toBe(0);
    }
    expect((statSync(planFile).mode & 0o777).toString(8)).toBe('600');
    const ap = await cli('apply', ['apply', planFile, '--yes', '--format', 'json']);
    expect(ap.code, ap.stderr + ap.stdout).toBe(0);
    writeFileSync(join(fx.dir, 'target', 'app.conf'), 'old\n');
    expect((await cli('run --check --diff', ['run', pb, '-i', inv, ...e, '--check', '--diff', '-v'])).code).toBe(0);
    const run = await cli('run json', ['run', pb, '-i', inv, ...e, '--format', 'json']);
    expect(run.code, run.stderr).toBe(0);
    const runId = JSON.parse(run.stdout).runId as string;
    expect((await cli('runs', ['runs'])).code).toBe(0);
    expect((await cli('runs id', ['runs', runId, '--format', 'json'])).code).toBe(0);
    expect((await cli('rollback', ['rollback', runId])).code).toBeLessThanOrEqual(2);
    for (const format of ['json', 'markdown', 'html', 'table']) {
      const out = join(fx.dir, `audit.${format}`);
      artifacts.push(out);
      const r = await cli(`audit ${format}`, ['audit', '-i', inv, '--format', format, '--out', out]);
      expect([0, 2], `audit ${format}: ${r.stderr}`).toContain(r.code);
    }
  }, 300_000);

  it('error paths: a secret used in a task, a wrong passphrase, a bad become password', async () => {
    const leak = fx.write('pb-leak.yaml', `- hosts: mta\n  tasks:\n    - name: leak\n      file: { path: "/tmp/mtaf-rel-leak", content: "{{ db_password }}" }\n`);
    const inv = secretInventory('inv-err.yaml');
    const r1 = await cli('secret in a task', ['run', leak, '-i', inv]);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toMatch(/db_password.*secret/);
    const badKey = secretInventory('inv-badkey.yaml', { ansible_ssh_private_key_passphrase: `Wrong-${SECRETS.passphrase}` });
    const r2 = await cli('wrong passphrase', ['exec', '-i', badKey, '--', 'true']);
    expect(r2.code).toBe(4);
    const badBecome = secretInventory('inv-badbecome.yaml', { ansible_become_password: `Wrong-${SECRETS.become}` });
    await cli('bad become password', ['exec', '-i', badBecome, '--become', '--', 'true']);
    const bad = fx.write('inv-invalid.yaml', readFileSync(inv, 'utf8').replace('ansible_become: "true"', 'ansible_become: "maybe"') + `          ansible_port_x: 1\n`);
    const r4 = await cli('invalid inventory', ['inventory', '-i', bad, '--list']);
    expect(r4.code).toBe(1);
  }, 120_000);

  it('a secret-named -e var used in a step is refused (exit 1, task and variable named); used in when, it works', async () => {
    const inv = secretInventory('inv-extra.yaml');
    const e = ['-e', `smtp_password=${SECRETS.extraUsed}`];
    const leak = fx.write(
      'pb-extra-leak.yaml',
      `- hosts: mta\n  tasks:\n    - name: use it\n      command: { argv: [printf, "%s", "{{ smtp_password }}"] }\n    - name: file\n      file: { path: "{{ target }}/pw.conf", content: "pw = {{ smtp_password }}\\n" }\n`,
    );
    const planFile = join(fx.dir, 'extra-leak.plan');
    artifacts.push(planFile);
    for (const [what, args] of [
      ['plan --out', ['plan', leak, '-i', inv, ...e, '--out', planFile]],
      ['plan json', ['plan', leak, '-i', inv, ...e, '--format', 'json']],
      ['run --check --diff', ['run', leak, '-i', inv, ...e, '--check', '--diff']],
      ['run --diff', ['run', leak, '-i', inv, ...e, '--diff', '-v']],
    ] as const) {
      const r = await cli(`-e secret in a step: ${what}`, [...args]);
      expect(r.code, `${what}: ${r.stderr}${r.stdout}`).toBe(1);
      expect(r.stderr, what).toMatch(/pb-extra-leak\.yaml:4: plays\[0\]\.tasks\[0\]\.command\.argv\[2\]: task "use it" for host h1: "smtp_password" is a secret/);
    }
    expect(existsSync(planFile)).toBe(false);
    expect(existsSync(join(fx.dir, 'target', 'pw.conf'))).toBe(false);

    // Not stored anywhere, but a `when` sees the value: exactly one of these two tasks runs.
    const when = fx.write(
      'pb-extra-when.yaml',
      `- hosts: mta\n  tasks:\n    - name: matched\n      when: \"'ExtraUsed-' in smtp_password and smtp_password is defined\"\n      file: { path: "{{ target }}/when.txt", content: "matched\\n" }\n    - name: not matched\n      when: \"'ExtraUsed-' not in smtp_password\"\n      file: { path: "{{ target }}/when.txt", content: "unmatched\\n" }\n`,
    );
    const whenPlan = join(fx.dir, 'extra-when.plan');
    artifacts.push(whenPlan);
    const p = await cli('-e secret in when: plan', ['plan', when, '-i', inv, ...e, '--out', whenPlan, '--format', 'json']);
    expect(p.code, p.stderr).toBe(0);
    const r = await cli('-e secret in when: run', ['run', when, '-i', inv, ...e, '--diff', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(fx.dir, 'target', 'when.txt'), 'utf8')).toBe('matched\n');
  }, 120_000);

  it('grep: no secret value in any output, state-dir file, plan or report', async () => {
    expect(outputs.length).toBeGreaterThan(15);
    const stateFiles = filesUnder(fx.stateDir);
    expect(stateFiles.some((f) => f.endsWith('journal.jsonl'))).toBe(true);
    // The history store (and its WAL) is among the files read: it holds the runs' journals too.
    expect(stateFiles.some((f) => f.endsWith('history.sqlite'))).toBe(true);
    const store = await openStore({ backend: 'sqlite', file: join(fx.stateDir, 'history.sqlite') });
    try {
      expect((await store.db.all<{ n: number }>('SELECT COUNT(*) AS n FROM run_journal'))[0]!.n).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
    const texts: Array<{ where: string; text: string }> = [
      ...outputs.flatMap(({ what, r }) => [
        { where: `${what} stdout`, text: r.stdout },
        { where: `${what} stderr`, text: r.stderr },
      ]),
      ...[...stateFiles, ...artifacts.filter((f) => existsSync(f))].map((f) => ({ where: f, text: readFileSync(f, 'latin1') })),
    ];
    const leaks: string[] = [];
    for (const { where, text } of texts) {
      for (const [name, value] of Object.entries(SECRETS)) {
        // Also the "Wrong-" variants used in the error cases contain the value itself.
        if (text.includes(value)) leaks.push(`${name} in ${where}`);
      }
    }
    expect(leaks).toEqual([]);
  });

  it('state dir 0700, run dirs 0700, journals / run records / plans 0600', () => {
    expect((statSync(fx.stateDir).mode & 0o777).toString(8)).toBe('700');
    const files = filesUnder(fx.stateDir);
    const loose = files.filter((f) => (statSync(f).mode & 0o077) !== 0).map((f) => `${f} ${(statSync(f).mode & 0o777).toString(8)}`);
    expect(loose).toEqual([]);
    for (const f of files.filter((x) => /journal\.jsonl$|run\.json$/.test(x))) expect((statSync(f).mode & 0o777).toString(8), f).toBe('600');
    const dirs = new Set(files.map((f) => f.slice(0, f.lastIndexOf('/'))));
    for (const d of dirs) expect((statSync(d).mode & 0o777).toString(8), d).toBe('700');
  });
});
