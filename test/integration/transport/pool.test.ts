/**
 * Connection reuse against a real OpenSSH server: sshd's own log counts the connections it
 * accepted. Two phases over the same hosts share one connection per host; a connection the
 * server dropped between them is replaced without the caller seeing it; become settings and
 * keys never share one; and `plan --from-audit` plans two remedies of a host over one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSshd, type Sshd } from '../../helpers/sshd.js';
import { buildOnce, runCli } from '../../helpers/cli.js';
import { forEachHost } from '../../../src/transport/fleet.js';
import { ConnectionPool } from '../../../src/transport/pool.js';
import { argv } from '../../../src/transport/quote.js';
import { knownHostsFor, specFor, tempDir } from './helpers.js';

/** The pid of the sshd process serving this session: the nearest sshd above the shell. */
const SESSION_PID = 'p=$$; while [ "$(cat /proc/$p/comm)" != sshd ] && [ "$p" -gt 1 ]; do p=$(cut -d " " -f 4 /proc/$p/stat); done; echo $p';

/** Connections sshd accepted so far (LogLevel VERBOSE logs each authentication). */
const accepted = (sshd: Sshd): number => (sshd.log().match(/Accepted publickey for /g) ?? []).length;

/** sshd's per-connection processes: the listener's children. */
function connectionPids(sshd: Sshd): number[] {
  const pid = sshd.process.pid!;
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

const parentOf = (pid: number): number => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);

/** The sshd processes of one connection: from its session process up to the listener's child. */
function sessionChain(sshd: Sshd, sessionPid: number): number[] {
  const chain = [sessionPid];
  while (parentOf(chain.at(-1)!) !== sshd.process.pid) {
    if (chain.length > 5 || parentOf(chain.at(-1)!) <= 1) throw new Error(`process ${sessionPid} is not one of sshd ${sshd.process.pid}'s`);
    chain.push(parentOf(chain.at(-1)!));
  }
  return chain;
}

async function until(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('ConnectionPool against a real sshd', () => {
  let sshd: Sshd | undefined;
  let dir = '';
  let kh = '';

  beforeAll(async () => {
    buildOnce();
    dir = tempDir('pool');
    sshd = await startSshd();
    kh = knownHostsFor(dir, sshd);
  }, 60_000);

  afterAll(async () => {
    await sshd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const phase = (pool: ConnectionPool, names: string[]) =>
    forEachHost(
      names.map((name) => specFor(sshd!, kh, { name })),
      2,
      async (conn) => (await conn.exec(argv('sh', '-c', SESSION_PID))).stdout.trim(),
      { connect: (spec) => pool.lease(spec) },
    );

  it('a second phase over the same hosts opens no connection; closing the pool ends them', async () => {
    const pool = new ConnectionPool();
    const before = accepted(sshd!);
    const names = ['mta01', 'mta02', 'mta03'];
    try {
      const first = await phase(pool, names);
      expect(first.map((o) => o.status)).toEqual(['ok', 'ok', 'ok']);
      expect(accepted(sshd!) - before).toBe(3);
      const second = await phase(pool, names);
      expect(second.map((o) => o.status)).toEqual(['ok', 'ok', 'ok']);
      expect(accepted(sshd!) - before).toBe(3);
      // The same session process answered both phases: the very same connection.
      expect(second.map((o) => o.value)).toEqual(first.map((o) => o.value));
      expect(pool.stats).toEqual({ opened: 3, reused: 3, reopened: 0 });
      expect(connectionPids(sshd!).length).toBeGreaterThanOrEqual(3);
    } finally {
      await pool.close();
    }
    await until('sshd to see the connections end', () => connectionPids(sshd!).length === 0);
  });

  it('a connection the server dropped between two phases is reopened, and the phase succeeds', async () => {
    const pool = new ConnectionPool();
    const before = accepted(sshd!);
    try {
      const first = await phase(pool, ['mta01', 'mta02']);
      expect(first.map((o) => o.status)).toEqual(['ok', 'ok']);
      // Kill mta01's connection on the server side: its sshd processes, by pid.
      for (const pid of sessionChain(sshd!, Number(first[0]!.value))) process.kill(pid, 'SIGKILL');
      const second = await phase(pool, ['mta01', 'mta02']);
      expect(second.map((o) => [o.status, o.error?.message])).toEqual([['ok', undefined], ['ok', undefined]]);
      expect(second[0]!.value).not.toBe(first[0]!.value);
      expect(second[1]!.value).toBe(first[1]!.value);
      expect(accepted(sshd!) - before).toBe(3);
      expect(pool.stats.opened).toBe(3);
      expect(pool.stats.reopened).toBe(1);
    } finally {
      await pool.close();
    }
  });

  it('never shares a connection across become settings or keys', async () => {
    const pool = new ConnectionPool();
    const before = accepted(sshd!);
    try {
      const plain = specFor(sshd!, kh, { name: 'mta01' });
      const variants = [plain, { ...plain, become: true }, { ...plain, privateKeyFiles: [sshd!.clientKeyPath, join(dir, 'absent_key')] }];
      for (const spec of [...variants, ...variants]) {
        const conn = await pool.lease(spec);
        await conn.close();
      }
      expect(accepted(sshd!) - before).toBe(3);
      expect(pool.stats).toMatchObject({ opened: 3, reused: 3 });
    } finally {
      await pool.close();
    }
  });

  it('plan --from-audit plans two remedies of a host over one connection', async () => {
    const inv = join(dir, 'inv.yaml');
    writeFileSync(
      inv,
      `mta:\n  hosts:\n    h1:\n      ansible_host: ${sshd!.host}\n      ansible_port: ${sshd!.port}\n      ansible_user: root\n` +
        `      ansible_ssh_private_key_file: ${sshd!.clientKeyPath}\n      mtafleet_known_hosts: ${kh}\n`,
    );
    const finding = (kind: string, remedy: string, remedyVars: Record<string, string>) => ({ kind, severity: 'critical', title: kind, evidence: [], remedy, remedyVars, strength: 1 });
    const audit = join(dir, 'audit.json');
    writeFileSync(
      audit,
      JSON.stringify({
        hosts: [
          {
            name: 'h1',
            reachable: true,
            error: null,
            facts: {},
            unavailable: {},
            warnings: [],
            findings: [finding('port-exhaustion', 'playbooks/network-tuning.yaml', {}), finding('fd-limit', 'playbooks/fd-limit.yaml', { nofile: '65535' })],
          },
        ],
      }),
    );
    const before = accepted(sshd!);
    const r = await runCli(['plan', '--from-audit', audit, '-i', inv, '--format', 'json', '--state-dir', join(dir, 'state')], { ...process.env, HOME: dir, NO_COLOR: '1' });
    const plan = JSON.parse(r.stdout);
    // Both remedies were planned on the host (observed over ssh), whatever they found there.
    expect(plan.fromAudit.sources.map((s: { playbook: { path: string } }) => s.playbook.path.split('/').pop())).toEqual(['network-tuning.yaml', 'fd-limit.yaml']);
    expect(plan.plays.flatMap((p: { hosts: Array<{ host: string }>; unreachable: unknown[] }) => [...p.hosts.map((h) => h.host), ...p.unreachable])).toEqual(['h1', 'h1']);
    expect(accepted(sshd!) - before).toBe(1);
  }, 60_000);
});
