/**
 * known_hosts parsing and host key verification, following OpenSSH's sshd(8) "SSH_KNOWN_HOSTS
 * FILE FORMAT": plain and hashed (|1|salt|hash, HMAC-SHA1) host patterns, [host]:port for
 * non-standard ports, comma lists, wildcards and negation, @revoked and @cert-authority markers.
 * Parsing and matching are pure; file access (load with a per-path cache, append) is at the end.
 */
import { createHash, createHmac } from 'node:crypto';
import { mkdir, open, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface KnownHostEntry {
  marker: 'revoked' | 'cert-authority' | null;
  /** Host patterns (plain), or a single hashed pattern. */
  patterns: HostPattern[];
  keyType: string;
  /** The public key blob (base64-decoded wire format). */
  key: Buffer;
  line: number;
}

type HostPattern =
  /** exact: lower-cased name; glob: compiled once at parse time (1000s of lookups per run). */
  | { kind: 'plain'; pattern: string; negated: boolean; exact: string | null; glob: RegExp | null }
  | { kind: 'hashed'; salt: Buffer; hash: Buffer };

export interface KnownHosts {
  entries: KnownHostEntry[];
  /** Lines that could not be parsed (line number and why), kept so callers can warn. */
  invalid: Array<{ line: number; reason: string }>;
}

export type HostKeyVerdict =
  | { status: 'ok' }
  | { status: 'unknown'; fingerprint: string; keyType: string }
  | { status: 'changed'; fingerprint: string; keyType: string; knownLine: number }
  | { status: 'revoked'; fingerprint: string; keyType: string; knownLine: number };

export function parseKnownHosts(text: string): KnownHosts {
  const entries: KnownHostEntry[] = [];
  const invalid: KnownHosts['invalid'] = [];
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const fields = trimmed.split(/\s+/);
    let marker: KnownHostEntry['marker'] = null;
    if (fields[0]?.startsWith('@')) {
      const name = fields.shift();
      if (name === '@revoked') marker = 'revoked';
      else if (name === '@cert-authority') marker = 'cert-authority';
      else return void invalid.push({ line, reason: `unknown marker ${name}` });
    }
    const [hosts, keyType, keyBase64] = fields;
    if (!hosts || !keyType || !keyBase64) return void invalid.push({ line, reason: 'expected "hosts keytype key"' });
    const key = Buffer.from(keyBase64, 'base64');
    if (key.length === 0 || blobKeyType(key) !== keyType) {
      return void invalid.push({ line, reason: `key does not decode as ${keyType}` });
    }
    const patterns = parsePatterns(hosts);
    if (!patterns) return void invalid.push({ line, reason: 'malformed hashed host' });
    entries.push({ marker, patterns, keyType, key, line });
  });
  return { entries, invalid };
}

function parsePatterns(field: string): HostPattern[] | null {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return null;
    return [{ kind: 'hashed', salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') }];
  }
  return field.split(',').filter(Boolean).map((p): HostPattern => {
    const negated = p.startsWith('!');
    const pattern = negated ? p.slice(1) : p;
    const isGlob = /[*?]/.test(pattern);
    return { kind: 'plain', pattern, negated, exact: isGlob ? null : pattern.toLowerCase(), glob: isGlob ? globToRegExp(pattern) : null };
  });
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

export function entryMatchesHost(entry: KnownHostEntry, name: string): boolean {
  let matched = false;
  const lower = name.toLowerCase();
  for (const p of entry.patterns) {
    if (p.kind === 'hashed') {
      if (createHmac('sha1', p.salt).update(name).digest().equals(p.hash)) matched = true;
    } else if (p.exact !== null ? p.exact === lower : p.glob!.test(name)) {
      if (p.negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** The key type written inside a public key blob (its first SSH string). */
export function blobKeyType(blob: Buffer): string | null {
  if (blob.length < 4) return null;
  const len = blob.readUInt32BE(0);
  if (len === 0 || 4 + len > blob.length) return null;
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** The fingerprint as OpenSSH prints it: SHA256: then unpadded base64. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/**
 * Decide about a presented host key. Revoked keys refuse wherever they appear; a host known
 * with another key of the same type is "changed"; a host known only with other key types, or
 * not at all, is "unknown" (as OpenSSH, which never trusts a key type it has not recorded).
 */
export function verifyHostKey(known: KnownHosts, host: string, port: number, blob: Buffer): HostKeyVerdict {
  const keyType = blobKeyType(blob) ?? 'unknown';
  const fp = fingerprint(blob);
  const index = indexOf(known);
  const revoked = index.revoked.get(blob.toString('base64'));
  if (revoked) return { status: 'revoked', fingerprint: fp, keyType, knownLine: revoked.line };
  const forHost = entriesFor(known, knownHostsName(host, port));
  if (forHost.some((e) => e.key.equals(blob))) return { status: 'ok' };
  const sameType = forHost.find((e) => e.keyType === keyType);
  if (sameType) return { status: 'changed', fingerprint: fp, keyType, knownLine: sameType.line };
  return { status: 'unknown', fingerprint: fp, keyType };
}

/** Key types recorded for a host, so the client can ask the server for one it can verify. */
export function knownKeyTypes(known: KnownHosts, host: string, port: number): string[] {
  const types = entriesFor(known, knownHostsName(host, port)).map((e) => e.keyType);
  return [...new Set(types)];
}

/**
 * Lookups by name: a fleet's known_hosts has a line per host, and every connection looks its
 * host up twice: a scan of 10,000 lines per host was 12 % of a 10,000-host audit. Entries
 * whose patterns are all plain names are found through a Map; hashed, wildcard and negated
 * ones are still matched one by one. Rebuilt when entries were added (appendKnownHost).
 */
interface KnownHostsIndex {
  size: number;
  /** Lower-cased plain name -> entries (no marker) naming it. */
  exact: Map<string, KnownHostEntry[]>;
  /** Entries (no marker) with a hashed, wildcard or negated pattern. */
  other: KnownHostEntry[];
  /** @revoked keys, base64 of the blob -> first such entry. */
  revoked: Map<string, KnownHostEntry>;
}

const indexes = new WeakMap<KnownHosts, KnownHostsIndex>();

function indexOf(known: KnownHosts): KnownHostsIndex {
  const hit = indexes.get(known);
  if (hit && hit.size === known.entries.length) return hit;
  const index: KnownHostsIndex = { size: known.entries.length, exact: new Map(), other: [], revoked: new Map() };
  for (const e of known.entries) {
    if (e.marker === 'revoked') {
      const k = e.key.toString('base64');
      if (!index.revoked.has(k)) index.revoked.set(k, e);
      continue;
    }
    if (e.marker !== null) continue;
    const plain = e.patterns.every((p) => p.kind === 'plain' && !p.negated && p.exact !== null);
    if (!plain) {
      index.other.push(e);
      continue;
    }
    for (const name of new Set(e.patterns.map((p) => (p.kind === 'plain' ? p.exact! : '')))) {
      const list = index.exact.get(name);
      if (list) list.push(e);
      else index.exact.set(name, [e]);
    }
  }
  indexes.set(known, index);
  return index;
}

/** Entries without a marker that match `name`, in file order. */
export function entriesFor(known: KnownHosts, name: string): KnownHostEntry[] {
  const index = indexOf(known);
  const exact = index.exact.get(name.toLowerCase()) ?? [];
  const other = index.other.filter((e) => entryMatchesHost(e, name));
  if (other.length === 0) return exact;
  return [...exact, ...other].sort((a, b) => a.line - b.line);
}

export function knownHostsLine(host: string, port: number, blob: Buffer): string {
  return `${knownHostsName(host, port)} ${blobKeyType(blob)} ${blob.toString('base64')}`;
}

// ---- file access -------------------------------------------------------------------------

interface CacheEntry {
  mtimeMs: number;
  size: number;
  known: KnownHosts;
}

const cache = new Map<string, CacheEntry>();
/** Parses in progress, per path, size and mtime: the first connections of a run start together. */
const loading = new Map<string, Promise<KnownHosts>>();
/** One append at a time per file within this process (the O_APPEND write covers other processes). */
const appendQueues = new Map<string, Promise<unknown>>();

/**
 * Parse a known_hosts file once per run: the parsed result is reused for every connection
 * as long as the file's size and mtime are unchanged. A missing file is an empty one.
 */
export async function loadKnownHosts(path: string): Promise<KnownHosts> {
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], invalid: [] };
    throw err;
  }
  const hit = cache.get(path);
  if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.known;
  // One parse for all callers that ask while it runs (--forks connections start at once).
  const key = `${path}\0${st.mtimeMs}\0${st.size}`;
  let parsing = loading.get(key);
  if (!parsing) {
    const { mtimeMs, size } = st;
    parsing = readFile(path, 'utf8')
      .then((text) => {
        const known = parseKnownHosts(text);
        cache.set(path, { mtimeMs, size, known });
        return known;
      })
      .finally(() => loading.delete(key));
    loading.set(key, parsing);
  }
  return parsing;
}

/**
 * Record a newly accepted host key. Appends one whole line with O_APPEND (one write call, so
 * concurrent writers never interleave inside a line) and skips keys already recorded, which
 * happens when parallel connections accept the same host.
 */
export function appendKnownHost(path: string, host: string, port: number, blob: Buffer): Promise<void> {
  const previous = appendQueues.get(path) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(async () => {
    const known = await loadKnownHosts(path);
    if (verifyHostKey(known, host, port, blob).status === 'ok') return;
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const line = knownHostsLine(host, port, blob);
    const handle = await open(path, 'a', 0o600);
    try {
      const st = await handle.stat();
      // Start on a fresh line if someone left the file without a trailing newline.
      let prefix = '';
      if (st.size > 0) {
        const last = Buffer.alloc(1);
        const fd = await open(path, 'r');
        try {
          await fd.read(last, 0, 1, st.size - 1);
        } finally {
          await fd.close();
        }
        if (last[0] !== 0x0a) prefix = '\n';
      }
      await handle.write(`${prefix}${line}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    const parsed = parseKnownHosts(line);
    known.entries.push(...parsed.entries);
    const st = await stat(path);
    cache.set(path, { mtimeMs: st.mtimeMs, size: st.size, known });
  });
  appendQueues.set(path, next);
  return next;
}
