/**
 * OpenSSH allowed_signers files (ssh-keygen(1), ALLOWED SIGNERS):
 *
 *   principals [options] keytype base64-key [comment]
 *
 * principals is a pattern-list; options are comma-separated, case-insensitive:
 * namespaces="list", valid-after="time", valid-before="time" (YYYYMMDD[Z] or
 * YYYYMMDDHHMM[SS][Z]; local time unless Z), cert-authority (refused: mtafleet signatures carry
 * plain keys). Every problem is an InputError naming the file, the line and what is wrong.
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../util/errors.js';
import { decodeInputText } from '../util/input-text.js';
import { keyFingerprint, parsePublicKeyBlob, type SshPublicKey } from './ssh-public-key.js';

export interface AllowedSigner {
  file: string;
  line: number;
  principals: string;
  namespaces: string | null;
  validAfter: Date | null;
  validBefore: Date | null;
  key: SshPublicKey;
  fingerprint: string;
}

const MAX_BYTES = 4 * 1024 * 1024;

export function loadAllowedSigners(file: string): AllowedSigner[] {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (err) {
    throw new InputError(`cannot read allowed signers file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (buf.length > MAX_BYTES) throw new InputError(`${file}: more than ${MAX_BYTES / 1024 / 1024} MiB, not an allowed signers file`);
  const decoded = decodeInputText(buf);
  if ('problem' in decoded) throw new InputError(`${file} is not an allowed signers file: ${decoded.problem}`);
  const signers = parseAllowedSigners(decoded.text, file);
  if (signers.length === 0) throw new InputError(`${file}: no signer lines (each line: principals [options] keytype base64-key)`);
  return signers;
}

/** Splits on blanks outside double quotes; quotes are kept (options need them to find commas). */
function fields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    if (!quoted && (ch === ' ' || ch === '\t')) {
      if (cur !== '') out.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (quoted) throw new Error('unterminated double quote');
  if (cur !== '') out.push(cur);
  return out;
}

const looksLikeKeyType = (s: string) => /^(ssh-|ecdsa-|sk-|rsa-)/.test(s);

export function parseAllowedSigners(text: string, file: string): AllowedSigner[] {
  const out: AllowedSigner[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    try {
      out.push(parseLine(line, file, i + 1));
    } catch (err) {
      throw new InputError(`${file}:${i + 1}: ${(err as Error).message}`);
    }
  });
  return out;
}

function parseLine(line: string, file: string, lineNo: number): AllowedSigner {
  const f = fields(line);
  let principals = f[0];
  if (principals.startsWith('"')) principals = principals.slice(1, -1);
  if (principals === '') throw new Error('empty principals field');
  let at = 1;
  let opts: Options = { namespaces: null, validAfter: null, validBefore: null };
  if (f[at] !== undefined && !looksLikeKeyType(f[at])) opts = parseOptions(f[at++]);
  const keyType = f[at];
  const b64 = f[at + 1];
  if (keyType === undefined || b64 === undefined) throw new Error('expected "principals [options] keytype base64-key [comment]"');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new Error(`the key after ${keyType} is not base64`);
  const blob = Buffer.from(b64, 'base64');
  const key = parsePublicKeyBlob(blob);
  if (key.type !== keyType) throw new Error(`the line says ${keyType} but the key is ${key.type}`);
  return { file, line: lineNo, principals, ...opts, key, fingerprint: keyFingerprint(blob) };
}

interface Options {
  namespaces: string | null;
  validAfter: Date | null;
  validBefore: Date | null;
}

function parseOptions(text: string): Options {
  const opts: Options = { namespaces: null, validAfter: null, validBefore: null };
  // Split on commas outside quotes.
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) {
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  parts.push(cur);
  for (const part of parts) {
    const m = /^([A-Za-z-]+)(?:="([^"]*)")?$/.exec(part);
    if (!m) throw new Error(`cannot read option "${part}" (expected name or name="value")`);
    const name = m[1].toLowerCase();
    const value = m[2];
    if (name === 'cert-authority') {
      throw new Error('cert-authority is not supported: mtafleet approvals are signed with plain keys, not certificates; list each signer\'s public key');
    }
    if (name !== 'namespaces' && name !== 'valid-after' && name !== 'valid-before') {
      throw new Error(`unknown option "${name}" (known: namespaces, valid-after, valid-before; cert-authority is refused)`);
    }
    if (value === undefined) throw new Error(`option ${name} needs a value (${name}="...")`);
    if (name === 'namespaces') opts.namespaces = value;
    else if (name === 'valid-after') opts.validAfter = parseTime(value, name);
    else opts.validBefore = parseTime(value, name);
  }
  return opts;
}

/** YYYYMMDD[Z] or YYYYMMDDHHMM[SS][Z]: local time unless Z (as ssh-keygen reads it). */
export function parseTime(value: string, option: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?(Z)?$/.exec(value);
  if (!m) throw new Error(`${option}="${value}" is not a time (YYYYMMDD[Z] or YYYYMMDDHHMM[SS][Z])`);
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number);
  const date = m[7] ? new Date(Date.UTC(y, mo - 1, d, h, mi, s)) : new Date(y, mo - 1, d, h, mi, s);
  const back = m[7]
    ? [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()]
    : [date.getFullYear(), date.getMonth() + 1, date.getDate(), date.getHours(), date.getMinutes(), date.getSeconds()];
  if (back.join() !== [y, mo, d, h, mi, s].join()) throw new Error(`${option}="${value}" is not a valid date and time`);
  return date;
}
