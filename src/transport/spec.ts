/**
 * From an inventory host to a ConnectionSpec. Precedence, highest first: explicit CLI flags
 * (--known-hosts), inventory variables, ssh_config, defaults (port 22, current user, the
 * usual key files, ~/.ssh/known_hosts) — the same order an Ansible user expects.
 */
import { existsSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import type { Inventory, InventoryHost } from '../inventory/types.js';
import { InputError } from '../util/errors.js';
import { Secret } from '../util/secret.js';
import { expandTilde, lookupSshConfig } from './sshconfig.js';
import { DEFAULT_MAX_OUTPUT_BYTES, MAX_OUTPUT_RULE, parseMaxOutput } from './capped.js';
import type { ConnectionSpec } from './types.js';

export interface ResolveOptions {
  knownHostsFile?: string;
  acceptNewHostKeys?: boolean;
  sshConfigFile?: string;
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
  /** --max-output: wins over mtafleet_max_output and MTAFLEET_MAX_OUTPUT. */
  maxOutputBytes?: number;
  /** Lets mtafleet_jump / ProxyJump name another inventory host. */
  inventory?: Inventory;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_COMMAND_TIMEOUT_MS = 300_000;

export function resolveConnectionSpec(host: InventoryHost, opts: ResolveOptions = {}): ConnectionSpec {
  return resolveWithChain(host, opts, [host.name]);
}

function resolveWithChain(host: InventoryHost, opts: ResolveOptions, chain: string[]): ConnectionSpec {
  const v = host.vars;
  const alias = str(v, 'ansible_host', host.name) ?? host.name;
  const cfg = lookupSshConfig(alias, opts.sshConfigFile);
  const keyVar = str(v, 'ansible_ssh_private_key_file', host.name);
  const privateKeyFiles = keyVar
    ? [resolve(expandTilde(keyVar))]
    : cfg.identityFiles
      ? cfg.identityFiles.filter((f) => existsSync(f))
      : defaultKeyFiles();
  const knownHostsVar = str(v, 'mtafleet_known_hosts', host.name);
  const spec: ConnectionSpec = {
    name: host.name,
    host: str(v, 'ansible_host', host.name) ?? cfg.hostName ?? host.name,
    port: port(plain(v.ansible_port), host.name) ?? cfg.port ?? 22,
    user: str(v, 'ansible_user', host.name) ?? cfg.user ?? userInfo().username,
    privateKeyFiles,
    become: bool(plain(v.ansible_become), 'ansible_become', host.name) ?? false,
    knownHostsFile: resolve(
      opts.knownHostsFile ?? (knownHostsVar ? expandTilde(knownHostsVar) : undefined) ?? cfg.userKnownHostsFile ?? join(homedir(), '.ssh', 'known_hosts'),
    ),
    acceptNewHostKeys: opts.acceptNewHostKeys ?? false,
    connectTimeoutMs: opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    commandTimeoutMs: opts.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    maxOutputBytes: opts.maxOutputBytes ?? maxOutputVar(plain(v.mtafleet_max_output), host.name) ?? maxOutputFromEnv() ?? DEFAULT_MAX_OUTPUT_BYTES,
  };
  // Vault: a connection value that is a Secret is used, but shown as *** in messages.
  const concealed = (['host', 'user', 'port'] as const).filter((k) => v[`ansible_${k}`] instanceof Secret);
  if (concealed.length > 0) spec.concealed = [...concealed];
  const becomeUser = str(v, 'ansible_become_user', host.name);
  if (becomeUser) spec.becomeUser = becomeUser;
  const becomePassword = secret(v.ansible_become_password ?? v.ansible_become_pass);
  if (becomePassword) spec.becomePassword = becomePassword;
  const password = secret(v.ansible_password ?? v.ansible_ssh_pass);
  if (password) spec.password = password;
  const passphrase = secret(v.ansible_ssh_private_key_passphrase ?? v.mtafleet_key_passphrase);
  if (passphrase) spec.passphrase = passphrase;
  const jump = str(v, 'mtafleet_jump', host.name) ?? cfg.proxyJump;
  if (jump) spec.jump = resolveJumpChain(jump, opts, chain);
  return spec;
}

/** ProxyJump "a,b": reach a first, then b through a; the target goes through the last hop. */
function resolveJumpChain(value: string, opts: ResolveOptions, chain: string[]): ConnectionSpec {
  let previous: ConnectionSpec | undefined;
  for (const hop of value.split(',').map((h) => h.trim()).filter(Boolean)) {
    const jumpHost = jumpInventoryHost(hop, opts.inventory);
    if (chain.includes(jumpHost.name)) {
      throw new InputError(`jump host loop: ${[...chain, jumpHost.name].join(' -> ')}`);
    }
    const spec = resolveWithChain(jumpHost, opts, [...chain, jumpHost.name]);
    // A jump only forwards: never become on it. An explicit chain overrides the hop's own jump.
    spec.become = false;
    if (previous) spec.jump = previous;
    previous = spec;
  }
  if (!previous) throw new InputError(`empty jump host "${value}"`);
  return previous;
}

/** An inventory host by that name, or [user@]host[:port] (also ssh://user@host:port). */
export function jumpInventoryHost(hop: string, inventory?: Inventory): InventoryHost {
  const known = inventory?.hosts.get(hop);
  if (known) return known;
  const m = /^(?:ssh:\/\/)?(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hop);
  if (!m) throw new InputError(`jump host "${hop}" is neither an inventory host nor [user@]host[:port]`);
  const [, user, hostPart, portPart] = m;
  const hostName = hostPart!.replace(/^\[|\]$/g, '');
  const vars: Record<string, unknown> = {};
  if (user) vars.ansible_user = user;
  if (portPart) vars.ansible_port = Number(portPart);
  return { name: hostName, vars, groups: [] };
}

function defaultKeyFiles(): string[] {
  return ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => join(homedir(), '.ssh', f)).filter((f) => existsSync(f));
}

/** A connection value from Ansible Vault is a Secret: transport is where it is revealed. */
function plain(value: unknown): unknown {
  return value instanceof Secret ? value.reveal() : value;
}

function str(vars: Record<string, unknown>, key: string, hostName: string): string | undefined {
  const value = plain(vars[key]);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  throw new InputError(`host ${hostName}: ${key} must be a string`);
}

function port(value: unknown, hostName: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new InputError(`host ${hostName}: ansible_port must be a port number (1-65535), got ${JSON.stringify(value)}`);
  }
  return n;
}

function bool(value: unknown, key: string, hostName: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  const s = String(value).toLowerCase();
  if (['yes', 'true', 'on', '1'].includes(s)) return true;
  if (['no', 'false', 'off', '0'].includes(s)) return false;
  throw new InputError(`host ${hostName}: ${key} must be true or false, got ${JSON.stringify(value)}`);
}

function maxOutputVar(value: unknown, hostName: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = parseMaxOutput(value);
  if (n === undefined) throw new InputError(`host ${hostName}: mtafleet_max_output ${MAX_OUTPUT_RULE}, got ${JSON.stringify(value)}`);
  return n;
}

/** MTAFLEET_MAX_OUTPUT: the cap for every host that does not set mtafleet_max_output. */
export function maxOutputFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const value = env.MTAFLEET_MAX_OUTPUT;
  if (value === undefined || value === '') return undefined;
  const n = parseMaxOutput(value);
  if (n === undefined) throw new InputError(`MTAFLEET_MAX_OUTPUT ${MAX_OUTPUT_RULE}, got ${JSON.stringify(value)}`);
  return n;
}

function secret(value: unknown): Secret | undefined {
  if (value instanceof Secret) return value;
  if (typeof value === 'string' && value !== '') return new Secret(value);
  if (typeof value === 'number') return new Secret(String(value));
  return undefined;
}
