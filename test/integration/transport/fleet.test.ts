import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { freePort, startSshd, type Sshd } from '../../helpers/sshd.js';
import { forEachHost } from '../../../src/transport/fleet.js';
import { connect } from '../../../src/transport/ssh.js';
import { argv } from '../../../src/transport/quote.js';
import type { ConnectionSpec, HostConnection } from '../../../src/transport/types.js';
import { ConnectError, ExecError } from '../../../src/util/errors.js';
import { knownHostsFor, specFor, tempDir } from './helpers.js';

describe('forEachHost against a real sshd', () => {
  let sshd: Sshd | undefined;
  let dir = '';
  let kh = '';

  beforeAll(async () => {
    dir = tempDir('fleet');
    sshd = await startSshd();
    kh = knownHostsFor(dir, sshd);
  });

  afterAll(async () => {
    await sshd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('isolates an unreachable host and a failing host from the good ones, in input order', async () => {
    const closedPort = await freePort();
    const specs: ConnectionSpec[] = [
      specFor(sshd!, kh, { name: 'mta01' }),
      { ...specFor(sshd!, kh, { name: 'mta-down' }), port: closedPort },
      specFor(sshd!, kh, { name: 'mta-bad' }),
      specFor(sshd!, kh, { name: 'mta04' }),
    ];
    const started: string[] = [];
    const done: string[] = [];
    const outcomes = await forEachHost(
      specs,
      2,
      async (conn, spec) => {
        if (spec.name === 'mta-bad') throw new Error('work blew up');
        return (await conn.exec(argv('echo', spec.name))).stdout.trim();
      },
      { onStart: (s) => started.push(s.name), onDone: (o) => done.push(o.name) },
    );
    expect(outcomes.map((o) => [o.name, o.status, o.value])).toEqual([
      ['mta01', 'ok', 'mta01'],
      ['mta-down', 'unreachable', undefined],
      ['mta-bad', 'failed', undefined],
      ['mta04', 'ok', 'mta04'],
    ]);
    expect(outcomes[1]!.error).toBeInstanceOf(ConnectError);
    expect(outcomes[1]!.error!.message).toContain(`127.0.0.1:${closedPort}`);
    expect(outcomes[2]!.error!.message).toBe('mta-bad: work blew up');
    expect(started.sort()).toEqual(specs.map((s) => s.name).sort());
    expect(done.sort()).toEqual(specs.map((s) => s.name).sort());
  });

  it('never has more than `forks` hosts at once and closes every connection', async () => {
    const specs = Array.from({ length: 7 }, (_, i) => specFor(sshd!, kh, { name: `mta${i}` }));
    let running = 0;
    let peak = 0;
    const conns: HostConnection[] = [];
    const outcomes = await forEachHost(
      specs,
      3,
      async (conn) => {
        running++;
        peak = Math.max(peak, running);
        await conn.exec(argv('sleep', '0.2'));
        running--;
        return true;
      },
      {
        connect: async (spec) => {
          const c = await connect(spec);
          conns.push(c);
          return c;
        },
      },
    );
    expect(outcomes.every((o) => o.status === 'ok')).toBe(true);
    expect(peak).toBe(3);
    expect(conns).toHaveLength(7);
    for (const c of conns) await expect(c.exec(argv('true'))).rejects.toThrow(ExecError);
  });
});
