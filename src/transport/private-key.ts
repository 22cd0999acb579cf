/**
 * OpenSSH private key files for signing (`mtafleet approve`): ssh2 parses the format, including
 * keys encrypted with a passphrase (bcrypt-pbkdf + aes). Only this folder talks to ssh2.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
// ssh2 is CommonJS: Node's ESM loader only sees its default export.
import ssh2 from 'ssh2';

export interface SigningKey {
  /** ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ... */
  type: string;
  /** The public key in SSH wire format (what a .pub file holds, base64-decoded). */
  publicBlob: Buffer;
  privateKey: KeyObject;
  comment: string;
}

export type PrivateKeyResult = { key: SigningKey } | { needsPassphrase: true } | { problem: string };

/** Parses an OpenSSH (or PEM) private key; an encrypted key without `passphrase` asks for one. */
export function parsePrivateKey(data: Buffer, passphrase?: string): PrivateKeyResult {
  const parsed = ssh2.utils.parseKey(data, passphrase);
  if (parsed instanceof Error) {
    if (passphrase === undefined && /encrypted/i.test(parsed.message) && /no passphrase/i.test(parsed.message)) return { needsPassphrase: true };
    if (/bad passphrase|integrity check failed/i.test(parsed.message)) return { problem: 'wrong passphrase (the key did not decrypt)' };
    return { problem: parsed.message };
  }
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key === undefined || !key.isPrivateKey()) return { problem: 'no private key in the file (a .pub file?)' };
  const pem = key.getPrivatePEM();
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (err) {
    return { problem: `key type ${key.type} cannot be used here: ${(err as Error).message}` };
  }
  return { key: { type: key.type, publicBlob: Buffer.from(key.getPublicSSH()), privateKey, comment: key.comment ?? '' } };
}
