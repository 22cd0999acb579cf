/**
 * Work on many hosts at once: at most `forks` connections open, each host's failure kept to
 * that host, every connection closed after its work, results in input order.
 */
import { MtafleetError } from '../util/errors.js';
import type { FailureOutcome } from '../util/outcome.js';
import { connect as sshConnect } from './ssh.js';
import type { ConnectionSpec, HostConnection } from './types.js';

export interface HostOutcome<T> {
  name: string;
  /**
   * ok: the work returned `value`. Otherwise the outcome `error` carries (its class decides):
   * unreachable for a ConnectError, refused for a RefusedError, failed for anything else.
   */
  status: 'ok' | FailureOutcome;
  value?: T;
  error?: MtafleetError;
}

export interface FleetHooks<T> {
  onStart?: (spec: ConnectionSpec) => void;
  onDone?: (outcome: HostOutcome<T>, spec: ConnectionSpec) => void;
  /** Replaces connect() (tests, or a caller holding a pool of connections). */
  connect?: (spec: ConnectionSpec) => Promise<HostConnection>;
}

/** Run `task` over `items` with at most `limit` running at once; results in input order. */
export async function runPool<I, R>(items: readonly I[], limit: number, task: (item: I, index: number) => Promise<R>): Promise<R[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency limit must be a whole number >= 1, got ${limit}`);
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export function forEachHost<T>(
  specs: ConnectionSpec[],
  forks: number,
  work: (conn: HostConnection, spec: ConnectionSpec) => Promise<T>,
  hooks: FleetHooks<T> = {},
): Promise<HostOutcome<T>[]> {
  const connect = hooks.connect ?? sshConnect;
  return runPool(specs, forks, async (spec) => {
    hooks.onStart?.(spec);
    const outcome = await oneHost(spec, connect, work);
    hooks.onDone?.(outcome, spec);
    return outcome;
  });
}

async function oneHost<T>(
  spec: ConnectionSpec,
  connect: (spec: ConnectionSpec) => Promise<HostConnection>,
  work: (conn: HostConnection, spec: ConnectionSpec) => Promise<T>,
): Promise<HostOutcome<T>> {
  let conn: HostConnection;
  try {
    conn = await connect(spec);
  } catch (err) {
    const error = asMtafleetError(err, spec);
    return { name: spec.name, status: error.outcome, error };
  }
  try {
    const value = await work(conn, spec);
    return { name: spec.name, status: 'ok', value };
  } catch (err) {
    const error = asMtafleetError(err, spec);
    return { name: spec.name, status: error.outcome, error };
  } finally {
    await conn.close().catch(() => undefined);
  }
}

function asMtafleetError(err: unknown, spec: ConnectionSpec): MtafleetError {
  if (err instanceof MtafleetError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new MtafleetError(`${spec.name}: ${message}`, { cause: err });
}
