/**
 * The few ssh_config settings mtafleet honours (HostName, Port, User, IdentityFile, ProxyJump,
 * UserKnownHostsFile), read with the maintained `ssh-config` parser. Each file is parsed once.
 */
import SSHConfig from 'ssh-config';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../util/errors.js';

export interface SshConfigHost {
  hostName?: string;
  port?: number;
  user?: string;
  identityFiles?: string[];
  proxyJump?: string;
  userKnownHostsFile?: string;
}

export function defaultSshConfigPath(): string {
  return join(homedir(), '.ssh', 'config');
}

const parsed = new Map<string, SSHConfig | null>();

/** The parsed file, or null when the default file does not exist. An explicit file must exist. */
function load(file: string | undefined): SSHConfig | null {
  const path = file ?? defaultSshConfigPath();
  const hit = parsed.get(path);
  if (hit !== undefined) return hit;
  let config: SSHConfig | null = null;
  try {
    config = SSHConfig.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && file === undefined) config = null;
    else if (code === 'ENOENT') throw new InputError(`ssh config file ${path} does not exist`);
    else throw new InputError(`cannot read ssh config file ${path}: ${(err as Error).message}`, { cause: err });
  }
  parsed.set(path, config);
  return config;
}

/** `~` and `~/x` to the home directory, as ssh does for file settings. */
export function expandTilde(path: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return join(homedir(), path.slice(2));
  return path;
}

/** The tokens ssh expands in HostName and file settings that make sense here (%h, %%). */
function expandTokens(value: string, host: string): string {
  return value.replace(/%([%h])/g, (_m, token: string) => (token === '%' ? '%' : host));
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export function lookupSshConfig(host: string, file?: string): SshConfigHost {
  const config = load(file);
  if (!config) return {};
  // matchExec false: never run shell commands from a config file while resolving hosts.
  const c = config.compute(host, { ignoreCase: true, matchExec: false });
  const result: SshConfigHost = {};
  const hostName = first(c.hostname);
  if (hostName) result.hostName = expandTokens(hostName, host);
  const port = first(c.port);
  if (port) {
    const n = Number(port);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InputError(`ssh config: Port "${port}" for ${host} is not a port number`);
    result.port = n;
  }
  const user = first(c.user);
  if (user) result.user = user;
  const ids = c.identityfile;
  if (ids) result.identityFiles = (Array.isArray(ids) ? ids : [ids]).map((f) => expandTilde(expandTokens(f, host)));
  const jump = first(c.proxyjump);
  if (jump && jump.toLowerCase() !== 'none') result.proxyJump = jump;
  const kh = first(c.userknownhostsfile);
  // Several files may be listed; mtafleet verifies against the first, as ssh writes to it.
  if (kh) result.userKnownHostsFile = expandTilde(expandTokens(kh.split(/\s+/)[0] ?? kh, host));
  return result;
}
