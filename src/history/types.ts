/**
 * What the history store keeps. One row per host and audit with the figures the diagnosis and
 * the trends use as typed numbers (null = not measured, never 0), the rest as compact JSON;
 * findings in their own rows; fleet aggregates on the audit row so a fleet trend over 90 days
 * reads ~2,000 rows, not 2 M.
 */
import type { Severity } from '../audit/index.js';

/** The audit's parameters, as recorded (never a DB URL or secret). */
export interface AuditParams {
  inventory: string | null;
  limit: string | null;
  forks: number;
  windowHours: number;
  benchmarkDisk: boolean;
  incremental: boolean;
}

/**
 * Per source IP or per ISP, as a tuple to stay compact over millions of rows: [name, deferred
 * share in basis points (1/10,000; null when the accounting has no t records: unknown, not 0),
 * bounced share in basis points, d+t+b records].
 */
export type RateEntry = [name: string, deferralBp: number | null, bounceBp: number, records: number];

export interface HostDetail {
  error: string | null;
  /** Probes that could not run (names only). */
  unavailable: string[];
  /** Per source IP, the busiest first (at most 8). */
  perIp: RateEntry[];
  /** Per receiving ISP, the busiest first (at most 8). */
  perIsp: RateEntry[];
  /** Spool device %util, the highest over the spool devices. */
  spoolUtil: number | null;
  fdOpen: number | null;
  fdLimit: number | null;
  timeWait: number | null;
  localPorts: number | null;
  cpuBusy: number | null;
}

export interface HostRow {
  host: string;
  reachable: boolean;
  /** Reached but not fully probed or diagnosed. */
  failed: boolean;
  /** Delivered messages in the last hour. */
  rate: number | null;
  /** Recipients queued for SMTP delivery. */
  queue: number | null;
  spoolFiles: number | null;
  connOut: number | null;
  connOutMax: number | null;
  /** Whole-host t / (d+t+b) over the window; null when unknown (no t records). */
  deferralRate: number | null;
  bounceRate: number | null;
  detail: HostDetail;
}

export interface FindingRow {
  host: string;
  kind: string;
  /** What the finding is about within its kind (a domain, an ISP, a device); '' when one per host. */
  subject: string;
  severity: Severity;
  title: string;
  evidence: string[];
  remedy: string | null;
}

export interface FleetAggregate {
  hosts: number;
  reachable: number;
  failed: number;
  /** Sum of the hosts' rates (hosts with a rate). */
  rate: number | null;
  queue: number | null;
  /** Median of the hosts' deferral rates. */
  deferralRate: number | null;
  /** Hosts whose worst finding is critical / warn. */
  critical: number;
  warn: number;
}

export interface AuditRecord {
  auditId: string;
  /** Epoch ms of the audit's start. */
  at: number;
  who: string;
  params: AuditParams;
  fleet: FleetAggregate;
  hosts: HostRow[];
  findings: FindingRow[];
}

export interface RunRow {
  /** Row id: the run id for run/apply; for a rollback, a fresh id. */
  id: string;
  /** The run this row is about (the rolled-back run for a rollback). */
  runId: string;
  command: 'run' | 'apply' | 'rollback';
  who: string;
  startedAt: number;
  finishedAt: number | null;
  check: boolean;
  playbook: string | null;
  planFile: string | null;
  inventory: string | null;
  hosts: Array<{ name: string; status: string; changes: number }>;
  summary: Record<string, number>;
  outcome: 'ok' | 'changed' | 'failed' | 'unreachable' | 'refused' | 'stopped';
}

/** An audit as read back for a comparison: the host rows and findings. */
export interface AuditSnapshot {
  auditId: string;
  at: number;
  hosts: HostRow[];
  findings: FindingRow[];
}

/** One journal record of a run as the store keeps it: the host's line (host-undo-record.ts) and its place among that host's records. */
export interface JournalRow {
  host: string;
  seq: number;
  line: string;
}

/** A signer of an applied plan, as recorded. */
export interface ApprovalRow {
  principal: string;
  keyType: string;
  key: string;
}

/** What `recordRun` writes besides the row: the run's journal and approvals (none for a --check run). */
export interface RunExtras {
  journal?: JournalRow[];
  approvals?: ApprovalRow[];
}

/** A run's journal as read back from the store, per host: the lines (as a host copy), or why they are not usable. */
export type StoredJournal = Map<string, { text: string } | { refused: string }>;
