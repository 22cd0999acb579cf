/**
 * Authentication methods in the order the issue asks for: private key files (decrypted with
 * the passphrase when given), then ssh-agent (SSH_AUTH_SOCK), then the password as last resort.
 * Key files are parsed up front so a bad file or a wrong passphrase is named in the error.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
// ssh2 is CommonJS: Node's ESM loader only sees its default export.
import ssh2, { type AnyAuthMethod } from 'ssh2';
import type { ConnectionSpec } from './types.js';

export interface AuthPlan {
  methods: AnyAuthMethod[];
  /** What will be tried, for "authentication failed (tried ...)" messages. */
  tried: string[];
  /** Key files that could not be used, and why. */
  notes: string[];
}

/**
 * Parsed key files for the run, by path and passphrase, while the file's size and mtime stay:
 * a fleet shares one key, and parsing it per host (bcrypt for an encrypted key) was a per-host
 * cost of a 10,000-host audit.
 */
const parsedKeys = new Map<string, { mtimeMs: number; size: number; parsed: ReturnType<typeof ssh2.utils.parseKey> }>();

async function parseKeyFile(file: string, passphrase: string | undefined): Promise<ReturnType<typeof ssh2.utils.parseKey>> {
  const st = await stat(file);
  const cacheKey = `${file}\0${passphrase === undefined ? '' : createHash('sha256').update(passphrase).digest('hex')}`;
  const hit = parsedKeys.get(cacheKey);
  if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.parsed;
  const parsed = ssh2.utils.parseKey(await readFile(file), passphrase);
  parsedKeys.set(cacheKey, { mtimeMs: st.mtimeMs, size: st.size, parsed });
  return parsed;
}

export async function buildAuthMethods(spec: ConnectionSpec, env: NodeJS.ProcessEnv = process.env): Promise<AuthPlan> {
  const methods: AnyAuthMethod[] = [];
  const tried: string[] = [];
  const notes: string[] = [];
  for (const file of spec.privateKeyFiles) {
    let parsed: ReturnType<typeof ssh2.utils.parseKey>;
    try {
      parsed = await parseKeyFile(file, spec.passphrase?.reveal());
    } catch (err) {
      notes.push(`key ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      continue;
    }
    if (parsed instanceof Error) {
      // ssh2's messages name the problem ("Encrypted private OpenSSH key detected, but no passphrase given").
      notes.push(`key ${file}: ${parsed.message}`);
      continue;
    }
    const keys = Array.isArray(parsed) ? parsed : [parsed];
    for (const key of keys) methods.push({ type: 'publickey', username: spec.user, key });
    tried.push(`key ${file}`);
  }
  const agent = env.SSH_AUTH_SOCK;
  if (agent) {
    methods.push({ type: 'agent', username: spec.user, agent });
    tried.push('ssh-agent');
  }
  if (spec.password) {
    methods.push({ type: 'password', username: spec.user, password: spec.password.reveal() });
    tried.push('password');
  }
  return { methods, tried, notes };
}
