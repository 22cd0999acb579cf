/** Shared bits for the transport integration tests. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sshd } from '../../helpers/sshd.js';
import type { ConnectionSpec } from '../../../src/transport/types.js';

export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `mtaf-tr-${tag}-`));
}

/** A known_hosts file holding the server's key. */
export function knownHostsFor(dir: string, ...servers: Sshd[]): string {
  const file = join(dir, `known_hosts_${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, servers.map((s) => s.knownHostsLine).join('\n') + '\n');
  return file;
}

export function specFor(sshd: Sshd, knownHostsFile: string, over: Partial<ConnectionSpec> = {}): ConnectionSpec {
  return {
    name: over.name ?? `sshd-${sshd.port}`,
    host: sshd.host,
    port: sshd.port,
    user: 'root',
    privateKeyFiles: [sshd.clientKeyPath],
    become: false,
    knownHostsFile,
    acceptNewHostKeys: false,
    connectTimeoutMs: 5_000,
    commandTimeoutMs: 20_000,
    ...over,
  };
}
