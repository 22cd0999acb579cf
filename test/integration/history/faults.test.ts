/**
 * A history store that is down never stops a command: the record waits in the state dir's
 * history-pending/ (private), one line on stderr says so without credentials, and the next
 * command that reaches the store writes it. Against a real PostgreSQL server stopped and started
 * again between commands, through saveHistory and through the real CLI.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, pendingDir, saveHistory, storeTarget } from '../../../src/history/index.js';
import { buildOnce, runCli } from '../../helpers/cli.js';
import { record } from '../../helpers/history-records.js';
import { createDatabase, PG_PASSWORD, PG_USER, startPostgres, type PgCluster } from '../../helpers/postgres.js';
import { freePort } from '../../helpers/sshd.js';
import { AuditContract } from '../../unit/report/contract.js';

let cluster: PgCluster;
let dir: string;

beforeAll(async () => {
  buildOnce();
  dir = mkdtempSync(join(tmpdir(), 'mtaf-hist-faults-'));
  cluster = await startPostgres();
});
afterAll(() => {
  cluster?.remove();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const T0 = Date.UTC(2026, 10, 1);
const secretFree = (text: string): void => {
  expect(text).not.toContain(PG_PASSWORD);
  expect(text).not.toContain(encodeURIComponent(PG_PASSWORD));
  expect(text).not.toContain(PG_USER);
};

describe('history store faults (PostgreSQL)', () => {
  it('stopped between two audits: the second waits in history-pending/ and is written once the server is back', async () => {
    const stateDir = join(dir, 'state-a');
    const opts = { db: cluster.url, stateDir };
    const lines: string[] = [];
    const warn = (l: string): void => void lines.push(l);
    expect(await saveHistory(opts, [{ type: 'audit', record: record('a1', T0, [{ name: 'mta1', findings: ['spool-io'] }]) }], warn)).toEqual({ saved: true, flushed: 0 });

    cluster.stop();
    const down = await saveHistory(opts, [{ type: 'audit', record: record('a2', T0 + 1000, [{ name: 'mta1' }]) }], warn);
    expect(down.saved).toBe(false);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^mtafleet: history not saved to postgres:\/\/\*\*\*:\*\*\*@127\.0\.0\.1:\d+\/postgres: .*ECONNREFUSED.*history-pending/);
    secretFree(lines[0]!);
    const pending = readdirSync(pendingDir(stateDir));
    expect(pending).toHaveLength(1);
    expect(statSync(pendingDir(stateDir)).mode & 0o777).toBe(0o700);
    expect(statSync(join(pendingDir(stateDir), pending[0]!)).mode & 0o777).toBe(0o600);
    secretFree(readFileSync(join(pendingDir(stateDir), pending[0]!), 'utf8'));

    cluster.start();
    const back = await saveHistory(opts, [{ type: 'run', record: { id: 'r1', runId: 'r1', command: 'run', who: 'w', startedAt: T0 + 2000, finishedAt: null, check: false, playbook: null, planFile: null, inventory: null, hosts: [], summary: {}, outcome: 'ok' } }], warn);
    expect(back).toEqual({ saved: true, flushed: 1 });
    expect(lines).toHaveLength(1);
    expect(readdirSync(pendingDir(stateDir))).toEqual([]);
    const store = await openStore(storeTarget(opts));
    expect((await store.fleetPoints(0)).map((p) => p.id)).toEqual(['a1', 'a2']);
    // The late audit resolved the finding where it belongs.
    expect((await store.spans(0)).map((s) => [s.firstAudit, s.resolvedAudit])).toEqual([['a1', 'a2']]);
    expect((await store.runs(0)).map((r) => r.id)).toEqual(['r1']);
    await store.close();
  });

  it('a server that accepts but never answers costs the connect timeout (~2.5 s), not a hang', async () => {
    const sockets: Socket[] = [];
    const server: Server = createServer((s) => void sockets.push(s));
    const port = await freePort();
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    try {
      const lines: string[] = [];
      const started = Date.now();
      const r = await saveHistory({ db: `postgres://${PG_USER}:${PG_PASSWORD}@127.0.0.1:${port}/x`, stateDir: join(dir, 'state-b') }, [{ type: 'audit', record: record('b1', T0, [{ name: 'mta1' }]) }], (l) => void lines.push(l));
      const took = Date.now() - started;
      expect(r.saved).toBe(false);
      expect(took).toBeGreaterThanOrEqual(2000);
      expect(took).toBeLessThan(6000);
      expect(lines[0]).toMatch(/timeout/i);
      secretFree(lines[0]!);
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  });

  it('a wrong password: the driver error names the user; the message shows neither user nor password', async () => {
    const bad = cluster.url.replace(encodeURIComponent(PG_PASSWORD), 'Wr0ngPassw0rd');
    const lines: string[] = [];
    const r = await saveHistory({ db: bad, stateDir: join(dir, 'state-c') }, [{ type: 'audit', record: record('c1', T0, [{ name: 'mta1' }]) }], (l) => void lines.push(l));
    expect(r.saved).toBe(false);
    expect(lines[0]).toMatch(/password authentication failed for user "\*\*\*"/);
    expect(lines[0]).not.toContain('Wr0ngPassw0rd');
    secretFree(lines[0]!);
  });

  it('through the CLI: audit with the server down exits as without history, then `history` writes and shows it; --compare last', async () => {
    const stateDir = join(dir, 'state-cli');
    const inventory = join(dir, 'inv.yaml');
    const port = await freePort();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(inventory, `all:\n  hosts:\n    ghost:\n      ansible_host: 127.0.0.1\n      ansible_port: ${port}\n      ansible_user: root\n`);
    const env = { ...process.env, MTAFLEET_STATE_DIR: stateDir, MTAFLEET_DB: await createDatabase(cluster, 'clitest'), NO_COLOR: '1' };

    const first = await runCli(['audit', '-i', inventory, '--format', 'json'], env);
    expect(first.code).toBe(4);
    const firstId = (JSON.parse(first.stdout) as { auditId: string }).auditId;
    expect(firstId).toMatch(/^\d{8}T\d{6}Z-[a-z0-9]+$/);
    expect(first.stderr).toBe('');

    cluster.stop();
    const down = await runCli(['audit', '-i', inventory, '--format', 'json', '--compare', 'last'], env);
    expect(down.code).toBe(4);
    const downJson = JSON.parse(down.stdout) as { auditId: string; compare: { unavailable: string } };
    expect(downJson.compare.unavailable).toMatch(/history store unreachable/);
    AuditContract.parse(downJson);
    expect(down.stderr.match(/history not saved/g)).toHaveLength(1);
    secretFree(down.stderr + down.stdout);
    expect(readdirSync(pendingDir(stateDir))).toHaveLength(1);
    // `history` has nothing to show without its store: exit 1, the URL redacted.
    const noStore = await runCli(['history'], env);
    expect(noStore.code).toBe(1);
    expect(noStore.stderr).toMatch(/history store unreachable: connect ECONNREFUSED/);
    secretFree(noStore.stderr);

    cluster.start();
    const hist = await runCli(['history', '--format', 'json', '--since', '1d'], env);
    expect(hist.code).toBe(0);
    const data = JSON.parse(hist.stdout) as { fleet: Array<{ auditId: string; reachable: number }>; hosts: Array<{ name: string; points: unknown[] }> };
    expect(data.fleet.map((p) => p.auditId)).toEqual([firstId, downJson.auditId]);
    expect(data.hosts).toEqual([expect.objectContaining({ name: 'ghost', points: [expect.objectContaining({ reachable: false }), expect.objectContaining({ reachable: false })] })]);
    expect(readdirSync(pendingDir(stateDir))).toEqual([]);

    const third = await runCli(['audit', '-i', inventory, '--compare', 'last'], env);
    expect(third.code).toBe(4);
    expect(third.stdout).toContain(`compared with audit ${downJson.auditId}`);
    expect(third.stdout).toMatch(/^audit id \S+$/m);
    const byId = JSON.parse((await runCli(['audit', '-i', inventory, '--format', 'json', '--compare', firstId], env)).stdout) as { compare: { against: { auditId: string }; hostsGone: string[] } };
    AuditContract.parse(byId);
    expect(byId.compare.against.auditId).toBe(firstId);
    expect(byId.compare.hostsGone).toEqual([]);
    const unknown = await runCli(['audit', '-i', inventory, '--compare', 'no-such-audit'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/--compare no-such-audit: no audit with that id/);

    const none = await runCli(['audit', '-i', inventory, '--no-history', '--format', 'json'], env);
    const hist2 = JSON.parse((await runCli(['history', '--format', 'json'], env)).stdout) as { fleet: Array<{ auditId: string }> };
    expect(hist2.fleet.map((p) => p.auditId)).not.toContain((JSON.parse(none.stdout) as { auditId: string }).auditId);
    expect(hist2.fleet).toHaveLength(4);
  }, 120_000);
});
