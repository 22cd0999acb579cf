/**
 * history: the cost of the history store (issue 16).
 *  1. Recording one audit of 1,000 hosts (extraction + open + write + close, as `audit` does
 *     after printing) against the 1,000-host audit's wall time measured by the scale benchmark
 *     (in this run when it ran first, else bench/results/latest.json, else the reference run in
 *     bench/reference/): target <= 5 %.
 *     On SQLite, and on PostgreSQL when the server binaries are installed.
 *  2. A SQLite store holding 90 days of hourly audits of 1,000 hosts (2.16 M host-audit rows,
 *     synthetic, bulk-inserted): the fleet trend query (`history`, whole fleet) <= 1 s, a
 *     one-host query (`history --limit HOST`) <= 100 ms, the file <= 2 GB.
 * Tiny size: 20 hosts, 2 days.
 */
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { benchRoot, dist, resultsDir } from './lib/paths.mjs';
import { postgresBinDir, startPostgres, createDatabase } from './lib/postgres.mjs';
import { tempDir } from './lib/proc.mjs';
import { limit, measure } from './lib/stats.mjs';

const SIZES = { tiny: { hosts: 20, days: 2 }, full: { hosts: 1000, days: 90 } };
const TARGETS = { recordShare: 0.05, fleetQueryS: 1, hostQueryS: 0.1, fileGb: 2 };
const HOUR = 3_600_000;

export default async function history({ size, runs, log, results = [] }) {
  const h = await import(dist('history/index.js'));
  const { openSqlite } = await import(dist('history/sqlite.js'));
  const { hosts: hostCount, days } = SIZES[size];
  const dir = tempDir('history');
  const measures = [];
  const comparisons = [];
  const figures = {};
  const notes = [];
  try {
    // 1. One audit of hostCount hosts, recorded as `audit` records it.
    const report = syntheticReport(hostCount, 1);
    const auditWall = scaleAuditWall(hostCount, results);
    figures['audit wall used as the baseline (s)'] = auditWall ? `${auditWall.seconds.toFixed(2)} (${auditWall.source})` : 'none (run the scale benchmark)';
    const record = (i) => h.auditRecord(report, { auditId: `rec-${i}-${Date.now()}`, at: Date.now(), who: 'bench@bench', params: { inventory: 'inv', limit: null, forks: 50, windowHours: 24, benchmarkDisk: false, incremental: true } });
    const backends = [['SQLite', { db: join(dir, 'rec.sqlite'), stateDir: join(dir, 'state') }]];
    let cluster;
    if (postgresBinDir()) {
      cluster = await startPostgres();
      backends.push(['PostgreSQL', { db: await createDatabase(cluster, 'bench'), stateDir: join(dir, 'state-pg') }]);
    } else notes.push('PostgreSQL server binaries not installed: recording measured on SQLite only');
    try {
      for (const [name, opts] of backends) {
        const samples = [];
        // One warm-up (creates and migrates the store), then the measured runs onto a store with history in it.
        await h.saveHistory(opts, [{ type: 'audit', record: record('warm') }]);
        for (let i = 0; i < Math.max(runs, 3); i++) {
          const started = performance.now();
          const r = await h.saveHistory(opts, [{ type: 'audit', record: record(i) }], (l) => log(l.trim()));
          samples.push((performance.now() - started) / 1000);
          if (!r.saved) throw new Error(`${name}: audit not recorded: ${r.reason}`);
        }
        const m = measure(`${name}: record one audit of ${hostCount} hosts`, 's', samples);
        measures.push(m);
        log(`${name}: recording ${hostCount} hosts: median ${(m.median * 1000).toFixed(0)} ms`);
        if (auditWall) comparisons.push({ ...limit(`${name}: recording vs the ${hostCount}-host audit's wall (share)`, m.median / auditWall.seconds, TARGETS.recordShare, 'share') });
      }
    } finally {
      cluster?.remove();
    }

    // 2. 90 days of hourly audits in SQLite.
    // MTAF_BENCH_HISTORY_DB=FILE keeps the generated store there and reuses it next time.
    const kept = process.env.MTAF_BENCH_HISTORY_DB;
    const file = kept ?? join(dir, 'big.sqlite');
    let gen;
    const started = performance.now();
    if (kept && existsSync(kept)) {
      gen = JSON.parse(readFileSync(`${kept}.json`, 'utf8'));
      notes.push(`reused the store generated in ${kept}`);
    } else {
      const store = new h.HistoryStore(openSqlite(file, { privateDir: false }));
      await store.migrate();
      await store.close();
      const sqlite = new Database(file);
      sqlite.pragma('journal_mode = WAL');
      sqlite.pragma('synchronous = NORMAL');
      gen = generate(sqlite, hostCount, days, Date.now() - days * 24 * HOUR);
      sqlite.close();
      if (kept) writeFileSync(`${kept}.json`, JSON.stringify(gen));
    }
    const genS = (performance.now() - started) / 1000;
    figures['host-audit rows generated'] = gen.rows;
    figures['findings rows'] = gen.findings;
    figures['generation (s)'] = Number(genS.toFixed(1));
    log(`generated ${gen.rows} host-audit rows in ${genS.toFixed(0)} s`);
    const gb = (statSync(file).size + walSize(file)) / 1e9;
    measures.push(measure('SQLite file size', 'GB', [gb]));
    comparisons.push(limit(`SQLite file for ${gen.rows} host-audit rows (GB)`, gb, TARGETS.fileGb, 'GB'));

    const reader = new h.HistoryStore(openSqlite(file, { privateDir: false }));
    const since = gen.startMs - HOUR;
    const fleet = [];
    const one = [];
    const names = await reader.hostNames();
    for (let i = 0; i < Math.max(runs, 3); i++) {
      let t = performance.now();
      const data = h.historyData({ sinceMs: since, untilMs: Date.now(), limit: null, store: 'sqlite', hosts: names, fleet: await reader.fleetPoints(since), points: [], latest: await reader.latestPoints(names), spans: await reader.spans(since) });
      JSON.stringify(data);
      fleet.push((performance.now() - t) / 1000);
      if (data.fleet.length !== gen.audits) throw new Error(`fleet trend: ${data.fleet.length} points, want ${gen.audits}`);
      const host = names[(i * 7) % names.length];
      t = performance.now();
      const hostData = h.historyData({ sinceMs: since, untilMs: Date.now(), limit: host, store: 'sqlite', hosts: [host], fleet: null, points: await reader.hostPoints([host], since), latest: await reader.latestPoints([host]), spans: await reader.spans(since, [host]) });
      JSON.stringify(hostData);
      one.push((performance.now() - t) / 1000);
      if (hostData.hosts[0].points.length !== gen.audits) throw new Error(`one host: ${hostData.hosts[0].points.length} points, want ${gen.audits}`);
    }
    await reader.close();
    const fm = measure(`fleet trend query (${gen.audits} audits, ${hostCount} hosts)`, 's', fleet);
    const hm = measure(`one-host query (${gen.audits} points)`, 's', one);
    measures.push(fm, hm);
    comparisons.push(limit('fleet trend query (s)', fm.median, TARGETS.fleetQueryS, 's'), limit('one-host query (s)', hm.median, TARGETS.hostQueryS, 's'));
    return { status: 'ok', measures, comparisons, figures, notes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The scale benchmark's wall time for an audit of `hosts` hosts: from this run (`node
 * bench/run.mjs scale history`, the same load on the machine), else its latest results, else the
 * quiet reference run.
 */
function scaleAuditWall(hosts, results) {
  const now = results.find((b) => b.name === 'scale' && b.status === 'ok')?.measures?.find((x) => x.label === `${hosts} hosts: wall`);
  if (now?.median) return { seconds: now.median, source: 'scale, this run' };
  const files = [join(resultsDir, 'latest.json'), join(benchRoot, 'reference', '2026-11-28-quiet-2core.json')];
  for (const f of files) {
    if (!existsSync(f)) continue;
    const doc = JSON.parse(readFileSync(f, 'utf8'));
    const scale = (doc.benchmarks ?? []).find((b) => b.name === 'scale' && b.status === 'ok');
    const m = scale?.measures?.find((x) => x.label === `${hosts} hosts: wall`);
    if (m?.median) return { seconds: m.median, source: `${f.replace(benchRoot + '/', 'bench/')}, ${scale.generatedAt ?? 'reference'}` };
  }
  return undefined;
}

function walSize(file) {
  try {
    return statSync(`${file}-wal`).size;
  } catch {
    return 0;
  }
}

const DOMAINS = ['gmail.com', 'yahoo.com', 'hotmail.com', 'outlook.com', 'aol.com', 'icloud.com', 'gmx.de', 'comcast.net', 'web.de', 'example.org'];

/** An audit report of n hosts with the facts a real one carries for extraction: 8 source IPs, 10 domains. */
export function syntheticReport(n, seed) {
  const hosts = Array.from({ length: n }, (_, i) => {
    const name = `mta${String(i).padStart(4, '0')}`;
    const bySourceIp = Object.create(null);
    for (let k = 0; k < 8; k++) bySourceIp[`198.51.${Math.floor(i / 200)}.${(i * 8 + k) % 250}`] = { delivered: 10_000 + k * 97 + seed, deferred: 300 + ((i + k) % 40) * 10, bounced: 40 + k };
    const byDomain = Object.create(null);
    for (const [k, d] of DOMAINS.entries()) byDomain[d] = { delivered: 8_000 - k * 500, deferred: 200 + k * 30 + (i % 7) * 20, bounced: 30, deferralRate: 0.04 };
    const findings = i % 3 === 0 ? [{ kind: 'deferrals', severity: i % 9 === 0 ? 'critical' : 'warn', title: `Yahoo/AOL (yahoo.com) defers ${(5 + (i % 10)).toFixed(1)} % of messages`, evidence: ['yahoo.com: 300 t of 8000 d/t/b records (accounting 24 h)', 'spread 4.1 % .. 6.2 % over 8 IPs'], remedy: null, strength: 1.2 }] : [];
    return {
      name, reachable: i % 97 !== 5, error: i % 97 === 5 ? `${name}: connect ECONNREFUSED` : null,
      facts: i % 97 === 5 ? {} : {
        pmtaStatus: { sources: ['cli'], traffic: {}, connections: { smtpOut: { active: 100 + (i % 50), top: 200, max: 400 } }, queue: { smtp: { rcpts: 5000 + i, domains: 40, kbytes: 90000 } }, spool: { filesInUse: 4000 + i }, deliveredLastHour: 50_000 + (i % 100) * 100, vmtas: [], domains: [], backoffQueues: [] },
        accounting: { file: '/var/log/pmta/acct.csv', records: 100_000, since: '', until: '', windowHours: 24, hasTransientRecords: true, hourly: [], bySourceIp, byDomain, topDiagnostics: [] },
        spool: { spools: [], io: { sdb: { device: 'sdb', util: 40 + (i % 50), source: 'iostat -x' } } },
        fd: { openFds: 3000 + i, softLimit: 65535, logs: [] },
        ports: { sysctl: {}, localPorts: 28232, summary: {}, timeWait: 2000 + i, source: 'ss' },
        cpu: { cores: 8, perCore: [], totalBusyPercent: 35 },
      },
      findings: i % 97 === 5 ? [] : findings, unavailable: {}, warnings: [],
    };
  });
  return { hosts, summary: { hosts: n, reachable: hosts.filter((x) => x.reachable).length, byKind: {} } };
}

/**
 * Bulk rows straight into the store's tables (one transaction per audit, prepared statements):
 * the same columns and detail JSON a recorded audit has, with rates drifting over time and a
 * third of the hosts carrying a finding that comes and goes.
 */
function generate(sqlite, hosts, days, startMs) {
  const audits = days * 24;
  const detail = (i, a) => JSON.stringify({
    error: null, unavailable: [],
    perIp: Array.from({ length: 8 }, (_, k) => [`198.51.${Math.floor(i / 200)}.${(i * 8 + k) % 250}`, 250 + ((i + k + a) % 60) * 5, 40 + k, 100_000 + k * 97]),
    perIsp: ['Google', 'Microsoft', 'Yahoo/AOL', 'Apple', 'United Internet (GMX, WEB.DE)', 'Comcast'].map((isp, k) => [isp, 200 + ((i + a) % 50) * 8 + k, 30, 90_000 - k * 7000]),
    spoolUtil: 40 + ((i + a) % 50), fdOpen: 3000 + i, fdLimit: 65535, timeWait: 2000 + ((i * a) % 900), localPorts: 28232, cpuBusy: 30 + (a % 40),
  });
  let rows = 0;
  let findings = 0;
  for (let a = 0; a < audits; a++) {
    const at = startMs + a * HOUR;
    const id = `gen-${String(a).padStart(5, '0')}`;
    const hostRows = [];
    const findingRows = [];
    let critical = 0;
    let warn = 0;
    for (let i = 0; i < hosts; i++) {
      const host = `mta${String(i).padStart(4, '0')}`;
      // A finding on a third of the hosts, present for 12 hours of every 48.
      const has = i % 3 === 0 && ((a + i) % 48) < 12;
      const sev = has ? (i % 9 === 0 ? 'critical' : 'warn') : null;
      if (sev === 'critical') critical++;
      if (sev === 'warn') warn++;
      hostRows.push([id, host, at, 1, 0, 50_000 + ((i + a) % 100) * 100, 5000 + ((i * a) % 3000), 4000 + i, 100 + (i % 50), 400, 0.02 + ((i + a) % 40) / 1000, 0.004, detail(i, a), sev === 'critical' ? 2 : sev ? 1 : 0]);
      if (has) findingRows.push([id, host, 'deferrals', 'Yahoo/AOL (yahoo.com)', sev, `Yahoo/AOL (yahoo.com) defers ${(5 + (i % 10)).toFixed(1)} % of messages`, JSON.stringify(['yahoo.com: 300 t of 8000 d/t/b records (accounting 24 h)', 'spread 4.1 % .. 6.2 % over 8 IPs']), null]);
    }
    sqlite.exec('BEGIN');
    insert(sqlite, 'audits', ['id', 'at_ms', 'who', 'params', 'hosts', 'reachable', 'failed', 'rate', 'queue', 'deferral_rate', 'critical', 'warn'], [[id, at, 'gen@bench', '{"forks":50,"windowHours":24}', hosts, hosts, 0, hosts * 55_000, hosts * 6000, 0.04, critical, warn]]);
    insert(sqlite, 'host_audits', ['audit_id', 'host', 'at_ms', 'reachable', 'failed', 'rate', 'queue', 'spool_files', 'conn_out', 'conn_out_max', 'deferral_rate', 'bounce_rate', 'detail', 'worst'], hostRows);
    insert(sqlite, 'findings', ['audit_id', 'host', 'kind', 'subject', 'severity', 'title', 'evidence', 'remedy'], findingRows);
    sqlite.exec('COMMIT');
    rows += hostRows.length;
    findings += findingRows.length;
  }
  // Spans and the hosts' latest audit, as the recorder keeps them: one open episode per host with a finding now.
  sqlite.exec('BEGIN');
  const spanRows = [];
  const latest = [];
  for (let i = 0; i < hosts; i++) {
    const host = `mta${String(i).padStart(4, '0')}`;
    latest.push([host, startMs + (audits - 1) * HOUR, `gen-${String(audits - 1).padStart(5, '0')}`]);
    if (i % 3 !== 0) continue;
    for (let a = 0; a < audits; a++) {
      if (((a + i) % 48) !== 0) continue;
      const end = Math.min(a + 12, audits);
      spanRows.push([host, 'deferrals', 'Yahoo/AOL (yahoo.com)', startMs + a * HOUR, `gen-${a}`, startMs + (end - 1) * HOUR, `gen-${end - 1}`, end < audits ? startMs + end * HOUR : null, end < audits ? `gen-${end}` : null, 'warn', 'Yahoo/AOL defers']);
    }
  }
  insert(sqlite, 'finding_spans', ['host', 'kind', 'subject', 'first_ms', 'first_audit', 'last_ms', 'last_audit', 'resolved_ms', 'resolved_audit', 'severity', 'title'], spanRows);
  insert(sqlite, 'hosts', ['host', 'last_ms', 'last_audit'], latest);
  sqlite.exec('COMMIT');
  sqlite.pragma('wal_checkpoint(TRUNCATE)');
  return { rows, findings, audits, startMs };
}

const prepared = new Map();
function insert(sqlite, table, columns, rows) {
  const sql = `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
  let s = prepared.get(sql);
  if (!s || s.database !== sqlite) prepared.set(sql, (s = sqlite.prepare(sql)));
  for (const r of rows) s.run(...r);
}
