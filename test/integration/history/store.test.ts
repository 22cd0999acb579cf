/**
 * The history store on both backends, with the same test body: a real SQLite file and a real
 * PostgreSQL server (a throwaway cluster, test/helpers/postgres.ts). Migrations from an empty
 * database and from version 1; recording and reading back audits, runs and finding spans;
 * audits written late (from history-pending/); two processes writing at once.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HistoryStore, JOURNAL_MAX_BYTES, JOURNAL_MAX_LINES, openStore, storeTarget, type StoreTarget } from '../../../src/history/index.js';
import { openSqlite } from '../../../src/history/sqlite.js';
import { openPostgres } from '../../../src/history/postgres.js';
import { SCHEMA_VERSION } from '../../../src/history/migrations.js';
import { buildOnce, ROOT } from '../../helpers/cli.js';
import { record } from '../../helpers/history-records.js';
import { createDatabase, startPostgres, type PgCluster } from '../../helpers/postgres.js';

let cluster: PgCluster;
let dir: string;
let dbCount = 0;

beforeAll(async () => {
  buildOnce();
  dir = mkdtempSync(join(tmpdir(), 'mtaf-hist-'));
  cluster = await startPostgres();
});
afterAll(() => {
  cluster?.remove();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A fresh, empty database of each backend for every test. */
async function freshTarget(backend: 'sqlite' | 'postgres'): Promise<StoreTarget> {
  const name = `h${++dbCount}`;
  if (backend === 'sqlite') return { backend, file: join(dir, 'state', `${name}.sqlite`) };
  return { backend, url: await createDatabase(cluster, name) };
}

async function rawOpen(t: StoreTarget): Promise<HistoryStore> {
  return new HistoryStore(t.backend === 'sqlite' ? openSqlite(t.file) : await openPostgres(t.url, 'test'));
}

const H = 3_600_000;
const T0 = Date.UTC(2026, 10, 1, 0, 0, 0);
const RUN = {
  id: 'r1', runId: 'r1', command: 'run' as const, who: 'ops@ctl', startedAt: T0, finishedAt: T0 + 5000, check: false, playbook: 'p.yaml', planFile: null,
  inventory: 'inv.yaml', hosts: [{ name: 'mta1', status: 'changed', changes: 2 }], summary: { ok: 0, changed: 1, failed: 0, unreachable: 0, refused: 0 }, outcome: 'changed' as const,
};

describe.each(['sqlite', 'postgres'] as const)('history store (%s)', (backend) => {
  it('migrates an empty database to the latest version, and a second open applies nothing', async () => {
    const t = await freshTarget(backend);
    const store = await rawOpen(t);
    expect(await store.migrate()).toEqual([1, 2, 3]);
    expect(await store.schemaVersion()).toBe(SCHEMA_VERSION);
    expect(await store.migrate()).toEqual([]);
    await store.close();
    if (t.backend === 'sqlite') {
      expect(statSync(t.file).mode & 0o777).toBe(0o600);
      expect(statSync(join(dir, 'state')).mode & 0o777).toBe(0o700);
      const db = openSqlite(t.file);
      expect(await db.all<{ journal_mode: string }>('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
      await db.close();
    }
  });

  it('migrates a version-1 database with data to version 2, filling the new column from the findings', async () => {
    const t = await freshTarget(backend);
    const store = await rawOpen(t);
    expect(await store.migrate(1)).toEqual([1]);
    // Version 1 has no `worst` column: rows written as a v1 runner would.
    await store.db.run("INSERT INTO audits (id, at_ms, who, params, hosts, reachable, failed, rate, queue, deferral_rate, critical, warn) VALUES ('a1', 1, 'w', '{}', 2, 2, 0, NULL, NULL, NULL, 1, 0)");
    await store.db.run("INSERT INTO host_audits (audit_id, host, at_ms, reachable, failed, detail) VALUES ('a1', 'mta1', 1, 1, 0, '{}'), ('a1', 'mta2', 1, 1, 0, '{}')");
    await store.db.run("INSERT INTO findings (audit_id, host, kind, subject, severity, title, evidence) VALUES ('a1', 'mta1', 'spool-io', '', 'warn', 't', '[]'), ('a1', 'mta1', 'fd-limit', '', 'critical', 't', '[]')");
    await expect(store.db.all('SELECT worst FROM host_audits')).rejects.toThrow();
    expect(await store.migrate(2)).toEqual([2]);
    expect(await store.db.all('SELECT host, worst FROM host_audits ORDER BY host')).toEqual([{ host: 'mta1', worst: 2 }, { host: 'mta2', worst: null }]);
    const versions = await store.db.all<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(versions.map((v) => Number(v.version))).toEqual([1, 2]);
    await store.close();
  });

  it('migrates a version-2 database with runs to version 3: the runs stay, journals and approvals are recorded from then on', async () => {
    const t = await freshTarget(backend);
    const store = await rawOpen(t);
    expect(await store.migrate(2)).toEqual([1, 2]);
    const old = { ...RUN, id: 'v2run', runId: 'v2run' };
    expect(await store.db.run(
      "INSERT INTO runs (id, run_id, command, who, started_ms, finished_ms, check_mode, playbook, plan_file, inventory, hosts, summary, outcome) VALUES ('v2run', 'v2run', 'run', 'ops@ctl', ?, ?, 0, 'p.yaml', NULL, 'inv.yaml', ?, ?, 'changed')",
      [T0, T0 + 5000, JSON.stringify(RUN.hosts), JSON.stringify(RUN.summary)],
    )).toBe(1);
    await expect(store.db.all('SELECT * FROM run_journal')).rejects.toThrow();
    expect(await store.migrate()).toEqual([3]);
    expect(await store.runs(0)).toEqual([old]);
    expect(await store.journal('v2run')).toEqual(new Map());
    expect(await store.recordRun({ ...RUN, id: 'r3', runId: 'r3' }, { journal: [{ host: 'mta1', seq: 0, line: '{"a":1}' }], approvals: [{ principal: 'ops@x', keyType: 'ssh-ed25519', key: 'SHA256:abc' }] })).toBe(true);
    expect(await store.journal('r3')).toEqual(new Map([['mta1', { text: '{"a":1}\n' }]]));
    expect(await store.approvals(['r3', 'v2run'])).toEqual(new Map([['r3', [{ principal: 'ops@x', keyType: 'ssh-ed25519', key: 'SHA256:abc' }]]]));
    await store.close();
  });

  it("keeps a run's journal per host in order; a rollback adds only its own records; hostile rows are refused by bound or gap", async () => {
    const store = await openStore(await freshTarget(backend));
    const lines = (host: string, from: number, n: number) => Array.from({ length: n }, (_, i) => ({ host, seq: from + i, line: `{"${host}":${from + i}}` }));
    await store.recordRun(RUN, { journal: [...lines('mta1', 0, 3), ...lines('mta2', 0, 2)] });
    // The rollback's rows: the run's records again (skipped), then its own.
    await store.recordRun({ ...RUN, id: 'rb1', command: 'rollback' }, { journal: [...lines('mta1', 0, 4), ...lines('mta2', 0, 2)].map((j) => ({ ...j, line: j.seq < 3 || j.host === 'mta2' ? 'changed by the rollback?' : j.line })) });
    const j = await store.journal(RUN.runId);
    expect([...j.keys()]).toEqual(['mta1', 'mta2']);
    expect(j.get('mta1')).toEqual({ text: '{"mta1":0}\n{"mta1":1}\n{"mta1":2}\n{"mta1":3}\n' });
    expect(j.get('mta2')).toEqual({ text: '{"mta2":0}\n{"mta2":1}\n' });
    expect((await store.runRows(RUN.runId)).map((r) => [r.id, r.command])).toEqual([[RUN.id, 'run'], ['rb1', 'rollback']]);
    // Rows written behind the tool's back: a gap in a host's numbering, too many records, too many bytes.
    await store.db.run("INSERT INTO run_journal (run_id, host, seq, record) VALUES (?, 'mta2', 5, 'x')", [RUN.runId]);
    await store.db.insertMany('run_journal', ['run_id', 'host', 'seq', 'record'], Array.from({ length: JOURNAL_MAX_LINES + 1 }, (_, i) => [RUN.runId, 'many', i, '{}']));
    await store.db.run("INSERT INTO run_journal (run_id, host, seq, record) VALUES (?, 'big', 0, ?)", [RUN.runId, 'x'.repeat(JOURNAL_MAX_BYTES + 1)]);
    const hostile = await store.journal(RUN.runId);
    expect(hostile.get('mta2')).toEqual({ refused: "the store's records for this host are not numbered 0..2 (record 2 is missing or out of place)" });
    expect(hostile.get('many')).toEqual({ refused: `the store holds ${JOURNAL_MAX_LINES + 1} records for this host, more than the ${JOURNAL_MAX_LINES} allowed` });
    expect(hostile.get('big')).toEqual({ refused: `the store holds ${JOURNAL_MAX_BYTES + 1} characters of records for this host, more than the ${JOURNAL_MAX_BYTES} allowed` });
    expect(hostile.get('mta1')).toEqual(j.get('mta1'));
    // Pruning a run takes its journal and approvals along.
    await store.recordRun({ ...RUN, id: 'r2', runId: 'r2' }, { approvals: [{ principal: 'p', keyType: 't', key: 'k' }] });
    expect(await store.prune(T0 + 1)).toEqual({ audits: 0, runs: 3 });
    expect(await store.db.all('SELECT COUNT(*) AS n FROM run_journal')).toEqual([{ n: 0 }]);
    expect(await store.db.all('SELECT COUNT(*) AS n FROM run_approvals')).toEqual([{ n: 0 }]);
    await store.close();
  }, 60_000);

  it('records audits and reads them back; a repeated record is skipped', async () => {
    const store = await openStore(await freshTarget(backend));
    const rec = record('a1', T0, [{ name: 'mta1', rate: 5000, queue: 20, findings: ['spool-io!', 'deferrals:gmail.com'] }, { name: 'mta2', reachable: false }]);
    expect(await store.recordAudit(rec)).toBe(true);
    expect(await store.recordAudit(rec)).toBe(false);
    const snap = await store.snapshot('a1');
    expect(snap?.at).toBe(T0);
    expect(snap?.hosts).toEqual(rec.hosts);
    expect(snap?.findings.map((f) => [f.host, f.kind, f.subject, f.severity])).toEqual([
      ['mta1', 'deferrals', 'gmail.com', 'warn'],
      ['mta1', 'spool-io', '', 'critical'],
    ]);
    expect(await store.lastAuditId()).toBe('a1');
    expect(await store.snapshot('nope')).toBeUndefined();
    const fleet = await store.fleetPoints(0);
    expect(fleet).toEqual([expect.objectContaining({ id: 'a1', hosts: 2, reachable: 1, rate: 5000, critical: 1, warn: 0 })]);
    await store.close();
  });

  it('keeps finding episodes: first seen, still open, resolved; an unreachable host resolves nothing', async () => {
    const store = await openStore(await freshTarget(backend));
    await store.recordAudit(record('a1', T0, [{ name: 'mta1', findings: ['spool-io'] }, { name: 'mta2', findings: ['fd-limit'] }]));
    await store.recordAudit(record('a2', T0 + H, [{ name: 'mta1', findings: ['spool-io!'] }, { name: 'mta2', reachable: false }]));
    await store.recordAudit(record('a3', T0 + 2 * H, [{ name: 'mta1' }, { name: 'mta2', findings: ['fd-limit'] }]));
    const spans = await store.spans(0);
    expect(spans.map((s) => [s.host, s.kind, s.firstAudit, s.lastAudit, s.resolvedAudit, s.severity])).toEqual([
      ['mta1', 'spool-io', 'a1', 'a2', 'a3', 'critical'],
      ['mta2', 'fd-limit', 'a1', 'a3', null, 'warn'],
    ]);
    await store.close();
  });

  it('an audit recorded late (from history-pending/) rebuilds the episodes of its hosts', async () => {
    const store = await openStore(await freshTarget(backend));
    await store.recordAudit(record('a1', T0, [{ name: 'mta1', findings: ['spool-io'] }]));
    await store.recordAudit(record('a3', T0 + 2 * H, [{ name: 'mta1', findings: ['spool-io'] }]));
    // a2 ran between them but was written after a3: spool-io was resolved at a2 and came back at a3.
    await store.recordAudit(record('a2', T0 + H, [{ name: 'mta1' }]));
    const spans = await store.spans(0);
    expect(spans.map((s) => [s.firstAudit, s.lastAudit, s.resolvedAudit])).toEqual([
      ['a1', 'a1', 'a2'],
      ['a3', 'a3', null],
    ]);
    expect((await store.latestPoints(['mta1']))[0]?.audit_id).toBe('a3');
    await store.close();
  });

  it('records runs and prunes what is older than the retention', async () => {
    const store = await openStore(await freshTarget(backend));
    const run = {
      id: 'r1', runId: 'r1', command: 'run' as const, who: 'ops@ctl', startedAt: T0, finishedAt: T0 + 5000, check: false, playbook: 'p.yaml', planFile: null,
      inventory: 'inv.yaml', hosts: [{ name: 'mta1', status: 'changed', changes: 2 }], summary: { ok: 0, changed: 1, failed: 0, unreachable: 0, refused: 0 }, outcome: 'changed' as const,
    };
    expect(await store.recordRun(run)).toBe(true);
    expect(await store.runs(0)).toEqual([run]);
    await store.recordAudit(record('old', T0, [{ name: 'mta1', findings: ['spool-io'] }]));
    await store.recordAudit(record('mid', T0 + H, [{ name: 'mta1' }]));
    await store.recordAudit(record('new', T0 + 48 * H, [{ name: 'mta1' }]));
    expect(await store.prune(T0 + 2 * H)).toEqual({ audits: 2, runs: 1 });
    expect((await store.fleetPoints(0)).map((p) => p.id)).toEqual(['new']);
    expect(await store.spans(0)).toEqual([]);
    expect(await store.db.all('SELECT audit_id FROM findings')).toEqual([]);
    await store.close();
  });

  it('two processes recording at once lose nothing', async () => {
    const t = await freshTarget(backend);
    const db = t.backend === 'sqlite' ? t.file : t.url;
    // Created by neither writer: both race through the migrations too.
    const writer = (prefix: string) =>
      new Promise<number>((resolve, reject) => {
        const child = spawn(process.execPath, [join(ROOT, 'test/helpers/history-writer.mjs'), db, prefix, '15', '40'], { stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.once('error', reject);
        child.once('close', (code) => (code === 0 ? resolve(code) : reject(new Error(`writer ${prefix} exited ${code}: ${err}`))));
      });
    await Promise.all([writer('x'), writer('y')]);
    const store = await openStore(t);
    expect((await store.fleetPoints(0)).length).toBe(30);
    expect(await store.db.all('SELECT COUNT(*) AS n FROM host_audits')).toEqual([{ n: 1200 }]);
    expect(await store.db.all('SELECT COUNT(*) AS n FROM findings')).toEqual([{ n: 16 * 40 }]);
    // Each host has one episode per run of audits with the finding, all consistent.
    const spans = await store.spans(0);
    expect(spans.filter((s) => s.host === 'mta000').every((s) => s.kind === 'spool-io')).toBe(true);
    expect(await store.schemaVersion()).toBe(SCHEMA_VERSION);
    await store.close();
  }, 120_000);
});

describe('store target', () => {
  it('defaults to the state dir; --db picks PostgreSQL or a SQLite file; other schemes are bad input', () => {
    expect(storeTarget({ stateDir: '/s' })).toEqual({ backend: 'sqlite', file: '/s/history.sqlite' });
    expect(storeTarget({ stateDir: '/s', db: 'postgresql://u:p@h/db' })).toEqual({ backend: 'postgres', url: 'postgresql://u:p@h/db' });
    expect(storeTarget({ stateDir: '/s', db: 'sqlite:/tmp/x.db' })).toEqual({ backend: 'sqlite', file: '/tmp/x.db', named: true });
    expect(storeTarget({ stateDir: '/s', db: 'x.db' })).toEqual({ backend: 'sqlite', file: 'x.db', named: true });
    expect(() => storeTarget({ stateDir: '/s', db: 'mysql://root:hunter2@h/db' })).toThrow(/mysql:\/\/\*\*\*:\*\*\*@h\/db: not a postgres/);
  });
});
