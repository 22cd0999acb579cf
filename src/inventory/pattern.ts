/**
 * Host selection with Ansible's --limit semantics: host or group names, globs (`mta0*`),
 * `~regex`, `all` / `*`, unions `a:b` or `a,b`, intersections `a:&b`, exclusions `a:!b`.
 * As in Ansible, unions are applied first, then intersections, then exclusions; the result
 * keeps inventory order. A term naming nothing is an error, so a typo never silently
 * widens or narrows a run.
 */
import { InventoryError } from '../util/errors.js';
import type { Inventory, InventoryHost } from './types.js';

interface Term {
  op: 'union' | 'intersect' | 'exclude';
  body: string;
}

export function selectHosts(inv: Inventory, pattern?: string): InventoryHost[] {
  const hosts = [...inv.hosts.values()];
  if (pattern === undefined) return hosts;
  const terms = orderTerms(splitPattern(pattern));
  if (terms.length === 0) throw new InventoryError(`--limit "${pattern}" is empty; give host or group names`);

  let selected = new Set<string>();
  for (const term of terms) {
    const matched = matchTerm(inv, term.body);
    if (matched === undefined) {
      const which = terms.length > 1 || term.body !== pattern.trim() ? ` ("${term.body}" names no host or group)` : '';
      throw new InventoryError(`--limit "${pattern}" matches no host${which}; known groups: ${knownGroups(inv)}`);
    }
    if (term.op === 'union') for (const h of matched) selected.add(h);
    else if (term.op === 'intersect') selected = new Set([...selected].filter((h) => matched.has(h)));
    else for (const h of matched) selected.delete(h);
  }
  const result = hosts.filter((h) => selected.has(h.name));
  if (result.length === 0) throw new InventoryError(`--limit "${pattern}" matches no host; known groups: ${knownGroups(inv)}`);
  return result;
}

/** Splits on "," when present, else on ":" outside brackets (as Ansible's split_host_pattern). */
export function splitPattern(pattern: string): string[] {
  const parts = pattern.includes(',') ? pattern.split(',') : (pattern.match(/(?:[^\s:[\]]|\[[^\]]*\])+/g) ?? []);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

function orderTerms(parts: string[]): Term[] {
  const terms: Term[] = parts.map((p) =>
    p.startsWith('&') ? { op: 'intersect', body: p.slice(1) } : p.startsWith('!') ? { op: 'exclude', body: p.slice(1) } : { op: 'union', body: p },
  );
  const unions = terms.filter((t) => t.op === 'union');
  // Only intersections/exclusions: they apply to all hosts, as in Ansible.
  const start: Term[] = unions.length === 0 && terms.length > 0 ? [{ op: 'union', body: 'all' }] : [];
  return [...start, ...unions, ...terms.filter((t) => t.op === 'intersect'), ...terms.filter((t) => t.op === 'exclude')];
}

/** Host names one term selects, or undefined when it names no group and no host. */
function matchTerm(inv: Inventory, body: string): Set<string> | undefined {
  const regex = body.startsWith('~') ? compileRegex(body.slice(1)) : globToRegExp(body);
  const isGlob = body.startsWith('~') || /[.?*[]/.test(body);
  const groups = [...inv.groups.keys()].filter((g) => regex.test(g));
  const out = new Set<string>();
  for (const host of inv.hosts.values()) {
    if (host.groups.some((g) => groups.includes(g))) out.add(host.name);
  }
  let hostMatched = false;
  if (groups.length === 0 || isGlob) {
    for (const host of inv.hosts.keys()) {
      if (regex.test(host)) {
        out.add(host);
        hostMatched = true;
      }
    }
  }
  return groups.length === 0 && !hostMatched ? undefined : out;
}

function compileRegex(source: string): RegExp {
  try {
    return new RegExp(`^(?:${source})`); // anchored at the start, like Python's re.match in Ansible
  } catch (err) {
    throw new InventoryError(`--limit "~${source}" is not a valid regular expression: ${(err as Error).message}`);
  }
}

/** fnmatch-style glob: * any run, ? one character, [abc] / [!abc] a class. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) {
        out += '\\[';
        continue;
      }
      let cls = glob.slice(i + 1, close);
      if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
      out += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = close;
    } else out += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

function knownGroups(inv: Inventory): string {
  return [...inv.groups.keys()].sort().join(', ');
}
