/**
 * The pool's bookkeeping with stand-in connections (the real thing is tested against sshd in
 * test/integration/transport/pool.test.ts): which specs may share a connection, the idle
 * cap, the restart of a command that never started, and close().
 */
import { describe, expect, it } from 'vitest';
import { CommandNotStartedError } from '../../../src/transport/channel.js';
import { ConnectionPool, poolKey } from '../../../src/transport/pool.js';
import { argv } from '../../../src/transport/quote.js';
import type { ConnectionSpec, ExecResult, HostConnection } from '../../../src/transport/types.js';
import { Secret } from '../../../src/util/secret.js';

const base: ConnectionSpec = {
  name: 'mta01',
  host: '192.0.2.1',
  port: 22,
  user: 'ops',
  privateKeyFiles: ['/k/id_ed25519'],
  become: false,
  knownHostsFile: '/k/known_hosts',
  acceptNewHostKeys: false,
  connectTimeoutMs: 10_000,
  commandTimeoutMs: 300_000,
};

class Fake implements HostConnection {
  alive = true;
  closed = false;
  failNext: Error | undefined;
  runs = 0;
  constructor(readonly name: string) {}
  async exec(): Promise<ExecResult> {
    if (this.failNext) {
      const e = this.failNext;
      this.failNext = undefined;
      throw e;
    }
    this.runs += 1;
    return { stdout: '', stderr: '', exitCode: 0, signal: null, durationMs: 0 };
  }
  async readFile(): Promise<Buffer | null> {
    return null;
  }
  async writeFileAtomic(): Promise<void> {}
  async close(): Promise<void> {
    this.closed = true;
    this.alive = false;
  }
}

function fakePool(maxIdle?: number) {
  const opened: Fake[] = [];
  const pool = new ConnectionPool({
    connect: async (spec) => {
      const c = new Fake(spec.name);
      opened.push(c);
      return c;
    },
    ...(maxIdle !== undefined ? { maxIdle } : {}),
  });
  return { pool, opened };
}

describe('poolKey', () => {
  it('differs for another user, key, become setting, password, known_hosts or jump host; not for equal specs', () => {
    const same = poolKey({ ...base, privateKeyFiles: [...base.privateKeyFiles] });
    expect(same).toBe(poolKey(base));
    const variants: ConnectionSpec[] = [
      { ...base, user: 'root' },
      { ...base, privateKeyFiles: ['/k/other'] },
      { ...base, become: true },
      { ...base, become: true, becomeUser: 'pmta' },
      { ...base, becomePassword: new Secret('a') },
      { ...base, password: new Secret('a') },
      { ...base, knownHostsFile: '/k/other_hosts' },
      { ...base, jump: { ...base, name: 'bastion', host: '192.0.2.9' } },
      { ...base, port: 2222 },
    ];
    const keys = new Set([poolKey(base), ...variants.map(poolKey)]);
    expect(keys.size).toBe(variants.length + 1);
  });

  it('compares secrets by value without carrying them in clear', () => {
    const a = poolKey({ ...base, becomePassword: new Secret('hunter2') });
    expect(a).toBe(poolKey({ ...base, becomePassword: new Secret('hunter2') }));
    expect(a).not.toBe(poolKey({ ...base, becomePassword: new Secret('hunter3') }));
    expect(a).not.toContain('hunter2');
  });
});

describe('ConnectionPool', () => {
  it('hands a released connection to the next lease of the same spec, a new one to another spec or while leased', async () => {
    const { pool, opened } = fakePool();
    const a = await pool.lease(base);
    const b = await pool.lease(base); // a is still leased
    await a.close();
    await b.close();
    const c = await pool.lease(base);
    const d = await pool.lease({ ...base, become: true });
    expect(opened.length).toBe(3);
    expect(pool.stats).toEqual({ opened: 3, reused: 1, reopened: 0 });
    await c.close();
    await d.close();
    await pool.close();
    expect(opened.every((x) => x.closed)).toBe(true);
    await expect(pool.lease(base)).rejects.toThrow(/closed/);
  });

  it('replaces an idle connection that died, and closes the oldest idle ones past maxIdle', async () => {
    const { pool, opened } = fakePool(2);
    for (const name of ['h1', 'h2', 'h3']) await (await pool.lease({ ...base, name })).close();
    expect(opened.map((c) => c.closed)).toEqual([true, false, false]);
    opened[1]!.alive = false;
    await (await pool.lease({ ...base, name: 'h2' })).close();
    expect(opened.length).toBe(4);
    expect(pool.stats.reopened).toBe(1);
    await pool.close();
  });

  it('runs a command that never started once more on a new connection; a command that failed after starting is not rerun', async () => {
    const { pool, opened } = fakePool();
    await (await pool.lease(base)).close();
    opened[0]!.failNext = new CommandNotStartedError('mta01: cannot start "true": No response from server');
    const lease = await pool.lease(base);
    await lease.exec(argv('true'));
    expect(opened.length).toBe(2);
    expect(opened[0]!.closed).toBe(true);
    expect(opened[1]!.runs).toBe(1);
    opened[1]!.failNext = new Error('mta01: "true" timed out after 1s');
    await expect(lease.exec(argv('true'))).rejects.toThrow(/timed out/);
    expect(opened.length).toBe(2);
    await lease.close();
    await pool.close();
  });
});
