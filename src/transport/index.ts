/** The transport's public API. Only this folder talks to ssh2. */
export { connect } from './ssh.js';
export { resolveConnectionSpec, jumpInventoryHost, DEFAULT_COMMAND_TIMEOUT_MS, DEFAULT_CONNECT_TIMEOUT_MS, type ResolveOptions } from './spec.js';
export { forEachHost, runPool, type HostOutcome, type FleetHooks } from './fleet.js';
export { ConnectionPool, poolKey, withConnectionPool, type PoolStats } from './pool.js';
export {
  loadKnownHosts,
  parseKnownHosts,
  verifyHostKey,
  appendKnownHost,
  fingerprint,
  knownHostsLine,
  knownHostsName,
  type KnownHosts,
  type KnownHostEntry,
  type HostKeyVerdict,
} from './knownhosts.js';
export { parsePrivateKey, type SigningKey, type PrivateKeyResult } from './private-key.js';
export { lookupSshConfig, defaultSshConfigPath, type SshConfigHost } from './sshconfig.js';
export { quote, argv, sh, join, script, isCommand, type Command } from './quote.js';
export type { ConnectionSpec, ExecOptions, ExecResult, HostConnection, WriteFileOptions } from './types.js';
