/**
 * SSH public keys (wire blobs, as in .pub files and allowed_signers): their type, SHA256
 * fingerprint, and a node:crypto KeyObject to verify with. Pure, no ssh2: built from JWK.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { WireReader } from './wire.js';

/** Key types mtafleet signatures may use (the ones ssh-keygen -Y sign makes from plain keys). */
export const SUPPORTED_KEY_TYPES = ['ssh-ed25519', 'ssh-rsa', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521'] as const;

const CURVES: Record<string, { jwk: string; hash: string; size: number }> = {
  nistp256: { jwk: 'P-256', hash: 'sha256', size: 32 },
  nistp384: { jwk: 'P-384', hash: 'sha384', size: 48 },
  nistp521: { jwk: 'P-521', hash: 'sha512', size: 66 },
};

export interface SshPublicKey {
  type: string;
  blob: Buffer;
  key: KeyObject;
  /** For ECDSA: the curve's hash and coordinate size (signatures are r,s mpints). */
  ecdsa?: { hash: string; size: number };
}

/** `SHA256:` + unpadded base64 of sha256(blob): what `ssh-keygen -l` prints. */
export function keyFingerprint(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

const b64url = (b: Buffer) => b.toString('base64url');

/** Parses a public key blob; throws an Error in plain words for anything else. */
export function parsePublicKeyBlob(blob: Buffer): SshPublicKey {
  const r = new WireReader(blob, 'public key');
  const type = r.text('key type');
  if (type === 'ssh-ed25519') {
    const pub = r.string('ed25519 key');
    r.end();
    if (pub.length !== 32) throw new Error(`ed25519 key is ${pub.length} bytes, not 32`);
    return { type, blob, key: createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(pub) }, format: 'jwk' }) };
  }
  if (type === 'ssh-rsa') {
    const e = r.mpint('rsa exponent');
    const n = r.mpint('rsa modulus');
    r.end();
    if (n.length * 8 < 1024) throw new Error(`rsa key of ${n.length * 8} bits is too small (OpenSSH requires 1024 or more)`);
    return { type, blob, key: createPublicKey({ key: { kty: 'RSA', n: b64url(n), e: b64url(e) }, format: 'jwk' }) };
  }
  const m = /^ecdsa-sha2-(nistp256|nistp384|nistp521)$/.exec(type);
  if (m) {
    const curve = CURVES[m[1]];
    const ident = r.text('curve name');
    if (ident !== m[1]) throw new Error(`key type ${type} names curve ${ident}`);
    const point = r.string('ecdsa point');
    r.end();
    if (point.length !== 1 + 2 * curve.size || point[0] !== 4) throw new Error(`ecdsa point is not an uncompressed ${m[1]} point`);
    const x = point.subarray(1, 1 + curve.size);
    const y = point.subarray(1 + curve.size);
    return { type, blob, key: createPublicKey({ key: { kty: 'EC', crv: curve.jwk, x: b64url(x), y: b64url(y) }, format: 'jwk' }), ecdsa: { hash: curve.hash, size: curve.size } };
  }
  if (type.startsWith('sk-')) throw new Error(`security-key (${type}) keys are not supported by mtafleet: use an ed25519, rsa or ecdsa key`);
  if (type.includes('-cert-')) throw new Error(`certificates (${type}) are not supported by mtafleet: use the plain key`);
  throw new Error(`key type ${type} is not supported (supported: ${SUPPORTED_KEY_TYPES.join(', ')})`);
}

/** The ECDSA parameters of a key type, for signing with a private key. */
export function ecdsaParams(type: string): { hash: string; size: number } | undefined {
  const m = /^ecdsa-sha2-(nistp256|nistp384|nistp521)$/.exec(type);
  return m ? { hash: CURVES[m[1]].hash, size: CURVES[m[1]].size } : undefined;
}
