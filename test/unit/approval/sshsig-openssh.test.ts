/**
 * SSHSIG signatures against OpenSSH's own ssh-keygen, both ways, for ed25519, RSA and ECDSA keys
 * (plain and encrypted): ours verify with `ssh-keygen -Y verify`, theirs with ours. Then the
 * apply gate's judgement on wrong signers, namespaces, principals, validity windows and
 * altered bytes.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  approvalMessage,
  judgeApprovals,
  keyFingerprint,
  parseAllowedSigners,
  parseSshsig,
  PLAN_NAMESPACE,
  requireApprovals,
  signSshsig,
  verifySshsig,
  type Approval,
} from '../../../src/approval/index.js';
import { parsePrivateKey, type SigningKey } from '../../../src/transport/private-key.js';
import { RefusedError } from '../../../src/util/errors.js';

const PASS = 'correct horse';
const KEYS = [
  { name: 'ed25519', args: ['-t', 'ed25519'], encrypted: false },
  { name: 'ed25519-enc', args: ['-t', 'ed25519'], encrypted: true },
  { name: 'rsa', args: ['-t', 'rsa', '-b', '3072'], encrypted: false },
  { name: 'rsa-enc', args: ['-t', 'rsa', '-b', '3072'], encrypted: true },
  { name: 'ecdsa', args: ['-t', 'ecdsa', '-b', '256'], encrypted: false },
  { name: 'ecdsa-enc', args: ['-t', 'ecdsa', '-b', '256'], encrypted: true },
  { name: 'ecdsa384', args: ['-t', 'ecdsa', '-b', '384'], encrypted: false },
  { name: 'ecdsa521', args: ['-t', 'ecdsa', '-b', '521'], encrypted: false },
];

let dir: string;
const digest = 'ab'.repeat(32);
const message = approvalMessage(digest);
const pubLine = (name: string) => readFileSync(join(dir, `${name}.pub`), 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
const keyOf = (name: string, passphrase?: string): SigningKey => {
  const r = parsePrivateKey(readFileSync(join(dir, name)), passphrase);
  if (!('key' in r)) throw new Error(`${name}: ${JSON.stringify(r)}`);
  return r.key;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mtaf-sshsig-'));
  for (const k of KEYS) execFileSync('ssh-keygen', ['-q', ...k.args, '-N', k.encrypted ? PASS : '', '-C', `${k.name}@test`, '-f', join(dir, k.name)]);
  writeFileSync(join(dir, 'message'), message);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('interoperates with ssh-keygen -Y', () => {
  for (const k of KEYS) {
    it(`${k.name}: our signature passes ssh-keygen -Y verify, and ssh-keygen -Y sign passes ours`, () => {
      const key = keyOf(k.name, k.encrypted ? PASS : undefined);
      expect(key.publicBlob.toString('base64')).toBe(pubLine(k.name).split(' ')[1]);
      const ours = signSshsig(message, PLAN_NAMESPACE, key);
      expect(ours).toMatch(/^-----BEGIN SSH SIGNATURE-----\n[A-Za-z0-9+/=\n]+\n-----END SSH SIGNATURE-----\n$/);
      writeFileSync(join(dir, `${k.name}.ours`), ours);
      writeFileSync(join(dir, `allowed-${k.name}`), `alice@example.com ${pubLine(k.name)}\n`);
      const verify = (sig: string, ns = PLAN_NAMESPACE) =>
        spawnSync('ssh-keygen', ['-Y', 'verify', '-f', join(dir, `allowed-${k.name}`), '-I', 'alice@example.com', '-n', ns, '-s', sig], { input: message });
      const good = verify(join(dir, `${k.name}.ours`));
      expect(good.status, good.stderr.toString()).toBe(0);
      expect(good.stdout.toString()).toContain(`Good "${PLAN_NAMESPACE}" signature for alice@example.com`);
      expect(good.stdout.toString()).toContain(keyFingerprint(key.publicBlob));
      // ssh-keygen agrees it is bound to the namespace and the message.
      expect(verify(join(dir, `${k.name}.ours`), 'file').status).not.toBe(0);
      const other = spawnSync('ssh-keygen', ['-Y', 'verify', '-f', join(dir, `allowed-${k.name}`), '-I', 'alice@example.com', '-n', PLAN_NAMESPACE, '-s', join(dir, `${k.name}.ours`)], {
        input: approvalMessage('cd'.repeat(32)),
      });
      expect(other.status).not.toBe(0);

      const signed = spawnSync('ssh-keygen', ['-Y', 'sign', '-f', join(dir, k.name), '-n', PLAN_NAMESPACE, ...(k.encrypted ? ['-P', PASS] : [])], { input: message });
      expect(signed.status, signed.stderr.toString()).toBe(0);
      const theirs = parseSshsig(signed.stdout.toString());
      expect(theirs.publicKey.equals(key.publicBlob)).toBe(true);
      expect(verifySshsig(theirs, message, PLAN_NAMESPACE)).toEqual({ ok: true, keyType: key.type, fingerprint: keyFingerprint(key.publicBlob) });
      expect(verifySshsig(theirs, approvalMessage('cd'.repeat(32)), PLAN_NAMESPACE)).toMatchObject({ ok: false, reason: 'the signature does not verify' });
    });
  }

  it('ssh-keygen signatures with sha256 (-O hashalg=sha256) verify too', () => {
    const signed = spawnSync('ssh-keygen', ['-Y', 'sign', '-f', join(dir, 'ed25519'), '-n', PLAN_NAMESPACE, '-O', 'hashalg=sha256'], { input: message });
    expect(signed.status, signed.stderr.toString()).toBe(0);
    const sig = parseSshsig(signed.stdout.toString());
    expect(sig.hashAlgorithm).toBe('sha256');
    expect(verifySshsig(sig, message, PLAN_NAMESPACE).ok).toBe(true);
  });

  it('an encrypted key names the need for a passphrase, and a wrong one', () => {
    const data = readFileSync(join(dir, 'ed25519-enc'));
    expect(parsePrivateKey(data)).toEqual({ needsPassphrase: true });
    expect(parsePrivateKey(data, 'wrong')).toEqual({ problem: 'wrong passphrase (the key did not decrypt)' });
  });
});

describe('judging approvals against allowed_signers', () => {
  const approval = (name: string, extra: Partial<Approval> = {}, msg = message, ns = PLAN_NAMESPACE): Approval => {
    const key = keyOf(name, name.endsWith('-enc') ? PASS : undefined);
    return { key: keyFingerprint(key.publicBlob), keyType: key.type, signedAt: '2026-12-03T00:00:00Z', signature: signSshsig(msg, ns, key), ...extra };
  };
  const allowed = (text: string) => parseAllowedSigners(text, 'allowed_signers');
  const now = new Date('2026-12-03T12:00:00Z');

  it('an allowed key counts, with its line\'s principals or the identity it signed as', () => {
    const list = allowed(`# ops\nalice@example.com,al@example.com ${pubLine('ed25519')}\n*@example.com namespaces="mtafleet-plan" ${pubLine('rsa')} bob's key\n`);
    const v = judgeApprovals([approval('ed25519'), approval('rsa', { identity: 'bob@example.com' })], digest, list, now);
    expect(v.problems).toEqual([]);
    expect(v.signers).toEqual([
      { principal: 'alice@example.com,al@example.com', key: keyFingerprint(keyOf('ed25519').publicBlob), keyType: 'ssh-ed25519' },
      { principal: 'bob@example.com', key: keyFingerprint(keyOf('rsa').publicBlob), keyType: 'ssh-rsa' },
    ]);
  });

  it('a key not in the file, a wrong namespace, a changed message, flipped bytes and a wrong identity do not count, each with its reason', () => {
    const list = allowed(`alice@example.com ${pubLine('ed25519')}\ncarol@example.com namespaces="git,file" ${pubLine('ecdsa')}\n`);
    const flipped = approval('ed25519');
    // One bit of the raw signature bytes (the blob's last 64 bytes) flipped, armor kept.
    const blob = Buffer.from(flipped.signature.split('\n').slice(1, -2).join(''), 'base64');
    blob[blob.length - 20] ^= 0x01;
    flipped.signature = `-----BEGIN SSH SIGNATURE-----\n${blob.toString('base64')}\n-----END SSH SIGNATURE-----\n`;
    const v = judgeApprovals(
      [
        approval('rsa'),
        approval('ed25519', {}, message, 'file'),
        approval('ed25519', {}, approvalMessage('cd'.repeat(32))),
        flipped,
        approval('ed25519', { identity: 'mallory@example.com' }),
        approval('ecdsa'),
      ],
      digest,
      list,
      now,
    );
    expect(v.signers).toEqual([]);
    expect(v.problems[0]).toMatch(/^approval 1: key SHA256:\S+ is not an allowed signer \(not in allowed_signers\)$/);
    expect(v.problems[1]).toMatch(/^approval 2 by key SHA256:\S+: it was made for namespace "file", not "mtafleet-plan"$/);
    expect(v.problems[2]).toMatch(/approval 3 by key SHA256:\S+: the signature does not verify against this plan's content: the plan changed after it was signed/);
    expect(v.problems[3]).toMatch(/^approval 4 by key SHA256:\S+: the signature does not verify against this plan's content/);
    expect(v.problems[4]).toMatch(/^approval 5 \(mallory@example.com\): signed as "mallory@example.com", but allowed_signers:1 allows key SHA256:\S+ only for principals "alice@example.com"$/);
    expect(v.problems[5]).toMatch(/allowed_signers:2 allows key SHA256:\S+ only for namespaces "git,file", not mtafleet-plan$/);
  });

  it('valid-after and valid-before are honoured (UTC with Z)', () => {
    const a = approval('ed25519');
    const later = allowed(`alice@example.com valid-after="20270101Z" ${pubLine('ed25519')}\n`);
    expect(judgeApprovals([a], digest, later, now).problems[0]).toMatch(/is valid only after 2027-01-01T00:00:00.000Z/);
    const expired = allowed(`alice@example.com valid-before="202612010930Z" ${pubLine('ed25519')}\n`);
    expect(judgeApprovals([a], digest, expired, now).problems[0]).toMatch(/expired at 2026-12-01T09:30:00.000Z/);
    const window = allowed(`alice@example.com valid-after="20261201Z",valid-before="20261231235959Z" ${pubLine('ed25519')}\n`);
    expect(judgeApprovals([a], digest, window, now).signers.map((s) => s.principal)).toEqual(['alice@example.com']);
  });

  it('requireApprovals: unsigned, too few distinct approvers -> RefusedError (exit 3) naming the reason', () => {
    const list = allowed(`alice@example.com ${pubLine('ed25519')}\nbob@example.com ${pubLine('ecdsa')}\n`);
    const opts = { planFile: 'p.plan', allowedFile: 'allowed_signers', minApprovals: 2, now };
    expect(() => requireApprovals(undefined, digest, list, opts)).toThrow(/p\.plan is unsigned \(no approvals\)/);
    let err: unknown;
    try {
      requireApprovals([approval('ed25519'), approval('ed25519')], digest, list, opts);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RefusedError);
    expect((err as RefusedError).exitCode).toBe(3);
    expect((err as Error).message).toMatch(/needs 2 approval\(s\) from allowed_signers and has 1 valid approval\(s\) \(alice@example.com\)/);
    expect(requireApprovals([approval('ed25519'), approval('ecdsa')], digest, list, opts).signers.map((s) => s.principal)).toEqual(['alice@example.com', 'bob@example.com']);
  });

  it('one key under two names, or one name with two keys, is one approver', () => {
    const list = allowed(`*@example.com ${pubLine('ed25519')}\nalice@example.com ${pubLine('rsa')}\n`);
    const oneKey = judgeApprovals([approval('ed25519', { identity: 'alice@example.com' }), approval('ed25519', { identity: 'bob@example.com' })], digest, list, now);
    expect(oneKey.signers.map((s) => s.principal)).toEqual(['alice@example.com']);
    const oneName = judgeApprovals([approval('ed25519', { identity: 'alice@example.com' }), approval('rsa')], digest, list, now);
    expect(oneName.signers.map((s) => s.principal)).toEqual(['alice@example.com']);
    expect(oneName.problems).toEqual([]);
  });
});

describe('allowed_signers parsing: file, line and what is wrong', () => {
  const parse = (text: string) => () => parseAllowedSigners(text, '/etc/mtafleet/allowed_signers');
  it('names the line of each problem', () => {
    const good = pubLine('ed25519');
    expect(parse(`# c\n\nalice ${good}\nbob cert-authority ${good}\n`)).toThrow(/^\/etc\/mtafleet\/allowed_signers:4: cert-authority is not supported/);
    expect(parse(`alice frobnicate ${good}\n`)).toThrow(/allowed_signers:1: unknown option "frobnicate"/);
    expect(parse(`alice namespaces ${good}\n`)).toThrow(/allowed_signers:1: option namespaces needs a value/);
    expect(parse(`alice valid-after="2026-12-01" ${good}\n`)).toThrow(/allowed_signers:1: valid-after="2026-12-01" is not a time/);
    expect(parse(`alice valid-before="20261399Z" ${good}\n`)).toThrow(/allowed_signers:1: valid-before="20261399Z" is not a valid date/);
    expect(parse(`alice namespaces="mtafleet-plan ${good}\n`)).toThrow(/allowed_signers:1: unterminated double quote/);
    expect(parse(`alice\n`)).toThrow(/allowed_signers:1: expected "principals \[options\] keytype base64-key \[comment\]"/);
    expect(parse(`alice ssh-ed25519 not*base64\n`)).toThrow(/allowed_signers:1: the key after ssh-ed25519 is not base64/);
    expect(parse(`alice ssh-rsa ${good.split(' ')[1]}\n`)).toThrow(/allowed_signers:1: the line says ssh-rsa but the key is ssh-ed25519/);
    expect(parse(`alice ssh-ed25519 AAAA\n`)).toThrow(/allowed_signers:1: public key is truncated/);
    const sk = 'sk-ssh-ed25519@openssh.com ' + Buffer.concat([Buffer.from([0, 0, 0, 26]), Buffer.from('sk-ssh-ed25519@openssh.com')]).toString('base64');
    expect(parse(`alice ${sk}\n`)).toThrow(/allowed_signers:1: security-key \(sk-ssh-ed25519@openssh.com\) keys are not supported/);
  });
  it('reads quoted principals, case-insensitive options and comments', () => {
    const [s] = parseAllowedSigners(`"alice@example.com,bob@example.com" NAMESPACES="mtafleet-plan,git" ${pubLine('ecdsa')} a comment here\n`, 'f');
    expect(s).toMatchObject({ line: 1, principals: 'alice@example.com,bob@example.com', namespaces: 'mtafleet-plan,git', fingerprint: keyFingerprint(keyOf('ecdsa').publicBlob) });
  });
});

describe('hostile signatures', () => {
  it('no single-byte change of a valid signature blob is accepted, and none throws', async () => {
    const fc = await import('fast-check');
    const list = parseAllowedSigners(`alice@example.com ${pubLine('ecdsa')}\nbob@example.com ${pubLine('rsa')}\n`, 'allowed_signers');
    for (const name of ['ecdsa', 'rsa']) {
      const key = keyOf(name);
      const blob = Buffer.from(signSshsig(message, PLAN_NAMESPACE, key).split('\n').slice(1, -2).join(''), 'base64');
      fc.assert(
        fc.property(fc.nat(blob.length - 1), fc.integer({ min: 1, max: 255 }), (at, xor) => {
          const bad = Buffer.from(blob);
          bad[at] ^= xor;
          const a: Approval = { key: '', keyType: '', signedAt: '', signature: `-----BEGIN SSH SIGNATURE-----\n${bad.toString('base64')}\n-----END SSH SIGNATURE-----\n` };
          const v = judgeApprovals([a], digest, list, new Date());
          return v.signers.length === 0 && v.problems.length === 1;
        }),
        { numRuns: 300, seed: 14 },
      );
    }
  });
});
