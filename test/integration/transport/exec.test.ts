import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { startSshd, type Sshd } from '../../helpers/sshd.js';
import { connect } from '../../../src/transport/ssh.js';
import { argv, sh } from '../../../src/transport/quote.js';
import type { HostConnection } from '../../../src/transport/types.js';
import { ExecError } from '../../../src/util/errors.js';
import { knownHostsFor, specFor, tempDir } from './helpers.js';

describe('exec against a real sshd', () => {
  let sshd: Sshd | undefined;
  let conn: HostConnection | undefined;
  let dir = '';

  beforeAll(async () => {
    dir = tempDir('exec');
    sshd = await startSshd();
    conn = await connect(specFor(sshd, knownHostsFor(dir, sshd), { name: 'mta01' }));
  });

  afterAll(async () => {
    await conn?.close();
    await sshd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('returns stdout, stderr, exit code and duration', async () => {
    const r = await conn!.exec(sh`printf out; printf err >&2; exit 7`);
    expect(r).toMatchObject({ stdout: 'out', stderr: 'err', exitCode: 7, signal: null });
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('passes argv values through the remote shell unchanged', async () => {
    const hostile = `it's $(echo pwned) \`id\` ; | & "q" \n new line ü`;
    const r = await conn!.exec(argv('printf', '%s', hostile));
    expect(r.stdout).toBe(hostile);
    expect(r.exitCode).toBe(0);
  });

  it('feeds stdin to the command', async () => {
    const data = 'line one\nline two\n'.repeat(2000);
    const r = await conn!.exec(argv('cat'), { stdin: data });
    expect(r.stdout).toBe(data);
  });

  it('reports a signal when the command is killed', async () => {
    const r = await conn!.exec(sh`kill -TERM $$`);
    expect(r.exitCode).toBeNull();
    expect(r.signal).toMatch(/TERM/);
  });

  it('times out a command, names it, kills it, and the connection stays usable', async () => {
    const seconds = `31.${process.pid}`;
    const started = Date.now();
    const err = await conn!.exec(sh`echo start; sleep ${seconds}; echo never`, { timeoutMs: 700 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecError);
    expect((err as Error).message).toMatch(/"echo" timed out after 0\.7s/);
    expect(Date.now() - started).toBeLessThan(5_000);
    const named = await conn!.exec(argv('sleep', '30'), { timeoutMs: 300 }).catch((e: unknown) => e);
    expect((named as Error).message).toContain('"sleep" timed out');
    // The remote process is gone soon after (the remote side of the timeout kills it).
    const alive = async (): Promise<string> => (await conn!.exec(sh`ps -eo args | grep ${`[s]leep ${seconds}`} || true`)).stdout;
    const deadline = Date.now() + 5_000;
    while ((await alive()) !== '' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(await alive()).toBe('');
    expect((await conn!.exec(argv('echo', 'still here'))).stdout).toBe('still here\n');
  });

  it('runs several commands at once on one connection', async () => {
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => conn!.exec(argv('echo', n))));
    expect(results.map((r) => r.stdout)).toEqual(['1\n', '2\n', '3\n', '4\n', '5\n']);
  });

  it('fails clearly after the connection is closed', async () => {
    const c = await connect(specFor(sshd!, knownHostsFor(dir, sshd!), { name: 'mta02' }));
    await c.close();
    await expect(c.exec(argv('true'))).rejects.toThrow(/mta02: connection is closed/);
  });
});
