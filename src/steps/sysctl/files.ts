import path from 'node:path';
import { normaliseValue } from '../guards/params.js';

/**
 * sysctl configuration files: parsing, the boot-time precedence, and line edits. Pure.
 *
 * Precedence (systemd-sysctl and `sysctl --system`): *.conf files from /etc/sysctl.d,
 * /run/sysctl.d, /usr/local/lib/sysctl.d, /usr/lib/sysctl.d, /lib/sysctl.d; a file in an
 * earlier directory masks a file of the same basename in a later one; the survivors are
 * applied sorted by basename, later assignments win; `sysctl --system` reads
 * /etc/sysctl.conf last.
 */
export const SYSCTL_DIRS = ['/etc/sysctl.d', '/run/sysctl.d', '/usr/local/lib/sysctl.d', '/usr/lib/sysctl.d', '/lib/sysctl.d'];
export const SYSCTL_CONF = '/etc/sysctl.conf';

export interface SysctlFile {
  path: string;
  /** Full text when the file sets one of the observed keys or is the target; else null. */
  content: string | null;
  /** Assignments of the observed keys, in file order. */
  settings: Array<{ key: string; value: string; line: number }>;
  readable: boolean;
}

export interface Assignment {
  key: string;
  value: string;
  line: number;
}

const ASSIGNMENT = /^(\s*-?\s*)([^=\s#;]+)(\s*=\s*)(.*?)(\s*)$/;

/** net/ipv4/tcp_fin_timeout and net.ipv4.tcp_fin_timeout name the same key. */
export function normaliseKey(key: string): string {
  return key.replace(/^-/, '').replace(/\//g, '.');
}

export function parseAssignments(text: string): Assignment[] {
  const out: Assignment[] = [];
  text.split('\n').forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) return;
    const m = ASSIGNMENT.exec(raw);
    if (!m) return;
    out.push({ key: normaliseKey(m[2]), value: normaliseValue(m[4]), line: i + 1 });
  });
  return out;
}

/** Files in the order they are applied at boot (masked files dropped). */
export function applyOrder(paths: string[]): string[] {
  const byBase = new Map<string, string>();
  for (const dir of SYSCTL_DIRS) {
    for (const p of paths) {
      if (path.dirname(p) !== dir || !p.endsWith('.conf')) continue;
      const base = path.basename(p);
      if (!byBase.has(base)) byBase.set(base, p);
    }
  }
  const ordered = [...byBase.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((b) => byBase.get(b)!);
  if (paths.includes(SYSCTL_CONF)) ordered.push(SYSCTL_CONF);
  return ordered;
}

/** The file (and value) whose assignment of `key` wins at boot, or null when none sets it. */
export function persistedWinner(
  files: Array<{ path: string; settings: Assignment[] }>,
  key: string,
): { path: string; value: string; line: number } | null {
  const byPath = new Map(files.map((f) => [f.path, f]));
  let winner: { path: string; value: string; line: number } | null = null;
  for (const p of applyOrder(files.map((f) => f.path))) {
    for (const s of byPath.get(p)!.settings) {
      if (s.key === key) winner = { path: p, value: s.value, line: s.line };
    }
  }
  return winner;
}

/**
 * Sets `key = value` in a file's text: every existing assignment of the key is rewritten in
 * place (keeping its spacing); when there is none, a line is appended.
 */
export function setAssignment(text: string | null, key: string, value: string): string {
  const body = text ?? '# Managed by mtafleet (sysctl step). Values here are applied at boot.\n';
  const lines = body.split('\n');
  let found = false;
  const edited = lines.map((raw) => {
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) return raw;
    const m = ASSIGNMENT.exec(raw);
    if (!m || normaliseKey(m[2]) !== key) return raw;
    found = true;
    return `${m[1]}${m[2]}${m[3]}${value}`;
  });
  if (found) return edited.join('\n');
  const withNewline = body === '' || body.endsWith('\n') ? body : `${body}\n`;
  return `${withNewline}${key} = ${value}\n`;
}
