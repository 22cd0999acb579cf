/**
 * Authentication methods in the order the issue asks for: private key files (decrypted with
 * the passphrase when given), then ssh-agent (SSH_AUTH_SOCK), then the password as last resort.
 * Key files are parsed up front so a bad file or a wrong passphrase is named in the error.
 */
import { readFile } from 'node:fs/promises';
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

export async function buildAuthMethods(spec: ConnectionSpec, env: NodeJS.ProcessEnv = process.env): Promise<AuthPlan> {
  const methods: AnyAuthMethod[] = [];
  const tried: string[] = [];
  const notes: string[] = [];
  for (const file of spec.privateKeyFiles) {
    let data: Buffer;
    try {
      data = await readFile(file);
    } catch (err) {
      notes.push(`key ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      continue;
    }
    const parsed = ssh2.utils.parseKey(data, spec.passphrase?.reveal());
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
