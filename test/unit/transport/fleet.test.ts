import { describe, expect, it } from 'vitest';
import { forEachHost, runPool } from '../../../src/transport/fleet.js';
import type { ConnectionSpec, HostConnection } from '../../../src/transport/types.js';
import { ConnectError, ExecError } from '../../../src/util/errors.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('runPool', () => {
  it('keeps input order and never exceeds the limit', async () => {
    let running = 0;
    let peak = 0;
    const out = await runPool([30, 5, 20, 1, 10, 2], 2, async (ms, i) => {
      running++;
      peak = Math.max(peak, running);
      await sleep(ms);
      running--;
      return i;
    });
    expect(out).toEqual([0, 1, 2, 3, 4, 5]);
    expect(peak).toBe(2);
  });

  it('rejects a bad limit and handles an empty list', async () => {
    await expect(runPool([1], 0, async () => 1)).rejects.toThrow(RangeError);
    expect(await runPool([], 3, async () => 1)).toEqual([]);
  });
});

// The real connect() is covered by test/integration/transport; here a stand-in isolates the
// per-host bookkeeping (status mapping, close after work, hooks).
describe('forEachHost bookkeeping', () => {
  const spec = (name: string): ConnectionSpec => ({
    name, host: name, port: 22, user: 'u', privateKeyFiles: [], become: false,
    knownHostsFile: '/dev/null', acceptNewHostKeys: false, connectTimeoutMs: 1, commandTimeoutMs: 1,
  });

  it('maps connect errors to unreachable, work errors to failed, and always closes', async () => {
    const closed: string[] = [];
    const connect = async (s: ConnectionSpec): Promise<HostConnection> => {
      if (s.name === 'down') throw new ConnectError(s.name, 'unreachable', 'down: refused');
      if (s.name === 'weird') throw new TypeError('boom');
      return { name: s.name, close: async () => void closed.push(s.name) } as unknown as HostConnection;
    };
    const outcomes = await forEachHost(
      ['a', 'down', 'fail', 'weird', 'b'].map(spec),
      10,
      async (_c, s) => {
        if (s.name === 'fail') throw new ExecError('fail: timed out');
        return s.name.toUpperCase();
      },
      { connect },
    );
    expect(outcomes.map((o) => [o.name, o.status, o.value, o.error?.constructor.name])).toEqual([
      ['a', 'ok', 'A', undefined],
      ['down', 'unreachable', undefined, 'ConnectError'],
      ['fail', 'failed', undefined, 'ExecError'],
      ['weird', 'failed', undefined, 'MtafleetError'],
      ['b', 'ok', 'B', undefined],
    ]);
    expect(closed.sort()).toEqual(['a', 'b', 'fail']);
  });
});
