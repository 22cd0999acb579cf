/**
 * SSH signatures in OpenSSH's SSHSIG format (PROTOCOL.sshsig), the armored text
 * `ssh-keygen -Y sign` writes and `ssh-keygen -Y verify` reads:
 *
 *   blob   = "SSHSIG" || uint32 1 || string publickey || string namespace || string reserved("")
 *            || string hash_algorithm || string signature
 *   signed = "SSHSIG" || string namespace || string reserved("") || string hash_algorithm
 *            || string H(message)
 *
 * `signature` is an SSH signature (string algorithm || string bytes): ssh-ed25519, rsa-sha2-512
 * (or -256 when verifying), ecdsa-sha2-nistp* with r,s as mpints. Pure: keys come in as KeyObjects.
 */
import { createHash, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { ecdsaParams, keyFingerprint, parsePublicKeyBlob } from './ssh-public-key.js';
import { mpint, sshString, u32, WireReader } from './wire.js';

const MAGIC = Buffer.from('SSHSIG');
const BEGIN = '-----BEGIN SSH SIGNATURE-----';
const END = '-----END SSH SIGNATURE-----';

export interface SshSig {
  publicKey: Buffer;
  namespace: string;
  hashAlgorithm: string;
  /** The SSH signature: algorithm name and raw signature bytes. */
  sigAlgorithm: string;
  sigBytes: Buffer;
}

function signedData(namespace: string, hashAlgorithm: string, message: Buffer): Buffer {
  const h = createHash(hashAlgorithm).update(message).digest();
  return Buffer.concat([MAGIC, sshString(namespace), sshString(''), sshString(hashAlgorithm), sshString(h)]);
}

/** The SSH signature algorithm and node:crypto digest for a key type. */
function signatureScheme(keyType: string): { alg: string; digest: string | null } {
  if (keyType === 'ssh-ed25519') return { alg: 'ssh-ed25519', digest: null };
  if (keyType === 'ssh-rsa') return { alg: 'rsa-sha2-512', digest: 'sha512' };
  const ec = ecdsaParams(keyType);
  if (ec) return { alg: keyType, digest: ec.hash };
  throw new Error(`key type ${keyType} cannot sign mtafleet plans (supported: ed25519, rsa, ecdsa)`);
}

/** Signs `message` as `ssh-keygen -Y sign -n NAMESPACE` does (hash sha512); returns the armored text. */
export function signSshsig(message: Buffer, namespace: string, key: { type: string; publicBlob: Buffer; privateKey: KeyObject }): string {
  const hashAlgorithm = 'sha512';
  const data = signedData(namespace, hashAlgorithm, message);
  const scheme = signatureScheme(key.type);
  let raw: Buffer;
  const ec = ecdsaParams(key.type);
  if (ec) {
    const rs = cryptoSign(scheme.digest, data, { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
    raw = Buffer.concat([mpint(rs.subarray(0, ec.size)), mpint(rs.subarray(ec.size))]);
  } else {
    raw = cryptoSign(scheme.digest, data, key.privateKey);
  }
  const blob = Buffer.concat([
    MAGIC,
    u32(1),
    sshString(key.publicBlob),
    sshString(namespace),
    sshString(''),
    sshString(hashAlgorithm),
    sshString(Buffer.concat([sshString(scheme.alg), sshString(raw)])),
  ]);
  return armor(blob);
}

function armor(blob: Buffer): string {
  const b64 = blob.toString('base64');
  const lines = b64.match(/.{1,70}/g) ?? [];
  return `${BEGIN}\n${lines.join('\n')}\n${END}\n`;
}

/** Parses armored SSHSIG text; throws an Error naming what is wrong. */
export function parseSshsig(text: string): SshSig {
  const t = text.trim();
  if (!t.startsWith(BEGIN) || !t.endsWith(END)) throw new Error(`not an SSH signature (no "${BEGIN}" ... "${END}" armor)`);
  const body = t.slice(BEGIN.length, t.length - END.length).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) throw new Error('the SSH signature is not valid base64');
  const blob = Buffer.from(body, 'base64');
  const r = new WireReader(blob, 'SSH signature');
  if (!r.bytes(6, 'magic').equals(MAGIC)) throw new Error('not an SSH signature (no SSHSIG magic)');
  const version = r.u32('version');
  if (version !== 1) throw new Error(`SSH signature version ${version} is not supported (only 1)`);
  const publicKey = Buffer.from(r.string('public key'));
  const namespace = r.text('namespace');
  r.string('reserved');
  const hashAlgorithm = r.text('hash algorithm');
  const sig = new WireReader(r.string('signature'), 'SSH signature');
  r.end();
  const sigAlgorithm = sig.text('signature algorithm');
  const sigBytes = Buffer.from(sig.string('signature bytes'));
  sig.end();
  return { publicKey, namespace, hashAlgorithm, sigAlgorithm, sigBytes };
}

export type SshsigVerdict = { ok: true; keyType: string; fingerprint: string } | { ok: false; reason: string; fingerprint?: string };

/**
 * Checks a parsed signature over `message` in `namespace`, with the key the signature carries
 * (whether that key is allowed is the caller's question). Never throws.
 */
export function verifySshsig(sig: SshSig, message: Buffer, namespace: string): SshsigVerdict {
  const fingerprint = keyFingerprint(sig.publicKey);
  let pub;
  try {
    pub = parsePublicKeyBlob(sig.publicKey);
  } catch (err) {
    return { ok: false, reason: `its key: ${(err as Error).message}`, fingerprint };
  }
  if (sig.namespace !== namespace) return { ok: false, reason: `it was made for namespace "${sig.namespace}", not "${namespace}"`, fingerprint };
  if (sig.hashAlgorithm !== 'sha512' && sig.hashAlgorithm !== 'sha256') {
    return { ok: false, reason: `hash algorithm "${sig.hashAlgorithm}" is not supported (sha512 or sha256)`, fingerprint };
  }
  const data = signedData(namespace, sig.hashAlgorithm, message);
  let good: boolean;
  try {
    if (pub.type === 'ssh-ed25519') {
      if (sig.sigAlgorithm !== 'ssh-ed25519') return { ok: false, reason: `signature algorithm ${sig.sigAlgorithm} does not match its ed25519 key`, fingerprint };
      good = cryptoVerify(null, data, pub.key, sig.sigBytes);
    } else if (pub.type === 'ssh-rsa') {
      const digest = sig.sigAlgorithm === 'rsa-sha2-512' ? 'sha512' : sig.sigAlgorithm === 'rsa-sha2-256' ? 'sha256' : null;
      if (digest === null) return { ok: false, reason: `signature algorithm ${sig.sigAlgorithm} is refused for rsa keys (rsa-sha2-512 or rsa-sha2-256; ssh-rsa means SHA-1)`, fingerprint };
      good = cryptoVerify(digest, data, pub.key, sig.sigBytes);
    } else {
      const ec = pub.ecdsa!;
      if (sig.sigAlgorithm !== pub.type) return { ok: false, reason: `signature algorithm ${sig.sigAlgorithm} does not match its ${pub.type} key`, fingerprint };
      const rs = new WireReader(sig.sigBytes, 'ecdsa signature');
      const r = rs.mpint('r');
      const s = rs.mpint('s');
      rs.end();
      if (r.length > ec.size || s.length > ec.size) return { ok: false, reason: 'the ecdsa signature is malformed', fingerprint };
      const p1363 = Buffer.concat([Buffer.alloc(ec.size - r.length), r, Buffer.alloc(ec.size - s.length), s]);
      good = cryptoVerify(ec.hash, data, { key: pub.key, dsaEncoding: 'ieee-p1363' }, p1363);
    }
  } catch (err) {
    return { ok: false, reason: `the signature is malformed: ${(err as Error).message}`, fingerprint };
  }
  if (!good) return { ok: false, reason: 'the signature does not verify', fingerprint };
  return { ok: true, keyType: pub.type, fingerprint };
}
