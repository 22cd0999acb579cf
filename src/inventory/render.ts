/**
 * Renderings of a resolved inventory, shaped like ansible-inventory's: --list (JSON) and
 * --graph (a text tree). Pure functions; secrets come out as "***".
 */
import { dict } from '../util/dict.js';
import { Secret } from '../util/secret.js';
import type { Inventory, InventoryHost } from './types.js';

/** Like `ansible-inventory --list`: _meta.hostvars plus each group's hosts and children. */
export function inventoryToAnsibleList(inv: Inventory, hosts: InventoryHost[] = [...inv.hosts.values()]): Record<string, unknown> {
  const available = new Set(hosts.map((h) => h.name));
  // Group and host names are inventory text: "__proto__" must be a key, not the prototype.
  const out = dict<unknown>();
  const seen = new Set<string>();
  const visit = (name: string): void => {
    seen.add(name);
    const group = inv.groups.get(name);
    if (!group) return;
    const entry: Record<string, string[]> = {};
    const groupHosts = name === 'all' ? [] : group.hosts.filter((h) => available.has(h));
    if (groupHosts.length > 0) entry.hosts = groupHosts;
    if (group.children.length > 0) entry.children = [...group.children];
    for (const child of group.children) if (!seen.has(child)) visit(child);
    if (Object.keys(entry).length > 0) out[name] = entry;
  };
  visit('all');
  const hostvars = dict<unknown>();
  for (const host of hosts) if (Object.keys(host.vars).length > 0) hostvars[host.name] = host.vars;
  out._meta = { hostvars };
  return redact(out) as Record<string, unknown>;
}

/** Like `ansible-inventory --graph [--vars]`: groups and hosts in inventory order, as Ansible 2.14. */
export function inventoryGraph(inv: Inventory, hosts: InventoryHost[] = [...inv.hosts.values()], options: { vars?: boolean } = {}): string {
  const selected = new Map(hosts.map((h) => [h.name, h]));
  const limited = selected.size < inv.hosts.size;
  const lines: string[] = [];
  const hasSelected = (group: string): boolean => hosts.some((h) => h.groups.includes(group));

  const graphGroup = (name: string, depth: number): void => {
    const group = inv.groups.get(name);
    if (!group) return;
    lines.push(indent(`@${name}:`, depth));
    for (const child of group.children) {
      if (!limited || hasSelected(child)) graphGroup(child, depth + 1);
    }
    if (name !== 'all') {
      for (const hostName of group.hosts) {
        const host = selected.get(hostName);
        if (!host) continue;
        lines.push(indent(hostName, depth + 1));
        if (options.vars) lines.push(...varLines(host.vars, depth + 2));
      }
    }
    if (options.vars) lines.push(...varLines(group.vars, depth + 1));
  };
  graphGroup('all', 0);
  return `${lines.join('\n')}\n`;
}

function indent(text: string, depth: number): string {
  return depth === 0 ? text : `${'  |'.repeat(depth)}--${text}`;
}

function varLines(vars: Record<string, unknown>, depth: number): string[] {
  return Object.keys(vars)
    .sort()
    .map((k) => indent(`{${k} = ${renderValue(vars[k])}}`, depth));
}

/** Values as Ansible (Python) prints them in --graph --vars: True, None, ['a', 'b']. */
function renderValue(value: unknown, nested = false): string {
  if (value instanceof Secret) return '***';
  if (typeof value === 'string') return nested ? pythonString(value) : value;
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (value === null || value === undefined) return 'None';
  const plain = redact(value);
  if (Array.isArray(plain)) return `[${plain.map((v) => renderValue(v, true)).join(', ')}]`;
  if (typeof plain === 'object' && plain !== null) {
    return `{${Object.entries(plain as Record<string, unknown>).map(([k, v]) => `'${k}': ${renderValue(v, true)}`).join(', ')}}`;
  }
  return String(plain);
}

/** Python's repr of a str: single quotes, or double quotes when it holds only single ones. */
function pythonString(s: string): string {
  const escaped = s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  if (s.includes("'") && !s.includes('"')) return `"${escaped}"`;
  return `'${escaped.replace(/'/g, "\\'")}'`;
}

/** Deep copy with Secret -> "***" and object keys sorted (ansible-inventory sorts keys). */
export function redact(value: unknown): unknown {
  if (value instanceof Secret) return '***';
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Set) return [...value].map(redact);
  if (value instanceof Map) return redact(Object.fromEntries(value));
  if (Array.isArray(value)) return value.map(redact);
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(obj)
        .sort()
        .map((k) => [k, redact(obj[k])]),
    );
  }
  return value;
}
