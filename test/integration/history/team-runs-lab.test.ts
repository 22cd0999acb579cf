/**
 * Team runs through a shared PostgreSQL history store (a throwaway cluster), with two operators
 * (two state dirs, the same $MTAFLEET_DB) and two real sshd lab hosts: operator A runs a change;
 * operator B lists it (`runs`, `runs RUN_ID`) and rolls it back from B's empty state dir with the
 * journal read from the store (not the hosts' copies), the rollback itself recorded; a run
 * recorded while the store was down keeps its journal pending and writes it later; a journal
 * row in the store tampered with (a record of another host) refuses that host (exit 3) while the
 * other host is restored.
 */
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type LabHandle } from '../../helpers/lab.js';
import { createDatabase, PG_PASSWORD, startPostgres, type PgCluster } from '../../helpers/postgres.js';
import { openPostgres } from '../../../src/history/postgres.js';
import { FIXTURES, journalLines, runJsonOf, snapshot, workspace, type Workspace } from '../../reliability/fault-support.js';

const TUNE = join(FIXTURES, 'fault-tune.yaml');
const HOSTS = ['mta01', 'mta02'];

let cluster: PgCluster;
let db: string;
let lab: LabHandle;
let a: Workspace;
let b: Workspace;
const start = new Map<string, string>();

async function expectStart(where: string, hosts = HOSTS): Promise<void> {
  for (const h of hosts) expect(await snapshot(lab, h), `${where}: ${h}`).toBe(start.get(h));
}

beforeAll(async () => {
  a = workspace('team-a');
  b = workspace('team-b');
  cluster = await startPostgres();
  db = await createDatabase(cluster, 'team');
  a.env.MTAFLEET_DB = db;
  b.env.MTAFLEET_DB = db;
  lab = await startLab({ name: 'team', hosts: HOSTS.length, scenarios: ['healthy'] });
  for (const h of HOSTS) start.set(h, await snapshot(lab, h));
}, 180_000);

afterAll(async () => {
  try {
    await lab?.down();
  } finally {
    cluster?.remove();
    a?.cleanup();
    b?.cleanup();
  }
});

describe('team runs in a shared PostgreSQL store', () => {
  it("operator B lists A's run and rolls it back from the store's journal", async () => {
    const run = await a.cli(['run', TUNE, '-i', lab.inventoryFile, '--format', 'json']);
    expect(run.code, run.stderr).toBe(0);
    const { runId } = runJsonOf(run);
    expect(await snapshot(lab, 'mta01')).not.toBe(start.get('mta01'));

    const list = await b.cli(['runs']);
    expect(list.code, list.stderr).toBe(0);
    const port = new URL(db).port;
    expect(list.stdout.split('\n')[0]).toBe(`runs in the history store postgres://***:***@127.0.0.1:${port}/team`);
    expect(list.stdout).toContain(`${runId}  `);
    expect(list.stdout).toMatch(new RegExp(`^${runId}  \\S+Z  ${userInfo().username}@${hostname()}  run  ${TUNE}  2 host\\(s\\)  changed \\(changed=2\\)$`, 'm'));
    expect(list.stdout + list.stderr).not.toContain(PG_PASSWORD);
    const listed = await b.cli(['runs', '--format', 'json']);
    const json = JSON.parse(listed.stdout) as Array<{ runId: string; command: string; hosts: Array<{ name: string }> }>;
    expect(json.find((r) => r.runId === runId)).toMatchObject({ command: 'run', hosts: [{ name: 'mta01' }, { name: 'mta02' }] });
    const one = await b.cli(['runs', runId, '--format', 'json']);
    const shown = JSON.parse(one.stdout) as { source: string; rows: Array<{ command: string }>; journal: Array<{ host: string; intents: number; undone: number; refused: string | null }> };
    expect(shown.source).toBe('store');
    expect(shown.rows.map((r) => r.command)).toEqual(['run']);
    expect(shown.journal.map((h) => h.host)).toEqual(HOSTS);
    for (const h of shown.journal) {
      expect(h.refused).toBeNull();
      expect(h.intents).toBeGreaterThanOrEqual(3);
      expect(h.undone).toBe(0);
    }

    // B has no journal of the run: the store's copy is used (before the hosts' copies).
    const back = await b.cli(['rollback', runId, '-i', lab.inventoryFile]);
    expect(back.code, back.stdout + back.stderr).toBe(0);
    expect(back.stdout.split('\n')[0]).toBe(`undo records: read from the history store postgres://***:***@127.0.0.1:${port}/team (this machine had no journal of run ${runId}), kept in ${join(b.stateDir, 'runs')}/${runId}`);
    await expectStart('after B rolled back from the store');
    expect(journalLines(b.stateDir, runId).some((l) => JSON.parse(l).type === 'undone')).toBe(true);
    // The rollback is recorded, and its undone records joined the run's journal in the store.
    const after = JSON.parse((await b.cli(['runs', runId, '--format', 'json'])).stdout) as typeof shown;
    expect(after.rows.map((r) => r.command)).toEqual(['run', 'rollback']);
    for (const h of after.journal) expect(h.undone, h.host).toBeGreaterThanOrEqual(h.intents - 1);
    // A second rollback from yet another machine finds nothing left to undo.
    const c = workspace('team-c');
    try {
      c.env.MTAFLEET_DB = db;
      // Without -i: the inventory the run recorded in the store.
      const again = await c.cli(['rollback', runId, '--format', 'json']);
      expect(again.code, again.stderr).toBe(0);
      const r = JSON.parse(again.stdout) as { source: string; hosts: Array<{ name: string; changes: number }> };
      expect(r.source).toBe('store');
      // (the reload handler has no undo: it stays pending, reported, never replayed as a change)
      expect(r.hosts.every((h) => h.changes === 0)).toBe(true);
    } finally {
      c.cleanup();
    }
    await expectStart('after the second rollback');
  }, 240_000);

  it('a run recorded while the store is down keeps its journal pending; a tampered store record refuses its host', async () => {
    cluster.stop();
    const run = await a.cli(['run', TUNE, '-i', lab.inventoryFile, '--format', 'json']);
    expect(run.code, run.stderr).toBe(0);
    const { runId } = runJsonOf(run);
    expect(run.stderr).toMatch(/history not saved to postgres:\/\/\*\*\*:\*\*\*@127\.0\.0\.1:\d+\/team: .*history-pending/);
    const pendingDir = join(a.stateDir, 'history-pending');
    const pending = readdirSync(pendingDir).map((f) => JSON.parse(readFileSync(join(pendingDir, f), 'utf8')) as { extras?: { journal: Array<{ host: string }> } });
    expect(pending).toHaveLength(1);
    expect(new Set(pending[0]!.extras!.journal.map((j) => j.host))).toEqual(new Set(HOSTS));
    cluster.start();
    // The next command that records (a check run of one host) writes the pending run first.
    expect((await a.cli(['run', TUNE, '-i', lab.inventoryFile, '--check', '--limit', 'mta01'])).code).toBe(0);
    expect(readdirSync(pendingDir)).toEqual([]);

    const store = await openPostgres(db, 'test');
    try {
      expect(await store.run(`UPDATE run_journal SET record = replace(record, '"host":"mta02"', '"host":"mta01"') WHERE run_id = ? AND host = 'mta02' AND seq = 0`, [runId])).toBe(1);
    } finally {
      await store.close();
    }
    const shown = JSON.parse((await b.cli(['runs', runId, '--format', 'json'])).stdout) as { journal: Array<{ host: string; refused: string | null }> };
    expect(shown.journal.find((h) => h.host === 'mta02')!.refused).toMatch(/line 1 names host "mta01": a host's records may only touch that host/);

    const back = await b.cli(['rollback', runId, '-i', lab.inventoryFile, '--format', 'json']);
    expect(back.code, back.stderr).toBe(3);
    const result = runJsonOf(back) as ReturnType<typeof runJsonOf> & { source: string };
    expect(result.source).toBe('store');
    expect(result.hosts.find((h) => h.name === 'mta02')).toMatchObject({ status: 'refused', changes: 0 });
    expect(result.hosts.find((h) => h.name === 'mta02')!.error).toMatch(
      /mta02: refusing the history store's undo records of run .*: line 1 names host "mta01": a host's records may only touch that host; nothing was undone on this host/,
    );
    await expectStart('mta01 restored', ['mta01']);
    expect(await snapshot(lab, 'mta02')).not.toBe(start.get('mta02'));
    // A still has the local journal: it is used first, and restores mta02.
    const localBack = await a.cli(['rollback', runId]);
    expect(localBack.code, localBack.stdout + localBack.stderr).toBe(0);
    expect(localBack.stdout).toMatch(/^undo records: the local journal/);
    await expectStart('after A rolled back from its journal');
  }, 240_000);
});
