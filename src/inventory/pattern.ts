/**
 * Host selection with Ansible's --limit semantics: host or group names, globs (`mta0*`),
 * `~regex`, `all` / `*`, unions `a:b` or `a,b`, intersections `a:&b`, exclusions `a:!b`,
 * subscripts `web[0]`, `web[-1]`, `web[0:2]`, `web[1:]`, and `@FILE` (one host per line).
 * As in Ansible, unions are applied first, then intersections, then exclusions, in Ansible's
 * host order (checked against `ansible --list-hosts` 2.14). A term naming nothing is an
 * error, so a typo never silently widens or narrows a run.
 */
import { readFileSync } from 'node:fs';
import { InventoryError } from '../util/errors.js';
import type { Inventory, InventoryHost } from './types.js';

interface Term {
  op: 'union' | 'intersect' | 'exclude';
  body: string;
}

/**
 * The hosts `--limit PATTERN` leaves, in the order `ansible all --limit PATTERN --list-hosts`
 * gives: the order of group "all" (ansibleOrder), kept where the pattern selects them.
 */
export function selectHosts(inv: Inventory, pattern?: string): InventoryHost[] {
  const order = ansibleOrder(inv);
  if (pattern === undefined) return order;
  const selected = new Set(evaluatePattern(inv, pattern));
  return order.filter((h) => selected.has(h.name));
}

/**
 * The hosts a play's `hosts:` pattern names, in Ansible's order for that pattern (each term's
 * matches in turn: a group's hosts as the group lists them, then hosts matched by name).
 */
export function patternHosts(inv: Inventory, pattern: string): InventoryHost[] {
  return evaluatePattern(inv, pattern).map((name) => inv.hosts.get(name)!);
}

/** Ansible's _evaluate_patterns: unions extend (deduplicated), then &, then ! filter. */
function evaluatePattern(inv: Inventory, pattern: string): string[] {
  const given = pattern.trim();
  const terms = orderTerms(given.startsWith('@') ? limitFileTerms(given.slice(1)) : splitPattern(pattern));
  if (terms.length === 0) throw new InventoryError(`--limit "${pattern}" is empty; give host or group names`);
  let hosts: string[] = [];
  for (const term of terms) {
    // A plain host name is that host (Ansible checks host names before patterns).
    const matched = term.op === 'union' && inv.hosts.has(term.body) ? [term.body] : matchTerm(inv, term.body);
    if (matched === undefined) {
      const which = terms.length > 1 || term.body !== given ? ` ("${term.body}" names no host or group)` : '';
      throw new InventoryError(`--limit "${pattern}" matches no host${which}; known groups: ${knownGroups(inv)}`);
    }
    if (term.op === 'union') {
      const have = new Set(hosts);
      for (const h of matched) if (!have.has(h)) (have.add(h), hosts.push(h));
    } else {
      const that = new Set(matched);
      hosts = hosts.filter((h) => (term.op === 'intersect' ? that.has(h) : !that.has(h)));
    }
  }
  if (hosts.length === 0) throw new InventoryError(`--limit "${pattern}" matches no host; known groups: ${knownGroups(inv)}`);
  return hosts;
}

/** `--limit @FILE`: one host name per line (Ansible's retry files); blank lines ignored. */
function limitFileTerms(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InventoryError(`--limit @${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

/**
 * Hosts in the order Ansible's group "all" lists them (Group.get_hosts): the groups from "all"
 * down, level by level (each level's groups in the order their parents list them), each group's
 * own hosts in its order, every host once. Where two groups of one level both have children,
 * Ansible walks that level in Python set order (it varies with the hash seed); mtafleet takes
 * the parents' listed order there, which is one of Ansible's possible answers.
 */
export function ansibleOrder(inv: Inventory): InventoryHost[] {
  return groupHosts(inv, 'all').map((name) => inv.hosts.get(name)!);
}

function groupHosts(inv: Inventory, root: string): string[] {
  const start = inv.groups.get(root);
  // An inventory built without group "all" (only in code): its hosts in file order.
  if (!start) return root === 'all' ? [...inv.hosts.keys()] : [];
  const ordered: string[] = [root, ...start.children];
  const seen = new Set<string>();
  let level = [root, ...start.children];
  while (level.length > 0) {
    for (const g of level) seen.add(g);
    const next: string[] = [];
    for (const g of level) {
      for (const child of inv.groups.get(g)?.children ?? []) {
        if (seen.has(child) || next.includes(child)) continue;
        next.push(child);
        ordered.push(child);
      }
    }
    level = next;
  }
  const out: string[] = [];
  const have = new Set<string>();
  for (const g of ordered) {
    for (const h of inv.groups.get(g)?.hosts ?? []) {
      if (!have.has(h) && inv.hosts.has(h)) (have.add(h), out.push(h));
    }
  }
  // Hosts no group lists (none in a valid inventory): after the others, in file order.
  if (root === 'all') for (const h of inv.hosts.keys()) if (!have.has(h)) out.push(h);
  return out;
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

/**
 * Ansible's _match_one_pattern: the term's matches (groups' hosts, then hosts by name for a
 * glob, a regex or a name that is no group), then a `[N]` / `[start:end]` subscript; undefined
 * when nothing matched.
 */
function matchTerm(inv: Inventory, term: string): string[] | undefined {
  const { expr, subscript } = splitSubscript(term);
  const { hosts: matches, named } = enumerateMatches(inv, expr);
  if (!named) return undefined;
  if (!subscript || matches.length === 0) return matches;
  const picked = applySubscript(matches, subscript);
  if (picked === undefined) throw new InventoryError(`--limit "${term}": index out of range (${matches.length} host${matches.length === 1 ? '' : 's'} before the subscript)`);
  return picked;
}

/** A term's hosts (duplicates kept, as Ansible's subscript sees them); `named`: some group or host matched (an empty group counts). */
function enumerateMatches(inv: Inventory, expr: string): { hosts: string[]; named: boolean } {
  const regex = expr.startsWith('~') ? compileRegex(expr.slice(1)) : globToRegExp(expr);
  const isPattern = expr.startsWith('~') || /[.?*[]/.test(expr);
  const groups = [...inv.groups.keys()].filter((g) => regex.test(g));
  const out: string[] = [];
  for (const g of groups) out.push(...groupHosts(inv, g));
  let byName = 0;
  if (groups.length === 0 || isPattern) for (const host of inv.hosts.keys()) if (regex.test(host)) (out.push(host), byName++);
  return { hosts: out, named: groups.length > 0 || byName > 0 };
}

type Subscript = { index: number } | { start: number; end: number };

/**
 * Ansible 2.14's subscripts (PATTERN_WITH_SUBSCRIPT): `[N]` (N may be negative), `[start:end]`
 * inclusive, `[start:]` to the end; `[x-y]` is still read as `[x:y]` (Ansible warns it was removed).
 */
function splitSubscript(term: string): { expr: string; subscript?: Subscript } {
  if (term.startsWith('~')) return { expr: term };
  const m = /^(.+)\[(?:(-?[0-9]+)|([0-9]+)[:-]([0-9]*))\]$/s.exec(term);
  if (!m) return { expr: term };
  if (m[2] !== undefined) return { expr: m[1]!, subscript: { index: Number(m[2]) } };
  return { expr: m[1]!, subscript: { start: Number(m[3]), end: m[4] === '' ? -1 : Number(m[4]) } };
}

/**
 * Ansible's _apply_subscript with Python's indexing: a range (end 0 reads as a single index,
 * as Ansible's `if end:` does); undefined where Python raises IndexError.
 */
function applySubscript(hosts: string[], sub: Subscript): string[] | undefined {
  const at = (i: number): string[] | undefined => {
    const k = i < 0 ? hosts.length + i : i;
    return k >= 0 && k < hosts.length ? [hosts[k]!] : undefined;
  };
  if ('index' in sub) return at(sub.index);
  if (sub.end === 0) return at(sub.start);
  const end = sub.end === -1 ? hosts.length - 1 : sub.end;
  return hosts.slice(sub.start, end + 1);
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
