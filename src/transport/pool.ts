/**
 * Connections kept open between the phases of one command (plan --from-audit plans one remedy
 * after another on the same hosts; run gathers a health baseline, works, then gates): a
 * second phase leases the first phase's connection instead of paying a new handshake.
 *
 * A connection is reused only for the very same resolved spec (pooling key below: host,
 * port, user, key files, become settings, passwords, known_hosts, jump chain, limits), never
 * across users, become settings or keys. A lease's close() hands the connection back; the
 * owner closes the pool when the command ends. A connection that dropped while idle is
 * replaced when leased, and a command a dropped connection could not even start is started
 * once more on a fresh one (nothing ran: the server never opened its channel).
 */
import { createHash } from 'node:crypto';
import { Secret } from '../util/secret.js';
import { CommandNotStartedError } from './channel.js';
import { connect as sshConnect } from './ssh.js';
import type { Command } from './quote.js';
import type { ConnectionSpec, ExecOptions, ExecResult, HostConnection, WriteFileOptions } from './types.js';

/** A pooled connection: the pool asks it whether it is still usable. */
export interface PoolableConnection extends HostConnection {
  /** False once the connection closed or failed (keepalive timeout, reset). */
  readonly alive?: boolean;
}

export interface PoolOptions {
  connect?: (spec: ConnectionSpec) => Promise<HostConnection>;
  /** Idle connections kept at most (oldest closed first): each holds a socket and a timer. */
  maxIdle?: number;
}

export interface PoolStats {
  /** Connections opened (handshakes). */
  opened: number;
  /** Leases served by an idle connection. */
  reused: number;
  /** Idle connections found dropped and replaced, and commands restarted on a fresh one. */
  reopened: number;
}

export const DEFAULT_MAX_IDLE = 1000;

/** A string equal for two specs exactly when one connection may serve both. Secrets hashed. */
export function poolKey(spec: ConnectionSpec): string {
  // The holder's own value: a Secret's toJSON() (***) has already replaced `value` here.
  return JSON.stringify(spec, function (this: Record<string, unknown>, key: string, value: unknown) {
    const raw = this[key];
    return raw instanceof Secret ? `secret:${createHash('sha256').update(raw.reveal()).digest('hex')}` : value;
  });
}

export class ConnectionPool {
  readonly stats: PoolStats = { opened: 0, reused: 0, reopened: 0 };
  readonly #connect: (spec: ConnectionSpec) => Promise<HostConnection>;
  readonly #maxIdle: number;
  /** Idle connections per key; Map order doubles as least-recently-released first. */
  readonly #idle = new Map<string, PoolableConnection[]>();
  #idleCount = 0;
  readonly #leased = new Set<PoolableConnection>();
  #closed = false;

  constructor(options: PoolOptions = {}) {
    this.#connect = options.connect ?? sshConnect;
    this.#maxIdle = options.maxIdle ?? DEFAULT_MAX_IDLE;
  }

  /** A connection for `spec`: an idle one of the same key, or a new one. close() returns it. */
  async lease(spec: ConnectionSpec): Promise<HostConnection> {
    if (this.#closed) throw new Error('connection pool is closed');
    const key = poolKey(spec);
    let conn = this.#takeIdle(key);
    if (conn) this.stats.reused += 1;
    else conn = await this.#open(spec);
    this.#leased.add(conn);
    return new Lease(this, key, spec, conn);
  }

  /** Close every connection, idle or leased. */
  async close(): Promise<void> {
    this.#closed = true;
    const all = [...[...this.#idle.values()].flat(), ...this.#leased];
    this.#idle.clear();
    this.#idleCount = 0;
    this.#leased.clear();
    await Promise.all(all.map((c) => c.close().catch(() => undefined)));
  }

  async #open(spec: ConnectionSpec): Promise<PoolableConnection> {
    const conn = (await this.#connect(spec)) as PoolableConnection;
    this.stats.opened += 1;
    return conn;
  }

  #takeIdle(key: string): PoolableConnection | undefined {
    const list = this.#idle.get(key);
    while (list && list.length > 0) {
      const conn = list.pop()!;
      this.#idleCount -= 1;
      if (list.length === 0) this.#idle.delete(key);
      if (conn.alive !== false) return conn;
      // Dropped while idle (the server closed it, a keepalive timed out): replaced by a new one.
      this.stats.reopened += 1;
      void conn.close().catch(() => undefined);
    }
    return undefined;
  }

  /** @internal the lease's connection broke before its command started: a fresh one. */
  async replace(spec: ConnectionSpec, old: PoolableConnection): Promise<PoolableConnection> {
    this.#leased.delete(old);
    void old.close().catch(() => undefined);
    this.stats.reopened += 1;
    const conn = await this.#open(spec);
    if (this.#closed) {
      await conn.close().catch(() => undefined);
      throw new Error('connection pool is closed');
    }
    this.#leased.add(conn);
    return conn;
  }

  /** @internal a lease ends: keep the connection for the next lease of its key. */
  async release(key: string, conn: PoolableConnection): Promise<void> {
    if (!this.#leased.delete(conn)) return;
    if (this.#closed || conn.alive === false) {
      await conn.close().catch(() => undefined);
      return;
    }
    // Re-inserted last: the Map's first key is then the least recently released.
    const list = this.#idle.get(key) ?? [];
    this.#idle.delete(key);
    list.push(conn);
    this.#idle.set(key, list);
    this.#idleCount += 1;
    while (this.#idleCount > this.#maxIdle) {
      const [oldestKey, oldest] = this.#idle.entries().next().value as [string, PoolableConnection[]];
      const victim = oldest.shift()!;
      if (oldest.length === 0) this.#idle.delete(oldestKey);
      this.#idleCount -= 1;
      await victim.close().catch(() => undefined);
    }
  }
}


/** One use of a pooled connection; close() gives it back instead of ending it. */
class Lease implements HostConnection {
  readonly name: string;
  #released = false;

  constructor(
    private readonly pool: ConnectionPool,
    private readonly key: string,
    private readonly spec: ConnectionSpec,
    private conn: PoolableConnection,
  ) {
    this.name = conn.name;
  }

  exec(command: Command, options?: ExecOptions): Promise<ExecResult> {
    return this.#retry((c) => c.exec(command, options));
  }

  readFile(path: string, options?: { become?: boolean }): Promise<Buffer | null> {
    return this.#retry((c) => c.readFile(path, options));
  }

  writeFileAtomic(path: string, data: string | Buffer, options?: WriteFileOptions): Promise<void> {
    return this.#retry((c) => c.writeFileAtomic(path, data, options));
  }

  async close(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    await this.pool.release(this.key, this.conn);
  }

  /**
   * A reused connection may have dropped unnoticed (the server's end closed between two
   * phases, the event not yet read): a command it could not start runs once on a new one.
   */
  async #retry<T>(op: (c: PoolableConnection) => Promise<T>): Promise<T> {
    if (this.#released) throw new Error(`${this.name}: connection lease already closed`);
    try {
      return await op(this.conn);
    } catch (err) {
      if (!(err instanceof CommandNotStartedError)) throw err;
      this.conn = await this.pool.replace(this.spec, this.conn);
      return op(this.conn);
    }
  }
}

/** Runs `work` with a pool's lease as its connect(); every connection is closed after it. */
export async function withConnectionPool<T>(work: (connect: (spec: ConnectionSpec) => Promise<HostConnection>) => Promise<T>, options: PoolOptions = {}): Promise<T> {
  const pool = new ConnectionPool(options);
  try {
    return await work((spec) => pool.lease(spec));
  } finally {
    await pool.close();
  }
}
