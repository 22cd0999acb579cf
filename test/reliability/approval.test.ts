/**
 * Signed approvals through the CLI (#14 item 7): `mtafleet approve` signs a real plan,
 * `apply --require-approval ALLOWED_SIGNERS` refuses (exit 3, before any ssh connection and
 * before the confirmation prompt) a plan that is unsigned, signed by a key not allowed, changed
 * after signing, or signed for another namespace, and applies an approved one, recording its
 * signers in the run record and `mtafleet runs`. Signatures cross-checked with ssh-keygen -Y.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planDigest, type PlanDocument } from '../../src/engine/planfile.js';
import { openStore } from '../../src/history/index.js';
import { ROOT, startOneHost, type CliResult, type OneHost } from './fixture.js';

const PASS = 'bob secret phrase';
let fx: OneHost;
let target: string;
let goodPlan: string;
let allowed: string;
const key = (name: string) => join(fx.dir, 'keys', name);
const pub = (name: string) => readFileSync(`${key(name)}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
const connections = () => (fx.sshd.log().match(/Connection from/g) ?? []).length;
const readPlan = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as PlanDocument;
let copies = 0;
const copyPlan = () => {
  const file = join(fx.dir, `copy-${++copies}.plan`);
  copyFileSync(goodPlan, file);
  return file;
};

/** `mtafleet approve` with the fixture's env (no passphrase variable unless given). */
async function approve(plan: string, name: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const { runCli } = await import('./fixture.js');
  const base = { ...fx.env };
  delete base.MTAFLEET_KEY_PASSPHRASE;
  return runCli(['approve', plan, '--key', key(name), ...extra], { ...base, ...env });
}

/** ssh-keygen -Y sign over the plan's digest (the documented message), added to its approvals. */
function addSshKeygenApproval(plan: string, name: string, namespace = 'mtafleet-plan'): void {
  const doc = readPlan(plan);
  const r = spawnSync('ssh-keygen', ['-Y', 'sign', '-f', key(name), '-n', namespace], { input: doc.digest });
  if (r.status !== 0) throw new Error(`ssh-keygen -Y sign: ${r.stderr.toString()}`);
  doc.approvals = [...(doc.approvals ?? []), { key: 'by ssh-keygen', keyType: 'unknown', signedAt: new Date().toISOString(), signature: r.stdout.toString() }];
  writeFileSync(plan, JSON.stringify(doc, null, 2));
}

async function refusedApply(plan: string, reason: RegExp, extra: string[] = [], exitCode = 3): Promise<string> {
  const before = connections();
  // No --yes and no terminal: reaching the confirmation prompt would fail differently (exit 1).
  const r = await fx.cli(['apply', plan, '--require-approval', allowed, ...extra]);
  expect(r.code, r.stderr + r.stdout).toBe(exitCode);
  expect(r.stderr).toMatch(reason);
  expect(r.stderr).not.toMatch(/internal error|refusing to apply without confirmation/);
  expect(connections(), 'apply opened an ssh connection').toBe(before);
  expect(readFileSync(join(target, 'app.conf'), 'utf8')).toBe('threads = 2\n');
  return r.stderr;
}

beforeAll(async () => {
  fx = await startOneHost('approve');
  target = join(fx.dir, 'target');
  mkdirSync(target);
  mkdirSync(join(fx.dir, 'keys'));
  writeFileSync(join(target, 'app.conf'), 'threads = 2\n');
  const inv = fx.inventory('inv.yaml', [`target: ${target}`]);
  const pb = fx.write('pb.yaml', `- hosts: mta\n  tasks:\n    - name: conf\n      file: { path: "{{ target }}/app.conf", content: "threads = 8\\n" }\n`);
  goodPlan = join(fx.dir, 'good.plan');
  const r = await fx.cli(['plan', pb, '-i', inv, '--out', goodPlan]);
  if (r.code !== 0) throw new Error(`plan failed (${r.code}): ${r.stderr}${r.stdout}`);
  const gen = (name: string, args: string[], pass = '') => {
    const g = spawnSync('ssh-keygen', ['-q', ...args, '-N', pass, '-C', name, '-f', key(name)]);
    if (g.status !== 0) throw new Error(g.stderr.toString());
  };
  gen('alice', ['-t', 'ed25519']);
  gen('bob', ['-t', 'rsa', '-b', '3072'], PASS);
  gen('carol', ['-t', 'ecdsa', '-b', '256']);
  gen('mallory', ['-t', 'ed25519']);
  allowed = fx.write(
    'allowed_signers',
    `# who may approve mtafleet plans\nalice@example.com ${pub('alice')}\nbob@example.com namespaces="mtafleet-plan" ${pub('bob')}\ncarol@example.com ${pub('carol')}\n`,
  );
}, 90_000);

afterAll(async () => {
  await fx?.cleanup();
});

describe('mtafleet approve', () => {
  it('adds an ssh-keygen-verifiable signature over the digest, outside the digested body', async () => {
    const plan = copyPlan();
    const before = readPlan(plan);
    const r = await approve(plan, 'alice', ['--identity', 'alice@example.com']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/approved .*copy-\d+\.plan .*digest [0-9a-f]{64}/);
    expect(r.stdout).toMatch(/signed by alice@example.com with ssh-ed25519 key SHA256:\S+; the plan now has 1 approval\(s\)/);
    // The approver is shown what they sign, as apply shows it.
    expect(r.stderr).toContain(`plan digest (sha256): ${before.digest}`);
    expect(r.stderr).toMatch(/1 change\(s\) on 1 of 1 host\(s\)/);
    const after = readPlan(plan);
    expect(after.digest).toBe(before.digest);
    const { digest: _d, approvals, ...body } = after;
    expect(planDigest(body as never)).toBe(before.digest);
    expect(approvals).toHaveLength(1);
    expect(approvals![0]).toMatchObject({ identity: 'alice@example.com', keyType: 'ssh-ed25519', key: expect.stringMatching(/^SHA256:/) });
    // The README's hand check: the message is the digest's 64 hex characters, no newline.
    const sigFile = fx.write('alice.sig', approvals![0].signature);
    const v = spawnSync('ssh-keygen', ['-Y', 'verify', '-f', allowed, '-I', 'alice@example.com', '-n', 'mtafleet-plan', '-s', sigFile], { input: after.digest });
    expect(v.status, v.stderr.toString()).toBe(0);
    expect(v.stdout.toString()).toContain(`Good "mtafleet-plan" signature for alice@example.com with ED25519 key ${approvals![0].key}`);
    // Approving again with the same key replaces its signature; another key adds one.
    expect((await approve(plan, 'alice')).code).toBe(0);
    expect(readPlan(plan).approvals).toHaveLength(1);
    expect((await approve(plan, 'carol')).code).toBe(0);
    expect(readPlan(plan).approvals!.map((a) => a.keyType)).toEqual(['ssh-ed25519', 'ecdsa-sha2-nistp256']);
  }, 60_000);

  it('an encrypted key takes its passphrase from MTAFLEET_KEY_PASSPHRASE or --passphrase-file; a wrong or missing one is exit 1', async () => {
    const plan = copyPlan();
    const viaEnv = await approve(plan, 'bob', [], { MTAFLEET_KEY_PASSPHRASE: PASS });
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    const passFile = fx.write('bob.pass', `${PASS}\n`);
    const viaFile = await approve(plan, 'bob', ['--passphrase-file', passFile]);
    expect(viaFile.code, viaFile.stderr).toBe(0);
    expect(readPlan(plan).approvals!.map((a) => a.keyType)).toEqual(['ssh-rsa']);
    const sigFile = fx.write('bob.sig', readPlan(plan).approvals![0].signature);
    const v = spawnSync('ssh-keygen', ['-Y', 'verify', '-f', allowed, '-I', 'bob@example.com', '-n', 'mtafleet-plan', '-s', sigFile], { input: readPlan(plan).digest });
    expect(v.status, v.stderr.toString()).toBe(0);

    const wrong = await approve(plan, 'bob', [], { MTAFLEET_KEY_PASSPHRASE: 'nope' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/cannot use key \S+bob: wrong passphrase/);
    for (const out of [viaEnv, viaFile, wrong]) expect(out.stdout + out.stderr).not.toContain(PASS);

    // No passphrase and no terminal (own session, so no /dev/tty): exit 1 saying how to give one.
    const noTty = await new Promise<{ code: number; stderr: string }>((done) => {
      const env = { ...fx.env };
      delete env.MTAFLEET_KEY_PASSPHRASE;
      const child = spawn(process.execPath, [join(ROOT, 'bin/mtafleet.js'), 'approve', plan, '--key', key('bob')], { env, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('close', (code) => done({ code: code ?? -1, stderr }));
    });
    expect(noTty.code).toBe(1);
    expect(noTty.stderr).toMatch(/encrypted and there is no terminal to ask for its passphrase: set MTAFLEET_KEY_PASSPHRASE or pass --passphrase-file/);
  }, 60_000);

  it('a key that cannot sign (dsa, a .pub file, missing) is bad input, exit 1, plan untouched', async () => {
    const plan = copyPlan();
    const before = readFileSync(plan, 'utf8');
    const dsa = spawnSync('ssh-keygen', ['-q', '-t', 'dsa', '-N', '', '-f', key('dsa')]);
    expect(dsa.status, dsa.stderr.toString()).toBe(0);
    const r = await approve(plan, 'dsa');
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/cannot use key \S+dsa: ssh-dss keys cannot sign plans \(supported: ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256/);
    const pubFile = await approve(plan, 'alice.pub');
    expect(pubFile.code).toBe(1);
    expect(pubFile.stderr).toMatch(/cannot use key \S+alice\.pub: /);
    const missing = await approve(plan, 'nobody');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read key \S+nobody: ENOENT/);
    expect(readFileSync(plan, 'utf8')).toBe(before);
  });

  it('asks for the passphrase on the terminal without echoing it', async () => {
    const plan = copyPlan();
    const env = { ...fx.env };
    delete env.MTAFLEET_KEY_PASSPHRASE;
    const cmd = `'${process.execPath}' '${join(ROOT, 'bin/mtafleet.js')}' approve '${plan}' --key '${key('bob')}' --identity bob@example.com`;
    const result = await new Promise<{ code: number; output: string; prompted: boolean }>((done, fail) => {
      const child = spawn('script', ['-qefc', cmd, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
      let output = '';
      let prompted = false;
      const onData = (d: Buffer) => {
        output += d.toString();
        if (!prompted && /Enter passphrase for .*bob: /.test(output)) {
          prompted = true;
          child.stdin.write(`${PASS}\r`);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.once('error', fail);
      child.once('close', (code) => {
        clearTimeout(timer);
        done({ code: code ?? -1, output, prompted });
      });
    });
    expect(result.prompted, result.output).toBe(true);
    expect(result.code, result.output).toBe(0);
    expect(result.output).not.toContain(PASS);
    expect(result.output).not.toContain('*'.repeat(PASS.length));
    expect(result.output).toMatch(/signed by bob@example.com with ssh-rsa key SHA256:/);
    expect(readPlan(plan).approvals!.map((a) => a.identity)).toEqual(['bob@example.com']);
  }, 60_000);
});

describe('apply --require-approval refuses with exit 3, before any connection or prompt', () => {
  it('an unsigned plan', async () => {
    await refusedApply(copyPlan(), /refused: \S+copy-\d+\.plan is unsigned \(no approvals\)/);
  });

  it('a plan signed only by a key not in allowed_signers', async () => {
    const plan = copyPlan();
    expect((await approve(plan, 'mallory', ['--identity', 'alice@example.com'])).code).toBe(0);
    await refusedApply(plan, /has no valid approval\n\s+approval 1 \(alice@example.com\): key SHA256:\S+ is not an allowed signer/);
  });

  it('a plan whose body changed after signing, with the digest recomputed', async () => {
    const plan = copyPlan();
    expect((await approve(plan, 'alice')).code).toBe(0);
    const doc = readPlan(plan);
    const { digest: _d, approvals, ...body } = doc;
    body.limit = 'h1';
    writeFileSync(plan, JSON.stringify({ ...body, digest: planDigest(body as never), approvals }, null, 2));
    await refusedApply(plan, /approval 1 by key SHA256:\S+: the signature does not verify against this plan's content: the plan changed after it was signed/);
  });

  it('a plan whose body changed after signing, digest left as it was', async () => {
    const plan = copyPlan();
    expect((await approve(plan, 'alice')).code).toBe(0);
    writeFileSync(plan, readFileSync(plan, 'utf8').replace('"threads = 8\\n"', '"threads = 9\\n"'));
    expect(readFileSync(plan, 'utf8')).toContain('threads = 9');
    await refusedApply(plan, /the signature does not verify against this plan's content: the plan changed after it was signed/);
  });

  it('a signature whose bytes were flipped', async () => {
    const plan = copyPlan();
    expect((await approve(plan, 'alice')).code).toBe(0);
    const doc = readPlan(plan);
    const sig = doc.approvals![0].signature;
    const blob = Buffer.from(sig.split('\n').slice(1, -2).join(''), 'base64');
    blob[blob.length - 5] ^= 0x40;
    doc.approvals![0].signature = `-----BEGIN SSH SIGNATURE-----\n${blob.toString('base64')}\n-----END SSH SIGNATURE-----\n`;
    writeFileSync(plan, JSON.stringify(doc, null, 2));
    await refusedApply(plan, /approval 1 by key SHA256:\S+: the signature does not verify/);
  });

  it('a signature made for another namespace (ssh-keygen -Y sign -n file)', async () => {
    const plan = copyPlan();
    addSshKeygenApproval(plan, 'carol', 'file');
    await refusedApply(plan, /approval 1 by key SHA256:\S+: it was made for namespace "file", not "mtafleet-plan"/);
  });

  it('fewer distinct approvers than --min-approvals', async () => {
    const plan = copyPlan();
    expect((await approve(plan, 'alice')).code).toBe(0);
    await refusedApply(plan, /needs 2 approval\(s\) from \S+allowed_signers and has 1 valid approval\(s\) \(alice@example.com\)/, ['--min-approvals', '2']);
  });

  it('a malformed allowed_signers file is bad input (exit 1) with file, line and what is wrong', async () => {
    const plan = copyPlan();
    expect((await approve(plan, 'alice')).code).toBe(0);
    const bad = fx.write('bad_signers', `alice@example.com ${pub('alice')}\nbob@example.com cert-authority ${pub('bob')}\n`);
    const before = connections();
    const r = await fx.cli(['apply', plan, '--require-approval', bad, '--yes']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/bad_signers:2: cert-authority is not supported/);
    expect(connections()).toBe(before);
    const noMin = await fx.cli(['apply', plan, '--min-approvals', '2', '--yes']);
    expect(noMin.code).toBe(1);
    expect(noMin.stderr).toMatch(/--min-approvals needs --require-approval/);
  });
});

describe('an approved plan applies, and its signers are in the run record', () => {
  it('signed by `mtafleet approve` (ed25519) and `ssh-keygen -Y sign` (ecdsa): applied; runs shows both', async () => {
    const plan = copyPlan();
    expect((await approve(plan, 'alice', ['--identity', 'alice@example.com'])).code).toBe(0);
    addSshKeygenApproval(plan, 'carol');
    const r = await fx.cli(['apply', plan, '--require-approval', allowed, '--min-approvals', '2', '--yes', '--format', 'json']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stderr).toMatch(/approved by alice@example.com \(ssh-ed25519 SHA256:\S+\), carol@example.com \(ecdsa-sha2-nistp256 SHA256:\S+\)/);
    expect(readFileSync(join(target, 'app.conf'), 'utf8')).toBe('threads = 8\n');
    const runId = (JSON.parse(r.stdout) as { runId: string }).runId;
    const doc = readPlan(plan);
    const expected = [
      { principal: 'alice@example.com', key: doc.approvals![0].key, keyType: 'ssh-ed25519' },
      { principal: 'carol@example.com', key: expect.stringMatching(/^SHA256:[A-Za-z0-9+/]{43}$/), keyType: 'ecdsa-sha2-nistp256' },
    ];
    const one = await fx.cli(['runs', runId, '--format', 'json']);
    expect(one.code, one.stderr).toBe(0);
    expect((JSON.parse(one.stdout) as { signers: unknown }).signers).toEqual(expected);
    const carolFp = spawnSync('ssh-keygen', ['-l', '-f', `${key('carol')}.pub`]).stdout.toString().split(' ')[1];
    expect((JSON.parse(one.stdout) as { signers: Array<{ key: string }> }).signers[1].key).toBe(carolFp);
    const list = await fx.cli(['runs', '--format', 'json']);
    expect((JSON.parse(list.stdout) as Array<{ runId: string; signers?: unknown }>).find((x) => x.runId === runId)?.signers).toEqual(expected);
    const text = await fx.cli(['runs', runId]);
    expect(text.stdout).toContain(`  approved by alice@example.com (ssh-ed25519 ${doc.approvals![0].key})`);
    expect(text.stdout).toContain(`  approved by carol@example.com (ecdsa-sha2-nistp256 ${carolFp})`);
    const lines = await fx.cli(['runs']);
    expect(lines.stdout).toMatch(new RegExp(`${runId} .* approved by alice@example.com, carol@example.com`));
    // The history store has the approvals and the journal too (issue 16: team runs).
    const store = await openStore({ backend: 'sqlite', file: join(fx.stateDir, 'history.sqlite') });
    try {
      expect((await store.approvals([runId])).get(runId)).toEqual(expect.arrayContaining(expected));
      expect((await store.approvals([runId])).get(runId)).toHaveLength(2);
      const journal = await store.journal(runId);
      expect([...journal.keys()]).toHaveLength(1);
      expect([...journal.values()][0]).toEqual({ text: expect.stringContaining('"type":"intent"') });
    } finally {
      await store.close();
    }
  }, 120_000);
});
