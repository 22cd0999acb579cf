import { diagPattern } from '../../../src/probes/diag-normalise.js';
import { parse } from 'csv-parse/sync';
import { readFileSync } from 'node:fs';
import { type AccountingFacts, type Counts } from '../../../src/probes/accounting.js';

/**
 * Independent TypeScript reference of DESIGN.md's accounting rules, using csv-parse for the
 * CSV, to check the on-host awk aggregation against. Deliberately written from the rules,
 * not from the awk program.
 */
const ISO = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})/;

function instant(text: string): { epoch: number; hour: string; text: string } | null {
  if (/^\d+$/.test(text)) {
    const epoch = Number(text);
    const iso = new Date(epoch * 1000).toISOString();
    const written = `${iso.slice(0, 10)} ${iso.slice(11, 19)}+0000`;
    return { epoch, hour: written.slice(0, 13), text: written };
  }
  const m = ISO.exec(text);
  if (!m) return null;
  const rest = text.slice(19);
  const off = /^([+-])(\d{2}):?(\d{2})/.exec(rest);
  const offsetSeconds = off ? (off[1] === '-' ? -1 : 1) * (Number(off[2]) * 3600 + Number(off[3]) * 60) : 0;
  const utc = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) / 1000;
  return { epoch: utc - offsetSeconds, hour: `${text.slice(0, 10)} ${text.slice(11, 13)}`, text };
}

const clean = (s: string): string => s.replace(/[\t\r\n\x1c]/g, ' ');
const asciiLower = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

interface Rec {
  type: string;
  time: NonNullable<ReturnType<typeof instant>>;
  rcpt: string;
  diag: string;
  ip: string;
}

export function referenceAggregate(files: string[], windowHours: number, topN: number): {
  facts: Omit<AccountingFacts, 'file' | 'files' | 'windowHours'>;
  badTime: number;
} {
  const records: Rec[] = [];
  let badTime = 0;
  for (const file of files) {
    const rows = parse(readFileSync(file), { relax_column_count: true, skip_empty_lines: true, bom: true }) as string[][];
    let cols: Record<string, number> = {};
    for (const [index, row] of rows.entries()) {
      if ((index === 0 && row.includes('type')) || row[0] === 'type') {
        cols = Object.fromEntries(row.map((name, i) => [name.trim(), i]));
        continue;
      }
      const type = row[cols.type];
      if (type !== 'd' && type !== 't' && type !== 'b') continue;
      const time = instant(row[cols.timeLogged] ?? '');
      if (!time) {
        badTime++;
        continue;
      }
      records.push({ type, time, rcpt: row[cols.rcpt] ?? '', diag: row[cols.dsnDiag] ?? '', ip: row[cols.dlvSourceIp] ?? '' });
    }
  }
  let newest: Rec | null = null;
  for (const r of records) if (!newest || r.time.epoch > newest.time.epoch) newest = r;
  const inWindow = records.filter((r) => newest && r.time.epoch > newest.time.epoch - windowHours * 3600 && r.time.epoch <= newest.time.epoch);
  let since: Rec | null = null;
  for (const r of inWindow) if (!since || r.time.epoch < since.time.epoch) since = r;
  const zero = (): Counts => ({ delivered: 0, deferred: 0, bounced: 0 });
  const bump = (c: Counts, type: string): void => {
    if (type === 'd') c.delivered++;
    else if (type === 't') c.deferred++;
    else c.bounced++;
  };
  const hourly = new Map<string, Counts>();
  const bySourceIp: Record<string, Counts> = {};
  const byDomain: Record<string, Counts & { deferralRate: number }> = {};
  const diags = new Map<string, { domain: string; pattern: string; count: number }>();
  for (const r of inWindow) {
    const at = r.rcpt.lastIndexOf('@');
    const domain = at >= 0 && at < r.rcpt.length - 1 ? asciiLower(clean(r.rcpt.slice(at + 1))) : '(none)';
    const ip = r.ip === '' ? '(none)' : clean(r.ip);
    bump(hourly.get(r.time.hour) ?? (hourly.set(r.time.hour, zero()), hourly.get(r.time.hour)!), r.type);
    bump((bySourceIp[ip] ??= zero()), r.type);
    bump((byDomain[domain] ??= { ...zero(), deferralRate: 0 }), r.type);
    if (r.type !== 'd') {
      // Normalised as the host's norm() does (src/probes/diag-normalise.ts).
      const pattern = diagPattern(r.diag);
      const key = `${domain}\u0000${pattern}`;
      const entry = diags.get(key) ?? { domain, pattern, count: 0 };
      entry.count++;
      diags.set(key, entry);
    }
  }
  for (const d of Object.values(byDomain)) d.deferralRate = d.deferred / (d.delivered + d.deferred + d.bounced);
  const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return {
    badTime,
    facts: {
      records: inWindow.length,
      since: since?.time.text ?? null,
      until: newest?.time.text ?? null,
      hourly: [...hourly].map(([hour, c]) => ({ hour, ...c })).sort((a, b) => cmp(a.hour, b.hour)),
      bySourceIp,
      byDomain,
      topDiagnostics: [...diags.values()]
        .sort((a, b) => b.count - a.count || cmp(a.domain, b.domain) || cmp(a.pattern, b.pattern))
        .slice(0, topN),
      hasTransientRecords: inWindow.some((r) => r.type === 't'),
    },
  };
}
