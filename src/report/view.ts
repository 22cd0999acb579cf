/**
 * What every renderer shows about a host, derived from the report data only: state, rate,
 * queue, top finding, the 24 hourly delivered counts and per-IP deferral rates. Facts are
 * read defensively: a renderer must still render when a probe was unavailable.
 */
import { hostFailed, topFinding, worstSeverity } from '../audit/summary.js';
import type { AuditHost, Finding } from '../audit/types.js';
import { dict } from '../util/dict.js';

export type HostState = 'ok' | 'warn' | 'critical' | 'failed' | 'unreachable';

/** "critical", or "warn, low confidence" when the finding rests on one reading near its threshold. */
export function severityLabel(f: Pick<Finding, 'severity' | 'confidence'>): string {
  return f.confidence === 'low' && f.severity !== 'info' ? `${f.severity}, low confidence` : f.severity;
}

export interface HourSlot {
  /** The hour as written in the accounting file ("2026-11-28 10"). */
  hour: string;
  delivered: number;
}

export interface IpDeferral {
  ip: string;
  total: number;
  deferred: number;
  /** deferred / total, 0..1 */
  rate: number;
}

export interface HostView {
  name: string;
  state: HostState;
  /** Messages delivered in the last hour (PowerMTA status, else the newest accounting hour). */
  rate: number | null;
  /** Recipients queued for SMTP delivery (PowerMTA status). */
  queue: number | null;
  top: Finding | undefined;
  /** Exactly CHART_HOURS slots ending at the newest accounting hour, or [] without data. */
  hourly: HourSlot[];
  ipDeferrals: IpDeferral[];
  /** False when the accounting window has no `t` records: deferral rates are unknown, not 0. */
  deferralsKnown: boolean;
}

export const CHART_HOURS = 24;

export function hostView(host: AuditHost): HostView {
  const accounting = readAccounting(host.facts);
  const hourly = accounting ? hourSlots(accounting.hourly) : [];
  const lastHour = hourly.length > 0 ? hourly[hourly.length - 1]!.delivered : null;
  const status = readStatus(host.facts);
  return {
    name: host.name,
    state: hostState(host),
    rate: status.rate ?? lastHour,
    queue: status.queue,
    top: topFinding(host.findings),
    hourly,
    ipDeferrals: accounting && accounting.hasTransientRecords ? ipDeferrals(accounting.bySourceIp) : [],
    deferralsKnown: accounting?.hasTransientRecords ?? true,
  };
}

export function hostState(host: AuditHost): HostState {
  if (!host.reachable) return 'unreachable';
  if (hostFailed(host)) return 'failed';
  const worst = worstSeverity(host.findings);
  return worst === 'critical' || worst === 'warn' ? worst : 'ok';
}

interface HourRow { hour: string; delivered: number }
interface AccountingView {
  hourly: HourRow[];
  bySourceIp: Record<string, { delivered: number; deferred: number; bounced: number }>;
  hasTransientRecords: boolean;
}

function readAccounting(facts: AuditHost['facts']): AccountingView | undefined {
  const acc = (facts as Record<string, unknown>).accounting;
  if (!isObject(acc)) return undefined;
  const hourly = Array.isArray(acc.hourly)
    ? acc.hourly.filter(isObject).map((r) => ({ hour: String(r.hour ?? ''), delivered: num(r.delivered) ?? 0 }))
    : [];
  const bySourceIp: AccountingView['bySourceIp'] = dict();
  if (isObject(acc.bySourceIp)) {
    for (const [ip, c] of Object.entries(acc.bySourceIp)) {
      if (isObject(c)) bySourceIp[ip] = { delivered: num(c.delivered) ?? 0, deferred: num(c.deferred) ?? 0, bounced: num(c.bounced) ?? 0 };
    }
  }
  return { hourly, bySourceIp, hasTransientRecords: acc.hasTransientRecords !== false };
}

const HOUR_RE = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2})$/;

/**
 * 24 consecutive hours ending at the newest one, missing hours as 0. Hour labels are the
 * file's own (no offset arithmetic beyond counting back): an hour written twice across a
 * DST change is already one bucket in the facts.
 */
export function hourSlots(rows: readonly HourRow[]): HourSlot[] {
  if (rows.length === 0) return [];
  const byStamp = new Map<number, number>();
  for (const r of rows) {
    const stamp = hourStamp(r.hour);
    if (stamp === null) return lastRowsAsSlots(rows);
    byStamp.set(stamp, (byStamp.get(stamp) ?? 0) + r.delivered);
  }
  const newest = Math.max(...byStamp.keys());
  const slots: HourSlot[] = [];
  for (let i = CHART_HOURS - 1; i >= 0; i--) {
    const stamp = newest - i * 3_600_000;
    slots.push({ hour: formatHour(stamp), delivered: byStamp.get(stamp) ?? 0 });
  }
  return slots;
}

/** Unparseable hour labels: keep the file's order, pad at the front to 24. */
function lastRowsAsSlots(rows: readonly HourRow[]): HourSlot[] {
  const tail = rows.slice(-CHART_HOURS).map((r) => ({ hour: r.hour, delivered: r.delivered }));
  const pad = Array.from({ length: CHART_HOURS - tail.length }, () => ({ hour: '', delivered: 0 }));
  return [...pad, ...tail];
}

function hourStamp(hour: string): number | null {
  const m = HOUR_RE.exec(hour);
  if (!m) return null;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]));
}

function formatHour(stamp: number): string {
  const d = new Date(stamp);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}`;
}

/** Highest deferral rate first; IPs that sent nothing are left out. */
export function ipDeferrals(bySourceIp: AccountingView['bySourceIp']): IpDeferral[] {
  return Object.entries(bySourceIp)
    .map(([ip, c]) => {
      const total = c.delivered + c.deferred + c.bounced;
      return { ip, total, deferred: c.deferred, rate: total > 0 ? c.deferred / total : 0 };
    })
    .filter((d) => d.total > 0)
    .sort((a, b) => b.rate - a.rate || a.ip.localeCompare(b.ip));
}

/** PowerMTA status facts (CLI text or HTTP JSON, whichever the host offered). */
function readStatus(facts: AuditHost['facts']): { rate: number | null; queue: number | null } {
  const status = (facts as Record<string, unknown>).pmtaStatus;
  if (!isObject(status)) return { rate: null, queue: null };
  const traffic = isObject(status.traffic) && isObject(status.traffic.lastHour) ? status.traffic.lastHour : {};
  const out = isObject(traffic.out) ? traffic.out : {};
  const queue = isObject(status.queue) && isObject(status.queue.smtp) ? status.queue.smtp : {};
  return { rate: num(status.deliveredLastHour) ?? num(out.msgs) ?? null, queue: num(queue.rcpts) ?? null };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
