/**
 * ssh2 connection failures -> ConnectError with a reason and a message an operator can act on.
 * Decided from what ssh2 and node give as data (our host key verdict, ssh2's `level`, the
 * socket's errno `code`), never from message text. Every failure before a session is ready is
 * a ConnectError, so the host's outcome is `unreachable` (exit 4), whatever the reason.
 */
import { ConnectError } from '../util/errors.js';
import type { HostKeyVerdict } from './knownhosts.js';
import type { ConnectionSpec } from './types.js';

export interface HostKeyProblem {
  verdict: Exclude<HostKeyVerdict, { status: 'ok' }>;
  file: string;
  writeError?: string;
}

/** `mta01 (root@10.0.0.1:22)`: inventory name plus where we actually connected. */
export function describeTarget(spec: ConnectionSpec): string {
  return `${spec.name} (${shown(spec, 'user')}@${shown(spec, 'host')}:${shown(spec, 'port')})`;
}

/** A part of the connection as messages show it: *** when it came from Ansible Vault. */
export function shown(spec: ConnectionSpec, part: 'host' | 'user' | 'port'): string {
  return spec.concealed?.includes(part) ? '***' : String(spec[part]);
}

/** Text from elsewhere (an error message) with a vaulted host or user replaced by ***. */
export function concealIn(spec: ConnectionSpec, text: string): string {
  let out = text;
  for (const part of spec.concealed ?? []) if (part !== 'port' && String(spec[part]).length > 0) out = out.split(String(spec[part])).join('***');
  return out;
}

const UNREACHABLE_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset',
  ECONNABORTED: 'connection aborted',
  EADDRNOTAVAIL: 'address not available',
  EPIPE: 'connection closed',
};

/** DNS failures (node's getaddrinfo codes): the name did not resolve. */
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EAI_NODATA']);

export function connectErrorFor(
  spec: ConnectionSpec,
  err: Error & { level?: string; code?: string },
  hostKey: HostKeyProblem | undefined,
  triedAuth: string[],
): ConnectError {
  const where = describeTarget(spec);
  if (hostKey) return hostKeyError(spec, hostKey);
  if (err.level === 'client-authentication') {
    return new ConnectError(spec.name, 'auth', `${where}: authentication failed (tried ${triedAuth.join(', ')})`, { cause: err });
  }
  if (err.level === 'client-timeout' || err.code === 'ETIMEDOUT') {
    return new ConnectError(spec.name, 'timeout', `${where}: no SSH handshake within ${spec.connectTimeoutMs / 1000}s`, { cause: err });
  }
  const code = err.code ?? '';
  if (DNS_CODES.has(code) || err.level === 'client-dns') {
    const what = code === 'EAI_AGAIN' ? 'host name lookup failed' : 'host name not found';
    return new ConnectError(spec.name, 'dns', `${where}: unreachable (${what}: ${shown(spec, 'host')})`, { cause: err });
  }
  if (Object.hasOwn(UNREACHABLE_CODES, code)) {
    return new ConnectError(spec.name, 'unreachable', `${where}: unreachable (${UNREACHABLE_CODES[code]})`, { cause: err });
  }
  return new ConnectError(spec.name, 'other', `${where}: ${concealIn(spec, err.message)}`, { cause: err });
}

function hostKeyError(spec: ConnectionSpec, problem: HostKeyProblem): ConnectError {
  const where = describeTarget(spec);
  const v = problem.verdict;
  const key = `${v.keyType} key ${v.fingerprint}`;
  if (problem.writeError) {
    return new ConnectError(spec.name, 'host-key-unknown', `${where}: cannot record new host key (${key}) in ${problem.file}: ${problem.writeError}`);
  }
  switch (v.status) {
    case 'unknown':
      return new ConnectError(
        spec.name,
        'host-key-unknown',
        `${where}: host key is not known (${key}); not in ${problem.file}. Check the fingerprint, then add it or use --accept-new-host-keys`,
      );
    case 'changed':
      return new ConnectError(
        spec.name,
        'host-key-changed',
        `${where}: HOST KEY CHANGED — server offered ${key}, which differs from ${problem.file} line ${v.knownLine}; refused (possible man-in-the-middle)`,
      );
    case 'revoked':
      return new ConnectError(
        spec.name,
        'host-key-changed',
        `${where}: host key ${key} is marked @revoked in ${problem.file} line ${v.knownLine}; refused`,
      );
  }
}
