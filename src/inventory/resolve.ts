/**
 * Raw definitions -> resolved Inventory, as Ansible builds it: definitions of one group merge,
 * groups without a parent become children of `all`, hosts in no group go to `ungrouped`,
 * and each host's variables are merged all < parent < child < host, groups at the same depth
 * ordered by ansible_group_priority, then name (later wins).
 */
import { dict } from '../util/dict.js';
import type { Inventory, InventoryGroup, InventoryHost } from './types.js';
import { dirname } from 'node:path';
import { Secret } from '../util/secret.js';
import type { Problem, RawGroup, RawVar, SourceLoc } from './raw.js';
import { describeValue, isSecretVar } from './schema.js';
import { TemplateProblem, hasTemplate, isConnectionVar, renderHostTemplate } from './templated.js';
import { checkValue } from './validate.js';

interface GroupBuild extends InventoryGroup {
  priority: number;
  /** Where each of the group's inventory variables was set (the last definition). */
  varAt: Map<string, SourceLoc>;
  at: SourceLoc;
  childAt: Map<string, SourceLoc>;
}

/** Variables from group_vars/ and host_vars/: above the inventory file's, as in Ansible. */
export interface VarsLayers {
  groupVars: Map<string, RawVar[]>;
  hostVars: Map<string, RawVar[]>;
}

export function resolveInventory(
  file: string,
  defs: RawGroup[],
  layers: VarsLayers = { groupVars: new Map(), hostVars: new Map() },
  baseDir = dirname(file),
): { inventory: Inventory; problems: Problem[] } {
  const problems: Problem[] = [];
  const groups = new Map<string, GroupBuild>();
  const hostVars = new Map<string, RawVar[]>();
  const directGroups = new Map<string, Set<string>>();

  const groupOf = (name: string, at: SourceLoc): GroupBuild => {
    let g = groups.get(name);
    if (!g) {
      g = { name, hosts: [], children: [], vars: dict(), priority: 1, at, childAt: new Map(), varAt: new Map() };
      groups.set(name, g);
    }
    return g;
  };
  groupOf('all', { line: 1, path: 'all' });
  groupOf('ungrouped', { line: 1, path: 'ungrouped' });
  groups.get('all')!.children.push('ungrouped'); // first among all's children, as in Ansible

  for (const def of defs) {
    const g = groupOf(def.name, def.at);
    for (const v of def.vars) {
      if (v.name === 'ansible_group_priority') g.priority = v.value as number;
      else {
        g.vars[v.name] = v.value;
        g.varAt.set(v.name, v.at);
      }
    }
    for (const child of def.children) {
      if (child.name === 'all') {
        problems.push({ ...child.at, message: `group "all" cannot be a child of "${def.name}"` });
        continue;
      }
      groupOf(child.name, child.at);
      if (!g.children.includes(child.name) && !(def.name === 'all' && child.name === 'ungrouped')) {
        g.children.push(child.name);
        g.childAt.set(child.name, child.at);
      }
    }
    for (const host of def.hosts) {
      if (!g.hosts.includes(host.name)) g.hosts.push(host.name);
      if (!hostVars.has(host.name)) hostVars.set(host.name, []);
      hostVars.get(host.name)!.push(...host.vars);
      if (!directGroups.has(host.name)) directGroups.set(host.name, new Set());
      directGroups.get(host.name)!.add(def.name);
    }
  }

  const parents = parentIndex(groups);
  for (const g of groups.values()) {
    if (g.name !== 'all' && (parents.get(g.name)?.length ?? 0) === 0) {
      groups.get('all')!.children.push(g.name);
      parents.set(g.name, ['all']);
    }
  }
  problems.push(...findCycles(groups));
  if (problems.length > 0) return { inventory: { file, hosts: new Map(), groups: new Map() }, problems };

  // Hosts listed only under all (or ungrouped) belong to ungrouped, as in Ansible.
  const ungrouped = groups.get('ungrouped')!;
  for (const [host, direct] of directGroups) {
    const others = [...direct].filter((n) => n !== 'all' && n !== 'ungrouped');
    if (others.length === 0 && !ungrouped.hosts.includes(host)) ungrouped.hosts.push(host);
    if (others.length > 0 && ungrouped.hosts.includes(host)) ungrouped.hosts.splice(ungrouped.hosts.indexOf(host), 1);
  }

  const depth = depthIndex(groups, parents);
  const order = (a: GroupBuild, b: GroupBuild): number =>
    depth.get(a.name)! - depth.get(b.name)! || a.priority - b.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

  const hosts = new Map<string, InventoryHost>();
  for (const [name, direct] of directGroups) {
    const member = new Set<string>(['all']);
    const visit = (g: string): void => {
      if (member.has(g)) return;
      member.add(g);
      for (const p of parents.get(g) ?? []) visit(p);
    };
    for (const g of direct) visit(g);
    if (ungrouped.hosts.includes(name)) member.add('ungrouped');
    else member.delete('ungrouped');
    const sorted = [...member].map((g) => groups.get(g)!).sort(order);
    // Ansible: inventory group vars < group_vars/ (by group order) < inventory host vars < host_vars/.
    const vars = dict<unknown>(); // variable names are inventory text (__proto__ included)
    const varAt = new Map<string, SourceLoc>();
    const set = (v: RawVar): void => {
      vars[v.name] = v.value;
      varAt.set(v.name, v.at);
    };
    for (const g of sorted) for (const k of Object.keys(g.vars)) set({ name: k, value: g.vars[k], at: g.varAt.get(k) ?? g.at });
    for (const g of sorted) for (const v of layers.groupVars.get(g.name) ?? []) set(v);
    for (const v of hostVars.get(name) ?? []) set(v);
    for (const v of layers.hostVars.get(name) ?? []) set(v);
    problems.push(...resolveConnectionTemplates(name, vars, varAt, baseDir));
    hosts.set(name, { name, vars, groups: sorted.map((g) => g.name) });
  }

  const publicGroups = new Map<string, InventoryGroup>();
  for (const g of groups.values()) {
    const vars = dict(Object.entries(g.vars));
    for (const v of layers.groupVars.get(g.name) ?? []) vars[v.name] = v.value;
    publicGroups.set(g.name, { name: g.name, hosts: g.hosts, children: g.children, vars });
  }
  return { inventory: { file, hosts, groups: publicGroups }, problems };
}

/** Templated connection variables of one host, resolved and checked in place (templated.ts). */
function resolveConnectionTemplates(host: string, vars: Record<string, unknown>, varAt: Map<string, SourceLoc>, baseDir: string): Problem[] {
  const problems: Problem[] = [];
  for (const name of Object.keys(vars)) {
    const raw = vars[name];
    if (!isConnectionVar(name) || !hasTemplate(raw)) continue;
    const at = varAt.get(name) ?? { line: 1, path: name };
    const where = `host ${JSON.stringify(host)}: ${name} ${JSON.stringify(raw)}`;
    let rendered: unknown;
    try {
      rendered = renderHostTemplate(raw, vars, host);
    } catch (err) {
      if (!(err instanceof TemplateProblem)) throw err;
      problems.push({ ...at, message: `${where}: ${err.message}` });
      continue;
    }
    if (rendered instanceof Secret) {
      if (isSecretVar(name)) vars[name] = rendered;
      else problems.push({ ...at, message: `${where}: the value is a secret, which only a secret variable (a password) may take` });
      continue;
    }
    const checked = checkValue(name, rendered, baseDir);
    if (checked.ok) vars[name] = checked.value;
    else problems.push({ ...at, message: `${where} resolves to ${describeValue(name, rendered)}, which ${checked.message.replace(/, got .*$/, '')}` });
  }
  return problems;
}

function parentIndex(groups: Map<string, GroupBuild>): Map<string, string[]> {
  const parents = new Map<string, string[]>();
  for (const g of groups.values()) parents.set(g.name, parents.get(g.name) ?? []);
  for (const g of groups.values()) for (const c of g.children) parents.get(c)!.push(g.name);
  return parents;
}

function findCycles(groups: Map<string, GroupBuild>): Problem[] {
  const problems: Problem[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (name: string, trail: string[]): void => {
    state.set(name, 'open');
    const g = groups.get(name)!;
    for (const c of g.children) {
      if (state.get(c) === 'open') {
        const path = [...trail, name];
        const loop = [...path.slice(path.indexOf(c)), c].join(' -> ');
        problems.push({ ...(g.childAt.get(c) ?? g.at), message: `groups form a loop: ${loop}` });
      } else if (!state.has(c)) visit(c, [...trail, name]);
    }
    state.set(name, 'done');
  };
  for (const name of groups.keys()) if (!state.has(name)) visit(name, []);
  return problems;
}

/** Depth = the longest chain of parents up to all (Ansible sorts group vars by it). */
function depthIndex(groups: Map<string, GroupBuild>, parents: Map<string, string[]>): Map<string, number> {
  const depth = new Map<string, number>([['all', 0]]);
  const of = (name: string): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    const d = 1 + Math.max(0, ...(parents.get(name) ?? ['all']).map(of));
    depth.set(name, d);
    return d;
  };
  for (const name of groups.keys()) of(name);
  return depth;
}
