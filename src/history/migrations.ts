/**
 * The store's schema, as ordered migrations shared by both backends: the SQL below is valid in
 * SQLite and PostgreSQL alike (SQLite reads BIGINT as INTEGER and DOUBLE PRECISION as REAL).
 * Each applied version is a row of schema_migrations; a store is migrated when opened, one
 * transaction per version. Never edit a released migration: add the next one.
 *
 * Times are epoch milliseconds (BIGINT): the same in both backends, and compact.
 */
export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'audits, host audits, findings, finding spans, hosts, runs',
    statements: [
      `CREATE TABLE audits (
        id TEXT PRIMARY KEY,
        at_ms BIGINT NOT NULL,
        who TEXT NOT NULL,
        params TEXT NOT NULL,
        hosts INTEGER NOT NULL,
        reachable INTEGER NOT NULL,
        failed INTEGER NOT NULL,
        rate DOUBLE PRECISION,
        queue DOUBLE PRECISION,
        deferral_rate DOUBLE PRECISION,
        critical INTEGER NOT NULL,
        warn INTEGER NOT NULL)`,
      `CREATE TABLE host_audits (
        audit_id TEXT NOT NULL REFERENCES audits(id) ON DELETE CASCADE,
        host TEXT NOT NULL,
        at_ms BIGINT NOT NULL,
        reachable SMALLINT NOT NULL,
        failed SMALLINT NOT NULL,
        rate DOUBLE PRECISION,
        queue DOUBLE PRECISION,
        spool_files DOUBLE PRECISION,
        conn_out DOUBLE PRECISION,
        conn_out_max DOUBLE PRECISION,
        deferral_rate DOUBLE PRECISION,
        bounce_rate DOUBLE PRECISION,
        detail TEXT NOT NULL,
        PRIMARY KEY (audit_id, host))`,
      `CREATE TABLE findings (
        audit_id TEXT NOT NULL,
        host TEXT NOT NULL,
        kind TEXT NOT NULL,
        subject TEXT NOT NULL,
        severity TEXT NOT NULL,
        title TEXT NOT NULL,
        evidence TEXT NOT NULL,
        remedy TEXT,
        PRIMARY KEY (audit_id, host, kind, subject),
        FOREIGN KEY (audit_id, host) REFERENCES host_audits(audit_id, host) ON DELETE CASCADE)`,
      // One row per episode of a finding on a host: open while resolved_ms is null.
      `CREATE TABLE finding_spans (
        host TEXT NOT NULL,
        kind TEXT NOT NULL,
        subject TEXT NOT NULL,
        first_ms BIGINT NOT NULL,
        first_audit TEXT NOT NULL,
        last_ms BIGINT NOT NULL,
        last_audit TEXT NOT NULL,
        resolved_ms BIGINT,
        resolved_audit TEXT,
        severity TEXT NOT NULL,
        title TEXT NOT NULL,
        PRIMARY KEY (host, kind, subject, first_ms))`,
      // The newest audit of each host: tells an audit recorded late (from history-pending/) apart.
      `CREATE TABLE hosts (
        host TEXT PRIMARY KEY,
        last_ms BIGINT NOT NULL,
        last_audit TEXT NOT NULL)`,
      `CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        run_id TEXT NOT NULL,
        command TEXT NOT NULL,
        who TEXT NOT NULL,
        started_ms BIGINT NOT NULL,
        finished_ms BIGINT,
        check_mode SMALLINT NOT NULL,
        playbook TEXT,
        plan_file TEXT,
        inventory TEXT,
        hosts TEXT NOT NULL,
        summary TEXT NOT NULL,
        outcome TEXT NOT NULL)`,
    ],
  },
  {
    version: 2,
    name: 'time and trend indexes; worst severity per host audit (filled from findings)',
    statements: [
      'ALTER TABLE host_audits ADD COLUMN worst SMALLINT',
      `UPDATE host_audits SET worst = (SELECT MAX(CASE f.severity WHEN 'critical' THEN 2 WHEN 'warn' THEN 1 ELSE 0 END)
         FROM findings f WHERE f.audit_id = host_audits.audit_id AND f.host = host_audits.host)`,
      // Covering a host's trend (history --limit HOST, the newest audit of each host): its points
      // are read from the index alone, not from 2,000 table pages scattered over the file.
      'CREATE INDEX host_audits_trend ON host_audits (host, at_ms, audit_id, reachable, failed, rate, queue, deferral_rate, bounce_rate, worst)',
      'CREATE INDEX audits_at ON audits (at_ms)',
      'CREATE INDEX finding_spans_last ON finding_spans (last_ms)',
      'CREATE INDEX runs_started ON runs (started_ms)',
    ],
  },
  {
    version: 3,
    name: 'team runs: journals (undo records) and approvals of runs',
    statements: [
      // One row per journal record of a run, per host in the run's order (seq from 0); `record`
      // is the line the host's own copy holds (host-undo-record.ts), validated the same way when read.
      `CREATE TABLE run_journal (
        run_id TEXT NOT NULL,
        host TEXT NOT NULL,
        seq INTEGER NOT NULL,
        record TEXT NOT NULL,
        PRIMARY KEY (run_id, host, seq))`,
      // The signers of an applied plan (apply --require-approval): principal and key fingerprint.
      `CREATE TABLE run_approvals (
        run_id TEXT NOT NULL,
        key_fp TEXT NOT NULL,
        principal TEXT NOT NULL,
        key_type TEXT NOT NULL,
        PRIMARY KEY (run_id, key_fp))`,
      'CREATE INDEX runs_run_id ON runs (run_id)',
    ],
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_ms BIGINT NOT NULL)`;
