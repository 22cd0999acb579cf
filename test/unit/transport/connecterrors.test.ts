/**
 * ssh2/node connection failures -> ConnectError: the reason comes from data (our host key
 * verdict, ssh2's `level`, the errno `code`), never from the message; every one is unreachable.
 */
import { describe, expect, it } from 'vitest';
import { connectErrorFor } from '../../../src/transport/connecterrors.js';
import type { ConnectionSpec } from '../../../src/transport/types.js';
import { ConnectError, outcomeOfError } from '../../../src/util/errors.js';
import { exitCodeFor } from '../../../src/util/outcome.js';

const spec: ConnectionSpec = {
  name: 'mta01',
  host: 'mta01.example.net',
  port: 2222,
  user: 'root',
  privateKeyFiles: ['/keys/id_ed25519'],
  become: false,
  knownHostsFile: '/kh/known_hosts',
  acceptNewHostKeys: false,
  connectTimeoutMs: 7_000,
  commandTimeoutMs: 60_000,
};

/** An error as ssh2/node raise it; the message is deliberately misleading where it can be. */
function sshErr(message: string, extra: { level?: string; code?: string }): Error & { level?: string; code?: string } {
  return Object.assign(new Error(message), extra);
}

function classify(err: Error & { level?: string; code?: string }, hostKey?: Parameters<typeof connectErrorFor>[2]): ConnectError {
  const e = connectErrorFor(spec, err, hostKey, ['key /keys/id_ed25519', 'ssh-agent']);
  expect(e).toBeInstanceOf(ConnectError);
  expect(outcomeOfError(e)).toBe('unreachable');
  expect(exitCodeFor([outcomeOfError(e)])).toBe(4);
  expect(e.host).toBe('mta01');
  expect(e.message.startsWith('mta01 (root@mta01.example.net:2222): ')).toBe(true);
  return e;
}

describe('connectErrorFor', () => {
  it("authentication refused (ssh2 level 'client-authentication'): auth, naming what was tried", () => {
    const e = classify(sshErr('All configured authentication methods failed', { level: 'client-authentication' }));
    expect(e.reason).toBe('auth');
    expect(e.message).toBe('mta01 (root@mta01.example.net:2222): authentication failed (tried key /keys/id_ed25519, ssh-agent)');
  });

  it('auth is decided by the level even when the text says something else', () => {
    expect(classify(sshErr('connect ECONNREFUSED, timed out, host key', { level: 'client-authentication' })).reason).toBe('auth');
  });

  it('host key changed (our known_hosts verdict wins over whatever ssh2 reports)', () => {
    const e = classify(sshErr('Handshake failed: signature verification failed', { level: 'handshake' }), {
      verdict: { status: 'changed', fingerprint: 'SHA256:abc', keyType: 'ssh-ed25519', knownLine: 3 },
      file: '/kh/known_hosts',
    });
    expect(e.reason).toBe('host-key-changed');
    expect(e.message).toContain('HOST KEY CHANGED — server offered ssh-ed25519 key SHA256:abc, which differs from /kh/known_hosts line 3');
  });

  it('host key unknown, revoked, and a new key that could not be recorded', () => {
    const unknown = classify(sshErr('x', { level: 'handshake' }), { verdict: { status: 'unknown', fingerprint: 'SHA256:n', keyType: 'ssh-ed25519' }, file: '/kh/known_hosts' });
    expect(unknown.reason).toBe('host-key-unknown');
    expect(unknown.message).toContain('--accept-new-host-keys');
    const revoked = classify(sshErr('x', {}), { verdict: { status: 'revoked', fingerprint: 'SHA256:r', keyType: 'ssh-rsa', knownLine: 1 }, file: '/kh/known_hosts' });
    expect(revoked.reason).toBe('host-key-changed');
    expect(revoked.message).toContain('@revoked');
    const unwritable = classify(sshErr('x', {}), { verdict: { status: 'unknown', fingerprint: 'SHA256:w', keyType: 'ssh-ed25519' }, file: '/kh/known_hosts', writeError: 'EACCES' });
    expect(unwritable.reason).toBe('host-key-unknown');
    expect(unwritable.message).toContain('cannot record new host key');
  });

  it("connect timeout: ssh2's 'client-timeout' and a socket ETIMEDOUT", () => {
    const handshake = classify(sshErr('Timed out while waiting for handshake', { level: 'client-timeout' }));
    expect(handshake.reason).toBe('timeout');
    expect(handshake.message).toContain('no SSH handshake within 7s');
    expect(classify(sshErr('connect ETIMEDOUT 10.0.0.1:22', { level: 'client-socket', code: 'ETIMEDOUT' })).reason).toBe('timeout');
  });

  it.each([
    ['ECONNREFUSED', 'connection refused'],
    ['EHOSTUNREACH', 'no route to host'],
    ['ENETUNREACH', 'network unreachable'],
    ['ECONNRESET', 'connection reset'],
  ])('socket %s: unreachable (%s)', (code, text) => {
    // The message is a decoy: only the code decides.
    const e = classify(sshErr('authentication failed', { level: 'client-socket', code }));
    expect(e.reason).toBe('unreachable');
    expect(e.message).toBe(`mta01 (root@mta01.example.net:2222): unreachable (${text})`);
  });

  it('DNS: ENOTFOUND, EAI_AGAIN, and ssh2 level client-dns', () => {
    const notFound = classify(sshErr('getaddrinfo ENOTFOUND mta01.example.net', { level: 'client-socket', code: 'ENOTFOUND' }));
    expect(notFound.reason).toBe('dns');
    expect(notFound.message).toContain('unreachable (host name not found: mta01.example.net)');
    const again = classify(sshErr('getaddrinfo EAI_AGAIN', { code: 'EAI_AGAIN' }));
    expect(again.reason).toBe('dns');
    expect(again.message).toContain('host name lookup failed');
    expect(classify(sshErr("Error while looking up IPv4 address for 'x'", { level: 'client-dns' })).reason).toBe('dns');
  });

  it('anything else before a session is ready is still unreachable, with the library text', () => {
    const e = classify(sshErr('Connection lost before handshake', { level: 'protocol' }));
    expect(e.reason).toBe('other');
    expect(e.message).toContain('Connection lost before handshake');
    // An own property named like Object.prototype's is no errno code.
    expect(classify(sshErr('x', { code: 'toString' })).reason).toBe('other');
  });
});
