/**
 * What drifted between the observations a plan was made from and the host now, in words:
 *   file /etc/sysctl.d/90-mtafleet.conf changed (sha256 ab12cd34 -> 9f8e7d6c)
 *   sysctl net.ipv4.tcp_fin_timeout: 60 -> 30
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical.js';

export function describeDrift(planned: Record<string, unknown>, now: Record<string, unknown>): string[] {
  const out: string[] = [];
  const keys = [...new Set([...Object.keys(planned), ...Object.keys(now)])].sort();
  for (const key of keys) {
    const a = planned[key];
    const b = now[key];
    if (canonicalJson(a) === canonicalJson(b)) continue;
    if (a === undefined) out.push(`${key} was not observed when the plan was made`);
    else if (b === undefined) out.push(`${key} is no longer observed`);
    else out.push(describeOne(key, a, b));
  }
  return out;
}

function describeOne(key: string, a: unknown, b: unknown): string {
  if (!isObject(a) || !isObject(b)) return `${key}: ${short(a)} -> ${short(b)}`;
  if ('exists' in a && 'exists' in b && a.exists !== b.exists) {
    return `${key} ${b.exists ? 'appeared' : 'disappeared'}`;
  }
  const fields = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const changed = fields.filter((f) => canonicalJson(a[f]) !== canonicalJson(b[f]));
  // A content change is already named by its hash; keep the message to one line.
  const shown = changed.includes('sha256') ? changed.filter((f) => f !== 'content' && f !== 'contentBase64') : changed;
  if (shown.length === 1 && shown[0] === 'value') return `${key}: ${short(a.value)} -> ${short(b.value)}`;
  const parts = shown.map((f) => (isText(a[f]) || isText(b[f]) ? `${f} ${textState(a[f])} -> ${textState(b[f])}` : `${f} ${short(a[f])} -> ${short(b[f])}`));
  return `${key} changed (${parts.join(', ')})`;
}

/** File-like text (long or multi-line) is named by its hash, not dumped. */
function isText(v: unknown): boolean {
  return typeof v === 'string' && !/^[0-9a-f]{64}$/.test(v) && (v.length > 40 || v.includes('\n'));
}

function textState(v: unknown): string {
  if (v === null || v === undefined) return '(absent)';
  if (typeof v !== 'string') return short(v);
  return `sha256 ${createHash('sha256').update(v).digest('hex').slice(0, 8)}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function short(v: unknown): string {
  if (v === undefined) return '(none)';
  if (typeof v === 'string') return /^[0-9a-f]{64}$/.test(v) ? v.slice(0, 8) : v.length > 40 ? JSON.stringify(v.slice(0, 37) + '...') : v;
  const text = JSON.stringify(v);
  return text.length > 40 ? text.slice(0, 37) + '...' : text;
}

/**
 * Gathered facts a plan recorded (those its tasks read) against the host's now, in words.
 * Mount sizes change all the time and are left out of the comparison (README "Facts").
 */
export function describeFactDrift(planned: Record<string, unknown>, now: Record<string, unknown>): string[] {
  const stable = (k: string, v: unknown): unknown =>
    k === 'ansible_mounts' && Array.isArray(v) ? v.map((m) => (isObject(m) ? { ...m, size_total: undefined, size_available: undefined } : m)) : v;
  const out: string[] = [];
  for (const key of Object.keys(planned).sort()) {
    const a = stable(key, planned[key]);
    const b = stable(key, now[key]);
    if (canonicalJson(a) !== canonicalJson(b)) out.push(`fact ${key}: ${short(a)} -> ${short(b)}`);
  }
  return out;
}
