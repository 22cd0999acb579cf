/**
 * The history store over either backend: migrations, recording audits and runs, and the reads
 * behind `history` and `audit --compare`. Every write is one writer transaction, so a record is
 * all there or not there, and two runners recording at once take turns.
 */
import { pushTo } from '../util/dict.js';
import { chunks, type Db, type Param } from './db.js';
import { MIGRATIONS, MIGRATIONS_TABLE, SCHEMA_VERSION } from './migrations.js';
import { advanceSpans, spanKey, spansOf, type HostObservation, type Span } from './spans.js';
import type { ApprovalRow, AuditRecord, AuditSnapshot, FindingRow, HostDetail, HostRow, RunExtras, RunRow, StoredJournal } from './types.js';

const SEVERITY_RANK: Record<string, number> = { critical: 2, warn: 1 };
/** Hosts per `IN (...)` list. */
const IN_CHUNK = 500;
/** Bounds on a run's journal read back from the store (the same as a host's own copy). */
export const JOURNAL_MAX_BYTES = 8 * 1024 * 1024;
export const JOURNAL_MAX_LINES = 20_000;
/** Hosts of one run's journal read back at most. */
const JOURNAL_MAX_HOSTS = 10_000;

export interface FleetPointRow {
  id: string; at_ms: number; hosts: number; reachable: number; failed: number;
  rate: number | null; queue: number | null; deferral_rate: number | null; critical: number; warn: number;
}
export interface HostPointRow {
  audit_id: string; host: string; at_ms: number; reachable: number; failed: number;
  rate: number | null; queue: number | null; deferral_rate: number | null; bounce_rate: number | null; worst: number | null;
}
interface SpanRow {
  host: string; kind: string; subject: string; first_ms: number; first_audit: string; last_ms: number; last_audit: string;
  resolved_ms: number | null; resolved_audit: string | null; severity: string; title: string;
}

export class HistoryStore {
  constructor(readonly db: Db) {}

  /** Applies the migrations not yet applied, up to `target` (tests stop at an older version). */
  async migrate(target = SCHEMA_VERSION): Promise<number[]> {
    return this.db.writeTransaction(async () => {
      await this.db.run(MIGRATIONS_TABLE);
      const done = new Set((await this.db.all<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => Number(r.version)));
      const applied: number[] = [];
      for (const m of MIGRATIONS) {
        if (done.has(m.version) || m.version > target) continue;
        for (const sql of m.statements) await this.db.run(sql);
        await this.db.run('INSERT INTO schema_migrations (version, name, applied_ms) VALUES (?, ?, ?)', [m.version, m.name, Date.now()]);
        applied.push(m.version);
      }
      return applied;
    });
  }

  async schemaVersion(): Promise<number> {
    const rows = await this.db.all<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
    return Number(rows[0]?.v ?? 0);
  }

  /** Records an audit; false when an audit with that id is already there (a retried pending record). */
  async recordAudit(rec: AuditRecord): Promise<boolean> {
    return this.db.writeTransaction(async () => {
      const f = rec.fleet;
      const inserted = await this.db.run(
        'INSERT INTO audits (id, at_ms, who, params, hosts, reachable, failed, rate, queue, deferral_rate, critical, warn) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
        [rec.auditId, rec.at, rec.who, JSON.stringify(rec.params), f.hosts, f.reachable, f.failed, f.rate, f.queue, f.deferralRate, f.critical, f.warn],
      );
      if (inserted === 0) return false;
      const worst = new Map<string, number>();
      for (const x of rec.findings) worst.set(x.host, Math.max(worst.get(x.host) ?? 0, SEVERITY_RANK[x.severity] ?? 0));
      await this.db.insertMany(
        'host_audits',
        ['audit_id', 'host', 'at_ms', 'reachable', 'failed', 'rate', 'queue', 'spool_files', 'conn_out', 'conn_out_max', 'deferral_rate', 'bounce_rate', 'detail', 'worst'],
        rec.hosts.map((h) => [rec.auditId, h.host, rec.at, +h.reachable, +h.failed, h.rate, h.queue, h.spoolFiles, h.connOut, h.connOutMax, h.deferralRate, h.bounceRate, JSON.stringify(h.detail), worst.get(h.host) ?? 0]),
      );
      await this.db.insertMany(
        'findings',
        ['audit_id', 'host', 'kind', 'subject', 'severity', 'title', 'evidence', 'remedy'],
        rec.findings.map((x) => [rec.auditId, x.host, x.kind, x.subject, x.severity, x.title, JSON.stringify(x.evidence), x.remedy]),
      );
      await this.updateSpans(rec);
      return true;
    });
  }

  /** Finding spans of the audit's hosts: advanced in place, or rebuilt for a host that has a newer audit already. */
  private async updateSpans(rec: AuditRecord): Promise<void> {
    const names = rec.hosts.map((h) => h.host);
    const latest = new Map((await this.inHosts<{ host: string; last_ms: number }>('SELECT host, last_ms FROM hosts WHERE host IN', names)).map((r) => [r.host, Number(r.last_ms)]));
    const late = new Set(names.filter((n) => (latest.get(n) ?? -Infinity) > rec.at));
    const inOrder = names.filter((n) => !late.has(n));
    const open = new Map<string, Map<string, Span>>();
    for (const r of await this.inHosts<SpanRow>('SELECT * FROM finding_spans WHERE resolved_ms IS NULL AND host IN', inOrder)) {
      const span = spanOf(r);
      let m = open.get(span.host);
      if (!m) open.set(span.host, (m = new Map()));
      m.set(spanKey(span), span);
    }
    const byHost = groupFindings(rec.findings);
    const write: Span[] = [];
    for (const h of rec.hosts) {
      if (late.has(h.host)) continue;
      write.push(...advanceSpans(h.host, open.get(h.host) ?? new Map(), { auditId: rec.auditId, at: rec.at, observed: h.reachable && !h.failed, findings: byHost.get(h.host) ?? [] }));
    }
    for (const host of late) write.push(...(await this.rebuildSpans(host)));
    const touched = [...new Set(write.map((s) => s.host))];
    await this.inHosts('DELETE FROM finding_spans WHERE resolved_ms IS NULL AND host IN', touched.filter((h) => !late.has(h)), 'run');
    await this.inHosts('DELETE FROM finding_spans WHERE host IN', [...late], 'run');
    await this.db.insertMany(
      'finding_spans',
      ['host', 'kind', 'subject', 'first_ms', 'first_audit', 'last_ms', 'last_audit', 'resolved_ms', 'resolved_audit', 'severity', 'title'],
      write.map((s) => [s.host, s.kind, s.subject, s.firstMs, s.firstAudit, s.lastMs, s.lastAudit, s.resolvedMs, s.resolvedAudit, s.severity, s.title]),
    );
    for (const part of chunks(names.map((n) => [n, rec.at, rec.auditId] as Param[]), 900)) {
      await this.db.run(
        `INSERT INTO hosts (host, last_ms, last_audit) VALUES ${part.map(() => '(?, ?, ?)').join(', ')} ` +
          'ON CONFLICT (host) DO UPDATE SET last_ms = excluded.last_ms, last_audit = excluded.last_audit WHERE excluded.last_ms > hosts.last_ms',
        part.flat(),
      );
    }
  }

  private async rebuildSpans(host: string): Promise<Span[]> {
    const audits = await this.db.all<{ audit_id: string; at_ms: number; reachable: number; failed: number }>(
      'SELECT audit_id, at_ms, reachable, failed FROM host_audits WHERE host = ? ORDER BY at_ms',
      [host],
    );
    const findings = await this.db.all<{ audit_id: string; kind: string; subject: string; severity: string; title: string }>(
      'SELECT audit_id, kind, subject, severity, title FROM findings WHERE host = ?',
      [host],
    );
    const byAudit = new Map<string, HostObservation['findings']>();
    for (const f of findings) pushTo(byAudit, f.audit_id, { kind: f.kind, subject: f.subject, severity: f.severity as FindingRow['severity'], title: f.title });
    return spansOf(host, audits.map((a) => ({ auditId: a.audit_id, at: Number(a.at_ms), observed: a.reachable === 1 && a.failed === 0, findings: byAudit.get(a.audit_id) ?? [] })));
  }

  /**
   * Records a run row, with its journal and approvals when given. The row is written once (by
   * its id); journal rows already there (same run, host and place) are kept as they are, so a
   * rollback adds only its own records to the run's journal.
   */
  async recordRun(row: RunRow, extras: RunExtras = {}): Promise<boolean> {
    return this.db.writeTransaction(async () => {
      const n = await this.db.run(
        'INSERT INTO runs (id, run_id, command, who, started_ms, finished_ms, check_mode, playbook, plan_file, inventory, hosts, summary, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
        [row.id, row.runId, row.command, row.who, row.startedAt, row.finishedAt, +row.check, row.playbook, row.planFile, row.inventory, JSON.stringify(row.hosts), JSON.stringify(row.summary), row.outcome],
      );
      await this.db.insertMany('run_journal', ['run_id', 'host', 'seq', 'record'], (extras.journal ?? []).map((j) => [row.runId, j.host, j.seq, j.line]), true);
      await this.db.insertMany('run_approvals', ['run_id', 'key_fp', 'principal', 'key_type'], (extras.approvals ?? []).map((a) => [row.runId, a.key, a.principal, a.keyType]), true);
      return n > 0;
    });
  }

  /** The rows of one run: the run itself and its rollbacks, oldest first. */
  async runRows(runId: string): Promise<RunRow[]> {
    return (await this.db.all<Record<string, Param>>('SELECT * FROM runs WHERE run_id = ? ORDER BY started_ms, id', [runId])).map(runRowOf);
  }

  /** The signers of the runs given (by run id). */
  async approvals(runIds: readonly string[]): Promise<Map<string, ApprovalRow[]>> {
    const out = new Map<string, ApprovalRow[]>();
    for (let i = 0; i < runIds.length; i += IN_CHUNK) {
      const part = runIds.slice(i, i + IN_CHUNK);
      const rows = await this.db.all<{ run_id: string; key_fp: string; principal: string; key_type: string }>(
        `SELECT run_id, key_fp, principal, key_type FROM run_approvals WHERE run_id IN (${part.map(() => '?').join(', ')}) ORDER BY run_id, principal, key_fp`,
        part,
      );
      for (const r of rows) pushTo(out, r.run_id, { principal: r.principal, keyType: r.key_type, key: r.key_fp });
    }
    return out;
  }

  /**
   * A run's journal, per host, as the lines of a host copy. What the store returns is hostile
   * (anyone who can write the database wrote it): a host's lines over the size or line bounds are
   * not read at all but refused; the lines themselves are validated by the caller.
   */
  async journal(runId: string): Promise<StoredJournal> {
    const sizes = await this.db.all<{ host: string; n: number; bytes: number }>(
      `SELECT host, COUNT(*) AS n, SUM(LENGTH(record)) AS bytes FROM run_journal WHERE run_id = ? GROUP BY host ORDER BY host LIMIT ${JOURNAL_MAX_HOSTS}`,
      [runId],
    );
    const out: StoredJournal = new Map();
    for (const s of sizes) {
      const n = Number(s.n);
      const bytes = Number(s.bytes);
      if (n > JOURNAL_MAX_LINES) out.set(s.host, { refused: `the store holds ${n} records for this host, more than the ${JOURNAL_MAX_LINES} allowed` });
      else if (bytes > JOURNAL_MAX_BYTES) out.set(s.host, { refused: `the store holds ${bytes} characters of records for this host, more than the ${JOURNAL_MAX_BYTES} allowed` });
      else {
        const rows = await this.db.all<{ seq: number; record: string }>('SELECT seq, record FROM run_journal WHERE run_id = ? AND host = ? ORDER BY seq', [runId, s.host]);
        const gap = rows.findIndex((r, i) => Number(r.seq) !== i);
        if (gap >= 0) out.set(s.host, { refused: `the store's records for this host are not numbered 0..${rows.length - 1} (record ${gap} is missing or out of place)` });
        else out.set(s.host, { text: rows.map((r) => `${r.record}\n`).join('') });
      }
    }
    return out;
  }

  async runs(sinceMs: number): Promise<RunRow[]> {
    return (await this.db.all<Record<string, Param>>('SELECT * FROM runs WHERE started_ms >= ? ORDER BY started_ms', [sinceMs])).map(runRowOf);
  }

  /** The newest audit's id (optionally: the newest before `beforeMs`), or undefined. */
  async lastAuditId(beforeMs = Number.MAX_SAFE_INTEGER): Promise<string | undefined> {
    const rows = await this.db.all<{ id: string }>('SELECT id FROM audits WHERE at_ms < ? ORDER BY at_ms DESC, id DESC LIMIT 1', [beforeMs]);
    return rows[0]?.id;
  }

  async snapshot(auditId: string): Promise<AuditSnapshot | undefined> {
    const audit = (await this.db.all<{ id: string; at_ms: number }>('SELECT id, at_ms FROM audits WHERE id = ?', [auditId]))[0];
    if (!audit) return undefined;
    const hosts = await this.db.all<Record<string, Param>>('SELECT * FROM host_audits WHERE audit_id = ? ORDER BY host', [auditId]);
    const findings = await this.db.all<Record<string, Param>>('SELECT * FROM findings WHERE audit_id = ? ORDER BY host, kind, subject', [auditId]);
    return {
      auditId,
      at: Number(audit.at_ms),
      hosts: hosts.map(hostRowOf),
      findings: findings.map((f) => ({
        host: String(f.host), kind: String(f.kind), subject: String(f.subject), severity: f.severity as FindingRow['severity'],
        title: String(f.title), evidence: JSON.parse(String(f.evidence)) as string[], remedy: f.remedy as string | null,
      })),
    };
  }

  async fleetPoints(sinceMs: number): Promise<FleetPointRow[]> {
    return this.db.all<FleetPointRow>(
      'SELECT id, at_ms, hosts, reachable, failed, rate, queue, deferral_rate, critical, warn FROM audits WHERE at_ms >= ? ORDER BY at_ms, id',
      [sinceMs],
    );
  }

  async hostNames(): Promise<string[]> {
    return (await this.db.all<{ host: string }>('SELECT host FROM hosts ORDER BY host')).map((r) => r.host);
  }

  async hostPoints(hosts: readonly string[], sinceMs: number): Promise<HostPointRow[]> {
    const out: HostPointRow[] = [];
    for (const part of chunks(hosts.map((h) => [h]), IN_CHUNK)) {
      out.push(...(await this.db.all<HostPointRow>(
        `SELECT audit_id, host, at_ms, reachable, failed, rate, queue, deferral_rate, bounce_rate, worst FROM host_audits WHERE host IN (${part.map(() => '?').join(', ')}) AND at_ms >= ? ORDER BY host, at_ms`,
        [...part.flat(), sinceMs],
      )));
    }
    return out;
  }

  /** The newest host-audit row of each host (one primary-key read per host). */
  async latestPoints(hosts: readonly string[]): Promise<HostPointRow[]> {
    return this.inHosts<HostPointRow>(
      'SELECT h.audit_id, h.host, h.at_ms, h.reachable, h.failed, h.rate, h.queue, h.deferral_rate, h.bounce_rate, h.worst FROM hosts l JOIN host_audits h ON h.host = l.host AND h.at_ms = l.last_ms AND h.audit_id = l.last_audit WHERE l.host IN',
      hosts,
    );
  }

  /** Spans still open, or seen since `sinceMs`; of `hosts` only when given (a short list). */
  async spans(sinceMs: number, hosts?: readonly string[]): Promise<Span[]> {
    const where = 'resolved_ms IS NULL OR last_ms >= ?';
    if (hosts === undefined || hosts.length > IN_CHUNK) {
      return (await this.db.all<SpanRow>(`SELECT * FROM finding_spans WHERE ${where} ORDER BY host, first_ms`, [sinceMs])).map(spanOf);
    }
    if (hosts.length === 0) return [];
    const rows = await this.db.all<SpanRow>(`SELECT * FROM finding_spans WHERE host IN (${hosts.map(() => '?').join(', ')}) AND (${where}) ORDER BY host, first_ms`, [...hosts, sinceMs]);
    return rows.map(spanOf);
  }

  /** Deletes audits (with their host rows and findings), resolved spans and runs older than `beforeMs`. */
  async prune(beforeMs: number): Promise<{ audits: number; runs: number }> {
    return this.db.writeTransaction(async () => {
      // Children first: PostgreSQL cascades, SQLite too with foreign_keys on, but explicit is cheaper to reason about.
      await this.db.run('DELETE FROM findings WHERE audit_id IN (SELECT id FROM audits WHERE at_ms < ?)', [beforeMs]);
      await this.db.run('DELETE FROM host_audits WHERE audit_id IN (SELECT id FROM audits WHERE at_ms < ?)', [beforeMs]);
      const audits = await this.db.run('DELETE FROM audits WHERE at_ms < ?', [beforeMs]);
      await this.db.run('DELETE FROM finding_spans WHERE resolved_ms IS NOT NULL AND resolved_ms < ?', [beforeMs]);
      await this.db.run("DELETE FROM run_journal WHERE run_id IN (SELECT run_id FROM runs WHERE started_ms < ? AND command <> 'rollback')", [beforeMs]);
      await this.db.run("DELETE FROM run_approvals WHERE run_id IN (SELECT run_id FROM runs WHERE started_ms < ? AND command <> 'rollback')", [beforeMs]);
      const runs = await this.db.run('DELETE FROM runs WHERE started_ms < ?', [beforeMs]);
      return { audits, runs };
    });
  }

  close(): Promise<void> {
    return this.db.close();
  }

  /** `sql (?, ?, ...)` over host names, in chunks. */
  private async inHosts<T>(sql: string, hosts: readonly string[], mode: 'all' | 'run' = 'all'): Promise<T[]> {
    const out: T[] = [];
    for (let i = 0; i < hosts.length; i += IN_CHUNK) {
      const part = hosts.slice(i, i + IN_CHUNK);
      const text = `${sql} (${part.map(() => '?').join(', ')})`;
      if (mode === 'run') await this.db.run(text, part);
      else out.push(...(await this.db.all<T>(text, part)));
    }
    return out;
  }
}

function spanOf(r: SpanRow): Span {
  return {
    host: r.host, kind: r.kind, subject: r.subject, firstMs: Number(r.first_ms), firstAudit: r.first_audit, lastMs: Number(r.last_ms), lastAudit: r.last_audit,
    resolvedMs: r.resolved_ms === null ? null : Number(r.resolved_ms), resolvedAudit: r.resolved_audit, severity: r.severity, title: r.title,
  };
}

function groupFindings(findings: readonly FindingRow[]): Map<string, FindingRow[]> {
  const out = new Map<string, FindingRow[]>();
  for (const f of findings) pushTo(out, f.host, f);
  return out;
}

/** A run row read back: its JSON columns are the store's (hostile) text, kept to the shape mtafleet writes. */
function runRowOf(r: Record<string, Param>): RunRow {
  const text = (v: Param | undefined): string | null => (v === null || v === undefined ? null : String(v));
  return {
    id: String(r.id), runId: String(r.run_id), command: r.command as RunRow['command'], who: String(r.who),
    startedAt: Number(r.started_ms), finishedAt: r.finished_ms === null ? null : Number(r.finished_ms), check: Number(r.check_mode) === 1,
    playbook: text(r.playbook), planFile: text(r.plan_file), inventory: text(r.inventory),
    hosts: jsonOf(r.hosts, (v) => (Array.isArray(v) ? v.slice(0, 100_000).filter(isObject).map((h) => ({ name: String(h.name), status: String(h.status), changes: Number(h.changes) || 0 })) : [])),
    summary: jsonOf(r.summary, (v) => Object.fromEntries(SUMMARY_KEYS.map((k) => [k, isObject(v) ? Number(v[k]) || 0 : 0]))),
    outcome: r.outcome as RunRow['outcome'],
  };
}

const SUMMARY_KEYS = ['ok', 'changed', 'failed', 'unreachable', 'refused'] as const;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function jsonOf<T>(v: Param | undefined, shape: (parsed: unknown) => T): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(v));
  } catch {
    parsed = undefined;
  }
  return shape(parsed);
}

function hostRowOf(r: Record<string, Param>): HostRow {
  const n = (v: Param): number | null => (v === null ? null : Number(v));
  return {
    host: String(r.host), reachable: Number(r.reachable) === 1, failed: Number(r.failed) === 1,
    rate: n(r.rate!), queue: n(r.queue!), spoolFiles: n(r.spool_files!), connOut: n(r.conn_out!), connOutMax: n(r.conn_out_max!),
    deferralRate: n(r.deferral_rate!), bounceRate: n(r.bounce_rate!), detail: JSON.parse(String(r.detail)) as HostDetail,
  };
}
