/**
 * Ansible Vault (formats 1.1 and 1.2, cipher AES256), read-only: the vault passwords given on
 * the command line (--vault-password-file, --vault-id, --ask-vault-pass,
 * ANSIBLE_VAULT_PASSWORD_FILE) and decryption of whole vaulted files and inline `!vault` values.
 *
 *   $ANSIBLE_VAULT;1.1;AES256            or  $ANSIBLE_VAULT;1.2;AES256;LABEL
 *   hex( hex(salt) \n hex(hmac) \n hex(ciphertext) ), in lines of 80
 *
 * PBKDF2-HMAC-SHA256 (10000 iterations) of the password over the 32-byte salt gives 80 bytes:
 * the AES-256-CTR key, the HMAC-SHA256 key and the 16-byte counter block. The HMAC of the
 * ciphertext is checked before anything is decrypted; the plaintext is PKCS#7-padded.
 *
 * Whatever a vault holds is a secret: callers wrap it in Secret, and no message here ever
 * includes a password, a plaintext or the ciphertext.
 */
import { createDecipheriv, createCipheriv, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { InputError } from '../util/errors.js';
import { Secret } from '../util/secret.js';
import type { Problem, RawVar } from './raw.js';

export const VAULT_HEADER = '$ANSIBLE_VAULT';
const ITERATIONS = 10_000;
const KEY_BYTES = 32;
const IV_BYTES = 16;
export const MAX_PASSWORD_FILE_BYTES = 64 * 1024;
export const SCRIPT_TIMEOUT_MS = 60_000;

/** A vault problem in plain words (the caller adds the file and line); bad input, exit 1. */
export class VaultError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = 'VaultError';
  }
}

/** One vault password and where it came from (a file name or "prompt"; never the password). */
export interface VaultPassword {
  /** The vault id label ("default" when none was given). */
  label: string;
  password: Secret;
  source: string;
}

/** The vault passwords of one run; empty when none was given. */
export class VaultKeyring {
  constructor(readonly passwords: VaultPassword[] = []) {}

  get empty(): boolean {
    return this.passwords.length === 0;
  }

  /** Decrypts vault text (whole file or inline value) to its plaintext bytes, or throws VaultError. */
  decrypt(text: string): Buffer {
    const envelope = parseVaultEnvelope(text);
    if (this.empty) {
      const label = envelope.label ? ` (vault id "${envelope.label}")` : '';
      throw new VaultError(`no vault password was given${label}: use --vault-password-file FILE, --vault-id [LABEL@]FILE, --ask-vault-pass or ANSIBLE_VAULT_PASSWORD_FILE`);
    }
    // Ansible tries the password whose label matches first, then the others.
    const ordered = envelope.label ? [...this.passwords.filter((p) => p.label === envelope.label), ...this.passwords.filter((p) => p.label !== envelope.label)] : this.passwords;
    for (const p of ordered) {
      const plain = decryptEnvelope(envelope, Buffer.from(p.password.reveal(), 'utf8'));
      if (plain !== undefined) return plain;
    }
    const tried = ordered.length === 1 ? 'the vault password given' : `any of the ${ordered.length} vault passwords given`;
    throw new VaultError(`HMAC mismatch: wrong vault password? (${tried} does not open this vault)`);
  }
}

export interface VaultEnvelope {
  version: '1.1' | '1.2';
  label?: string;
  salt: Buffer;
  hmac: Buffer;
  ciphertext: Buffer;
}

/** Is this text (a whole file or a value) vault-encrypted? As Ansible: it starts with the header. */
export function isVaulted(text: string): boolean {
  return text.startsWith(VAULT_HEADER);
}

/** Parses the envelope, refusing anything malformed in plain words (never quoting the data). */
export function parseVaultEnvelope(text: string): VaultEnvelope {
  const lines = text.split(/\r?\n/);
  const header = lines[0].trim().split(';').map((s) => s.trim());
  if (header[0] !== VAULT_HEADER || header.length < 3) throw new VaultError('malformed vault header: expected "$ANSIBLE_VAULT;1.1;AES256" or "$ANSIBLE_VAULT;1.2;AES256;LABEL"');
  const version = header[1];
  if (version !== '1.1' && version !== '1.2') throw new VaultError(`unsupported vault format version "${version}" (mtafleet reads 1.1 and 1.2)`);
  if (header[2] !== 'AES256') throw new VaultError(`unsupported vault cipher "${header[2]}" (mtafleet reads AES256)`);
  const label = header.length >= 4 && header[3] !== '' ? header[3] : undefined;
  const body = lines.slice(1).map((l) => l.trim()).join('');
  if (body === '') throw new VaultError('the vault has a header but no encrypted data (truncated?)');
  const inner = unhex(body, 'the vault data').toString('latin1').split('\n');
  if (inner.length !== 3) throw new VaultError('malformed vault data: expected salt, HMAC and ciphertext (truncated or corrupted?)');
  const salt = unhex(inner[0], 'the vault salt');
  const hmac = unhex(inner[1], 'the vault HMAC');
  const ciphertext = unhex(inner[2], 'the vault ciphertext');
  if (salt.length === 0 || hmac.length !== 32 || ciphertext.length === 0 || ciphertext.length % 16 !== 0) {
    throw new VaultError('malformed vault data: wrong salt, HMAC or ciphertext length (truncated or corrupted?)');
  }
  return { version, ...(label !== undefined ? { label } : {}), salt, hmac, ciphertext };
}

function unhex(text: string, what: string): Buffer {
  if (text.length % 2 !== 0) throw new VaultError(`${what} is not valid hex: odd number of digits (truncated or corrupted?)`);
  if (!/^[0-9a-fA-F]*$/.test(text)) throw new VaultError(`${what} is not valid hex: it holds characters other than 0-9 and a-f (corrupted?)`);
  return Buffer.from(text, 'hex');
}

function deriveKeys(password: Buffer, salt: Buffer): { aesKey: Buffer; hmacKey: Buffer; iv: Buffer } {
  const derived = pbkdf2Sync(password, salt, ITERATIONS, 2 * KEY_BYTES + IV_BYTES, 'sha256');
  return { aesKey: derived.subarray(0, KEY_BYTES), hmacKey: derived.subarray(KEY_BYTES, 2 * KEY_BYTES), iv: derived.subarray(2 * KEY_BYTES) };
}

/** The plaintext, or undefined when the HMAC does not match this password. */
function decryptEnvelope(env: VaultEnvelope, password: Buffer): Buffer | undefined {
  const { aesKey, hmacKey, iv } = deriveKeys(password, env.salt);
  const mac = createHmac('sha256', hmacKey).update(env.ciphertext).digest();
  if (!timingSafeEqual(mac, env.hmac)) return undefined;
  const decipher = createDecipheriv('aes-256-ctr', aesKey, iv);
  const padded = Buffer.concat([decipher.update(env.ciphertext), decipher.final()]);
  const pad = padded[padded.length - 1];
  if (pad < 1 || pad > 16 || pad > padded.length || !padded.subarray(padded.length - pad).every((b) => b === pad)) {
    throw new VaultError('the vault opened but its padding is invalid (corrupted?)');
  }
  return padded.subarray(0, padded.length - pad);
}

/** Encrypts like `ansible-vault encrypt` (used by tests and fixtures; mtafleet never writes vaults). */
export function encryptVault(plaintext: string | Buffer, password: string, label?: string, salt: Buffer = randomBytes(32)): string {
  const { aesKey, hmacKey, iv } = deriveKeys(Buffer.from(password, 'utf8'), salt);
  const data = Buffer.from(plaintext);
  const pad = 16 - (data.length % 16);
  const cipher = createCipheriv('aes-256-ctr', aesKey, iv);
  const ciphertext = Buffer.concat([cipher.update(Buffer.concat([data, Buffer.alloc(pad, pad)])), cipher.final()]);
  const mac = createHmac('sha256', hmacKey).update(ciphertext).digest();
  const inner = Buffer.from([salt.toString('hex'), mac.toString('hex'), ciphertext.toString('hex')].join('\n'), 'latin1').toString('hex');
  const header = label === undefined ? `${VAULT_HEADER};1.1;AES256` : `${VAULT_HEADER};1.2;AES256;${label}`;
  return `${header}\n${inner.match(/.{1,80}/g)!.join('\n')}\n`;
}

/** Plaintext bytes as text: vaults hold UTF-8. */
export function vaultText(plain: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(plain);
  } catch {
    throw new VaultError('the vault opened but does not hold UTF-8 text');
  }
}

// ---------------------------------------------------------------------------------------------
// Inline `!vault` values: the YAML tag makes a VaultedText; revealVaultedVars turns each into a
// Secret (or a problem with the file and line) before the variables are validated.

/** An inline `!vault |` value as read from YAML, not yet decrypted. Never used as a value. */
export class VaultedText {
  line = 0;
  constructor(readonly text: string) {}
  toString(): string {
    return '<vault-encrypted>';
  }
  toJSON(): string {
    return '<vault-encrypted>';
  }
}

/** Replaces every VaultedText in the variables' values with a Secret of its plaintext. */
export function revealVaultedVars(vars: RawVar[], keyring: VaultKeyring | undefined, file?: string): Problem[] {
  const problems: Problem[] = [];
  for (const v of vars) {
    v.value = reveal(v.value, (vaulted, message) => {
      problems.push({ line: vaulted.line > 0 ? vaulted.line : v.at.line, path: v.at.path, ...(v.at.file ?? file ? { file: v.at.file ?? file } : {}), message });
    });
  }
  return problems;

  function reveal(value: unknown, problem: (vaulted: VaultedText, message: string) => void): unknown {
    if (value instanceof VaultedText) {
      try {
        return new Secret(vaultText((keyring ?? new VaultKeyring()).decrypt(value.text.trim())));
      } catch (err) {
        if (!(err instanceof VaultError)) throw err;
        problem(value, `inline !vault value: ${err.message}`);
        return value;
      }
    }
    // Ciphertext is never a value: untagged vault text is refused; {"__ansible_vault": "..."}
    // (how ansible-inventory --list and Ansible's JSON write a vaulted value) is decrypted.
    if (typeof value === 'string' && isVaulted(value)) {
      const orphan = new VaultedText(value);
      problem(orphan, 'this value is Ansible Vault ciphertext without the !vault tag; write it as `name: !vault |` followed by the indented vault lines');
      return value;
    }
    if (isJsonVault(value)) return reveal(new VaultedText((value as { __ansible_vault: string }).__ansible_vault), problem);
    if (Array.isArray(value)) return value.map((item) => reveal(item, problem));
    if (value !== null && typeof value === 'object' && !(value instanceof Secret) && Object.getPrototypeOf(value) === Object.prototype) {
      const obj = value as Record<string, unknown>;
      for (const k of Object.keys(obj)) obj[k] = reveal(obj[k], problem);
    }
    return value;
  }
}

function isJsonVault(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  const text = (value as Record<string, unknown>).__ansible_vault;
  return keys.length === 1 && typeof text === 'string' && isVaulted(text);
}

/** Every leaf of a value from a whole vaulted file becomes a Secret (structure stays). */
export function secretLeaves(value: unknown): unknown {
  if (value === null || value === undefined || value instanceof Secret) return value;
  if (value instanceof VaultedText) return value;
  if (Array.isArray(value)) return value.map(secretLeaves);
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, secretLeaves(v)]));
  }
  return new Secret(String(value));
}

/**
 * A file's text, decrypted when it is a whole vaulted file. `vaulted` says whether it was, so
 * the caller makes every variable in it a Secret. Throws VaultError with plain words.
 */
export function openVaultedText(text: string, keyring: VaultKeyring | undefined): { text: string; vaulted: boolean } {
  if (!isVaulted(text)) return { text, vaulted: false };
  const plain = vaultText((keyring ?? new VaultKeyring()).decrypt(text));
  if (isVaulted(plain)) throw new VaultError('the vault holds another vault (encrypted twice?)');
  return { text: plain, vaulted: true };
}

/** Reveals the inline vaults of every variable in these lists (each variable once). */
export function revealVaultedVarLists(lists: RawVar[][], keyring: VaultKeyring | undefined, wholeFileVaulted = false): Problem[] {
  const seen = new WeakSet<RawVar>();
  const problems: Problem[] = [];
  for (const list of lists) {
    const fresh = list.filter((v) => !seen.has(v));
    for (const v of fresh) seen.add(v);
    problems.push(...revealVaultedVars(fresh, keyring));
    if (wholeFileVaulted) for (const v of fresh) v.value = secretLeaves(v.value);
  }
  return problems;
}

export { vaultKeyringFrom, readPasswordFile, promptPassword, type VaultOptions, type VaultSourceDeps } from './vault-passwords.js';
