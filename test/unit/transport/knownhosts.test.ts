import { describe, expect, it, afterAll } from 'vitest';
import { readFileSync, mkdtempSync, rmSync, writeFileSync, readFileSync as read } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  appendKnownHost,
  fingerprint,
  knownHostsLine,
  loadKnownHosts,
  parseKnownHosts,
  verifyHostKey,
} from '../../../src/transport/knownhosts.js';

const fx = (name: string): string => join(__dirname, '../../fixtures/transport', name);
const blob = (name: string): Buffer => Buffer.from(readFileSync(fx(`key_${name}.pub`), 'utf8').trim().split(' ')[1]!, 'base64');
const fingerprints = JSON.parse(readFileSync(fx('fingerprints.json'), 'utf8')) as Record<string, string>;
const known = parseKnownHosts(readFileSync(fx('known_hosts'), 'utf8'));
const ed = blob('ed25519');
const ec = blob('ecdsa');
const rsa = blob('rsa');
const other = blob('other');
const rev = blob('rev');

describe('parseKnownHosts', () => {
  it('keeps entries, skips comments and blank lines, reports bad lines with their number', () => {
    // plain, port, list, 3x multi, 2 hashed, wildcard, revoked, cert-authority
    expect(known.entries).toHaveLength(11);
    expect(known.invalid).toEqual([{ line: 15, reason: 'expected "hosts keytype key"' }]);
  });

  it('refuses a key whose blob does not match its declared type', () => {
    const text = `h.example ssh-rsa ${ed.toString('base64')}`;
    expect(parseKnownHosts(text).invalid[0]?.reason).toMatch(/does not decode as ssh-rsa/);
  });
});

describe('fingerprint', () => {
  it.each(['ed25519', 'ecdsa', 'rsa', 'other'])('matches ssh-keygen -l for %s', (name) => {
    expect(fingerprint(blob(name))).toBe(fingerprints[name]);
  });
});

describe('verifyHostKey', () => {
  const cases: Array<[string, string, number, Buffer, string]> = [
    ['plain host', 'plain.example.com', 22, ed, 'ok'],
    ['plain host name is case-insensitive', 'PLAIN.example.com', 22, ed, 'ok'],
    ['plain entry does not cover another port', 'plain.example.com', 2222, ed, 'unknown'],
    ['bracketed port', 'port.example.com', 2222, ed, 'ok'],
    ['bracketed entry does not cover port 22', 'port.example.com', 22, ed, 'unknown'],
    ['comma list, first', 'a.example.com', 22, ed, 'ok'],
    ['comma list, IP', '10.0.0.7', 22, ed, 'ok'],
    ['multiple key types: ed25519', 'multi.example.com', 22, ed, 'ok'],
    ['multiple key types: ecdsa', 'multi.example.com', 22, ec, 'ok'],
    ['multiple key types: rsa', 'multi.example.com', 22, rsa, 'ok'],
    ['hashed entry', 'hashed.example.com', 22, ed, 'ok'],
    ['hashed entry with port', 'hashed.example.com', 2222, ec, 'ok'],
    ['hashed host with a different key of the same type', 'hashed.example.com', 22, other, 'changed'],
    ['hashed host known only with another key type', 'hashed.example.com', 22, ec, 'unknown'],
    ['changed key of the same type', 'plain.example.com', 22, other, 'changed'],
    ['known host, key type never recorded', 'plain.example.com', 22, rsa, 'unknown'],
    ['wildcard', 'mx1.wild.example.com', 22, ed, 'ok'],
    ['negated pattern excludes the host', 'bad.wild.example.com', 22, ed, 'unknown'],
    ['unknown host', 'nowhere.example.com', 22, ed, 'unknown'],
    ['revoked key anywhere', 'plain.example.com', 22, rev, 'revoked'],
    ['cert-authority lines are not host keys', 'ca.example.com', 22, other, 'unknown'],
  ];
  it.each(cases)('%s', (_label, host, port, key, status) => {
    expect(verifyHostKey(known, host, port, key).status).toBe(status);
  });

  it('gives the fingerprint, key type and the line of the recorded key for a changed key', () => {
    expect(verifyHostKey(known, 'plain.example.com', 22, other)).toEqual({
      status: 'changed',
      fingerprint: fingerprints.other,
      keyType: 'ssh-ed25519',
      knownLine: 3,
    });
  });
});

describe('known_hosts file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mtaf-tr-kh-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes [host]:port for non-standard ports and host alone for 22', () => {
    expect(knownHostsLine('10.1.1.1', 2200, ed)).toBe(`[10.1.1.1]:2200 ssh-ed25519 ${ed.toString('base64')}`);
    expect(knownHostsLine('10.1.1.1', 22, ed).startsWith('10.1.1.1 ssh-ed25519 ')).toBe(true);
  });

  it('a missing file is empty', async () => {
    expect((await loadKnownHosts(join(dir, 'absent'))).entries).toEqual([]);
  });

  it('parallel appends write each key once, on whole lines, and the cache sees them', async () => {
    const file = join(dir, 'known_hosts');
    writeFileSync(file, `plain.example.com ${readFileSync(fx('key_ed25519.pub'), 'utf8').trim()}`); // no trailing newline
    const keys = [ed, ec, rsa, other];
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => appendKnownHost(file, `h${i % 10}.example`, 2200 + (i % 10), keys[(i % 10) % 4]!)),
    );
    const lines = read(file, 'utf8').trim().split('\n');
    // 1 existing + 10 hosts (each host index always pairs with the same key).
    expect(lines).toHaveLength(11);
    const reparsed = parseKnownHosts(read(file, 'utf8'));
    expect(reparsed.invalid).toEqual([]);
    for (let i = 0; i < 10; i++) {
      expect(verifyHostKey(reparsed, `h${i}.example`, 2200 + i, keys[i % 4]!).status).toBe('ok');
    }
    const cached = await loadKnownHosts(file);
    expect(verifyHostKey(cached, 'h3.example', 2203, keys[3]!).status).toBe('ok');
  });

  it('re-reads the file when it changed on disk', async () => {
    const file = join(dir, 'kh2');
    writeFileSync(file, '');
    expect(verifyHostKey(await loadKnownHosts(file), 'x.example', 22, ed).status).toBe('unknown');
    writeFileSync(file, `x.example ssh-ed25519 ${ed.toString('base64')}\n`);
    expect(verifyHostKey(await loadKnownHosts(file), 'x.example', 22, ed).status).toBe('ok');
  });

  it('parses the file once for the connections that ask at the same time (--forks start together)', async () => {
    const file = join(dir, 'kh3');
    writeFileSync(file, Array.from({ length: 500 }, (_, i) => `h${i}.example ssh-ed25519 ${ed.toString('base64')}`).join('\n') + '\n');
    const all = await Promise.all(Array.from({ length: 20 }, () => loadKnownHosts(file)));
    // One parse: every caller gets the same result object.
    expect(new Set(all).size).toBe(1);
    expect(all[0]!.entries).toHaveLength(500);
    // Changed on disk after it: parsed again.
    writeFileSync(file, `x.example ssh-ed25519 ${ed.toString('base64')}\n`);
    expect((await loadKnownHosts(file)).entries).toHaveLength(1);
  });
});

describe('known_hosts at fleet size', () => {
  it('verifies 1000 hosts against a 3000-line file quickly', () => {
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) lines.push(`[10.${i >> 8}.${i & 255}.1]:22${i % 10},mta${i}.example ssh-ed25519 ${ed.toString('base64')}`);
    const big = parseKnownHosts(lines.join('\n'));
    const started = Date.now();
    for (let i = 0; i < 1000; i++) {
      expect(verifyHostKey(big, `mta${i * 3}.example`, 22, ed).status).toBe('ok');
    }
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});

describe('known_hosts lookups by name (the index)', () => {
  it('finds plain names in any case, hashed and wildcard entries too, in file order, and sees appended entries', () => {
    const k = parseKnownHosts(
      [
        `*.example ssh-rsa ${rsa.toString('base64')}`,
        `MTA1.example,mta2.example ssh-ed25519 ${ed.toString('base64')}`,
        `mta1.example ecdsa-sha2-nistp256 ${ec.toString('base64')}`,
        `!mta3.example,mta* ssh-ed25519 ${other.toString('base64')}`,
      ].join('\n'),
    );
    expect(verifyHostKey(k, 'mta1.EXAMPLE', 22, ed).status).toBe('ok');
    expect(verifyHostKey(k, 'mta1.example', 22, ec).status).toBe('ok');
    expect(verifyHostKey(k, 'mta1.example', 22, rsa).status).toBe('ok');
    // The first recorded key of the type, by line: the wildcard line 1 before the plain line 2.
    expect(verifyHostKey(k, 'mta2.example', 22, blob('rev'))).toMatchObject({ status: 'changed', knownLine: 2 });
    // The negated pattern excludes mta3 from line 4 only.
    expect(verifyHostKey(k, 'mta3.example', 22, other).status).toBe('unknown');
    expect(verifyHostKey(k, 'mta4.example', 22, other).status).toBe('ok');
    expect(verifyHostKey(k, 'host9.other', 22, ed).status).toBe('unknown');
    k.entries.push(...parseKnownHosts(`host9.other ssh-ed25519 ${ed.toString('base64')}`).entries);
    expect(verifyHostKey(k, 'host9.other', 22, ed).status).toBe('ok');
  });
});
