/**
 * `mtafleet history` as data (pure): the fleet's and each host's delivery rate, queue and
 * deferral rate over time, and every finding's episodes (first seen, resolved, how long open).
 * This is the JSON contract (README "Contracts") and what the table, Markdown and a trend
 * chart are drawn from.
 */
import type { FleetPointRow, HostPointRow } from './store.js';
import { pushTo } from '../util/dict.js';
import type { Span } from './spans.js';
import type { FleetAggregate } from './types.js';

/** Per-host points are listed for selections of at most this many hosts (else only `latest`). */
export const HOST_POINTS_MAX = 50;

export interface HostPoint {
  auditId: string;
  at: string;
  reachable: boolean;
  failed: boolean;
  rate: number | null;
  queue: number | null;
  deferralRate: number | null;
  bounceRate: number | null;
  worst: 'critical' | 'warn' | null;
}

/** One audit of the fleet (or of the --limit selection): the aggregate extract.ts computes. */
export interface FleetPoint extends FleetAggregate {
  auditId: string;
  at: string;
}

export interface FindingEpisode {
  host: string;
  kind: string;
  subject: string;
  severity: string;
  title: string;
  firstSeen: string;
  lastSeen: string;
  resolved: string | null;
  openSeconds: number;
}

export interface HostHistory {
  name: string;
  latest: HostPoint | null;
  points?: HostPoint[];
}

export interface HistoryData {
  since: string;
  until: string;
  limit: string | null;
  store: 'sqlite' | 'postgres';
  fleet: FleetPoint[];
  hosts: HostHistory[];
  findings: FindingEpisode[];
  pointsOmitted: boolean;
}

export interface HistoryInput {
  sinceMs: number;
  untilMs: number;
  limit: string | null;
  store: 'sqlite' | 'postgres';
  hosts: readonly string[];
  /** The audits' own fleet rows (whole fleet); null with --limit: aggregated from `points`. */
  fleet: readonly FleetPointRow[] | null;
  points: readonly HostPointRow[];
  latest: readonly HostPointRow[];
  spans: readonly Span[];
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function hostPoint(r: HostPointRow): HostPoint {
  const worst = Number(r.worst ?? 0);
  return {
    auditId: r.audit_id,
    at: iso(Number(r.at_ms)),
    reachable: Number(r.reachable) === 1,
    failed: Number(r.failed) === 1,
    rate: r.rate,
    queue: r.queue,
    deferralRate: r.deferral_rate,
    bounceRate: r.bounce_rate,
    worst: worst >= 2 ? 'critical' : worst === 1 ? 'warn' : null,
  };
}

export function historyData(input: HistoryInput): HistoryData {
  const wanted = new Set(input.hosts);
  const byHost = new Map<string, HostPoint[]>();
  for (const r of input.points) if (wanted.has(r.host)) pushTo(byHost, r.host, hostPoint(r));
  const latest = new Map(input.latest.map((r) => [r.host, hostPoint(r)]));
  const withPoints = input.hosts.length <= HOST_POINTS_MAX;
  return {
    since: iso(input.sinceMs),
    until: iso(input.untilMs),
    limit: input.limit,
    store: input.store,
    fleet: input.fleet ? input.fleet.map(fleetPoint) : aggregate(input.points.filter((r) => wanted.has(r.host))),
    hosts: input.hosts.map((name) => ({ name, latest: latest.get(name) ?? null, ...(withPoints ? { points: byHost.get(name) ?? [] } : {}) })),
    findings: input.spans
      .filter((s) => wanted.has(s.host) && (s.resolvedMs === null || s.lastMs >= input.sinceMs))
      .map((s) => episode(s, input.untilMs))
      .sort((a, b) => (a.resolved === null ? 0 : 1) - (b.resolved === null ? 0 : 1) || b.openSeconds - a.openSeconds || (a.host < b.host ? -1 : 1)),
    pointsOmitted: !withPoints,
  };
}

function fleetPoint(r: FleetPointRow): FleetPoint {
  return {
    auditId: r.id, at: iso(Number(r.at_ms)), hosts: Number(r.hosts), reachable: Number(r.reachable), failed: Number(r.failed),
    rate: r.rate, queue: r.queue, deferralRate: r.deferral_rate, critical: Number(r.critical), warn: Number(r.warn),
  };
}

/** Fleet points of a selection of hosts, from their own rows (as extract.ts aggregates a whole audit). */
function aggregate(rows: readonly HostPointRow[]): FleetPoint[] {
  const audits = new Map<string, HostPointRow[]>();
  for (const r of rows) pushTo(audits, r.audit_id, r);
  const out: Array<FleetPoint & { ms: number }> = [];
  for (const [auditId, list] of audits) {
    let rate: number | null = null;
    let queue: number | null = null;
    let reachable = 0;
    let failed = 0;
    let critical = 0;
    let warn = 0;
    const deferrals: number[] = [];
    for (const r of list) {
      if (r.rate !== null) rate = (rate ?? 0) + r.rate;
      if (r.queue !== null) queue = (queue ?? 0) + r.queue;
      if (r.deferral_rate !== null) deferrals.push(r.deferral_rate);
      if (Number(r.reachable) === 1) reachable++;
      if (Number(r.failed) === 1) failed++;
      const worst = Number(r.worst ?? 0);
      if (worst >= 2) critical++;
      else if (worst === 1) warn++;
    }
    deferrals.sort((a, b) => a - b);
    const ms = Number(list[0]!.at_ms);
    out.push({
      ms, auditId, at: iso(ms), hosts: list.length, reachable, failed, rate, queue,
      deferralRate: deferrals.length > 0 ? deferrals[Math.floor((deferrals.length - 1) / 2)]! : null, critical, warn,
    });
  }
  return out.sort((a, b) => a.ms - b.ms || (a.auditId < b.auditId ? -1 : 1)).map(({ ms: _ms, ...p }) => p);
}

function episode(s: Span, untilMs: number): FindingEpisode {
  const end = s.resolvedMs ?? untilMs;
  return {
    host: s.host, kind: s.kind, subject: s.subject, severity: s.severity, title: s.title,
    firstSeen: iso(s.firstMs), lastSeen: iso(s.lastMs), resolved: s.resolvedMs === null ? null : iso(s.resolvedMs),
    openSeconds: Math.max(0, Math.round((end - s.firstMs) / 1000)),
  };
}

/** One series for a chart: the fleet's (host undefined) or one host's, oldest first. */
export function trendSeries(data: HistoryData, host?: string): Array<{ at: string; rate: number | null; queue: number | null; deferralRate: number | null }> {
  const points = host === undefined ? data.fleet : (data.hosts.find((h) => h.name === host)?.points ?? []);
  return points.map((p) => ({ at: p.at, rate: p.rate, queue: p.queue, deferralRate: p.deferralRate }));
}
