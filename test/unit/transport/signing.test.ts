import ssh2, { type AnyAuthMethod, type ParsedKey } from 'ssh2';
import { describe, expect, it, vi } from 'vitest';
import { signWithKeyObjects } from '../../../src/transport/ssh.js';

const { utils } = ssh2;

function parsed(privateKey: string): ParsedKey {
  const key = utils.parseKey(privateKey);
  if (key instanceof Error || Array.isArray(key)) throw new Error('test key did not parse as one key');
  return key;
}

const KEYS = [
  { type: 'ed25519', opts: {} },
  { type: 'ecdsa', opts: { bits: 256 } },
  { type: 'ecdsa', opts: { bits: 521 } },
  { type: 'rsa', opts: { bits: 2048 } },
] as const;

describe('signWithKeyObjects', () => {
  it.each(KEYS)('signs like ssh2 does ($type $opts.bits), for the default and the asked-for hash', ({ type, opts }) => {
    const pair = utils.generateKeyPairSync(type as 'ed25519', opts as never);
    const reference = parsed(pair.private);
    const fast = parsed(pair.private);
    const methods: AnyAuthMethod[] = [{ type: 'publickey', username: 'root', key: fast }];
    // ssh2's own (PEM-parsing) sign, watched from before the wrap: it must not be used
    const ssh2Sign = vi.spyOn(Object.getPrototypeOf(fast) as ParsedKey, 'sign');
    signWithKeyObjects(methods);
    expect(Object.hasOwn(fast, 'sign')).toBe(true); // replaced on this key only
    const data = Buffer.from('session id and userauth request');
    const hashes = type === 'rsa' ? [undefined, 'sha256', 'sha512'] : [undefined];
    for (const hash of hashes) {
      const signature = fast.sign(data, hash);
      expect(ssh2Sign).not.toHaveBeenCalled();
      expect(signature).toBeInstanceOf(Buffer);
      expect(reference.verify(data, signature, hash)).toBe(true);
      expect(reference.verify(Buffer.from('other data'), signature, hash)).toBe(false);
      // deterministic schemes give ssh2's exact bytes
      if (type !== 'ecdsa') expect(signature.equals(reference.sign(data, hash))).toBe(true);
      ssh2Sign.mockClear();
    }
    ssh2Sign.mockRestore();
  });

  it('leaves other auth methods alone', () => {
    const methods: AnyAuthMethod[] = [
      { type: 'password', username: 'root', password: 'x' },
      { type: 'agent', username: 'root', agent: '/tmp/none' },
    ];
    const before = JSON.stringify(methods);
    signWithKeyObjects(methods);
    expect(JSON.stringify(methods)).toBe(before);
  });
});
