/**
 * Variables a task sees, and rendering a task's params for one host.
 *
 * Precedence, highest first (Ansible's order, simplified):
 *   1. extra vars (-e k=v)
 *   2. task vars (a task's own `vars:`)
 *   3. play vars (`vars:` of the play)
 *   4. inventory vars (host vars over child-group over parent-group over `all`, merged by the
 *      inventory loader)
 *   5. facts
 * Results registered by earlier tasks (`register:`) sit between task vars and play vars, and
 * the magic variables (`inventory_hostname`, `inventory_hostname_short`, `group_names`, and
 * with the fleet known: `groups`, `hostvars`, `play_hosts` / `ansible_play_hosts` /
 * `ansible_play_batch`) are always set and cannot be overridden, as in Ansible.
 */
import { STEP_KINDS } from '../steps/registry.js';
import { PlaybookError } from '../util/errors.js';
import { playbookError, zodProblems } from './source.js';
import { shellFields, type ParamPath } from './shell-fields.js';
import { TemplateError, renderShellText, renderValue, type Vars } from './template.js';
import type { Playbook, PlayDef, TaskDef } from './types.js';
import { dict } from '../util/dict.js';
import { Lazy } from './expr/index.js';

/** What the whole play knows about the fleet: Ansible's `groups`, `hostvars`, `play_hosts`. */
export interface MagicVars {
  groups: Record<string, string[]>;
  hostvars: Record<string, Vars>;
  playHosts: string[];
}

/** The host names of the inventory, as much of it as these variables need. */
export interface FleetView {
  hosts: Map<string, { name: string; vars: Record<string, unknown>; groups: string[] }>;
  groups: Map<string, unknown>;
}

const shortName = (name: string) => name.split('.')[0];

/**
 * `groups` (every group, with `all` and `ungrouped`, its hosts in inventory order, children's
 * included), `hostvars` (each host's inventory variables and its own magic names) and the
 * play's hosts. Built once per play and shared by its hosts (read-only).
 */
export function magicVars(fleet: FleetView, playHosts: string[]): MagicVars {
  const groups = dict<string[]>();
  for (const g of ['all', 'ungrouped', ...fleet.groups.keys()]) groups[g] = [];
  const hostvars = dict<Vars>();
  for (const h of fleet.hosts.values()) {
    groups.all.push(h.name);
    const named = h.groups.filter((g) => g !== 'all' && g !== 'ungrouped');
    if (named.length === 0 && !h.groups.includes('ungrouped')) groups.ungrouped.push(h.name);
    for (const g of h.groups) if (g !== 'all') (groups[g] ??= []).push(h.name);
    const own = dict<unknown>(Object.entries(h.vars));
    own.inventory_hostname = h.name;
    own.inventory_hostname_short = shortName(h.name);
    own.group_names = named;
    hostvars[h.name] = own;
  }
  return { groups, hostvars, playHosts: [...playHosts] };
}

/** Gathered facts as variables: `ansible_*` at the top (and in `ansible_facts` without the prefix), all of them under `facts`. */
export function factVars(facts: Vars): Vars {
  const out = dict<unknown>();
  const ansibleFacts = dict<unknown>();
  for (const [k, v] of Object.entries(facts)) {
    if (!k.startsWith('ansible_')) continue;
    out[k] = v;
    ansibleFacts[k.slice('ansible_'.length)] = v;
  }
  out.ansible_facts = ansibleFacts;
  out.facts = facts;
  return out;
}

export interface VarLayers {
  facts?: Vars;
  inventory?: Vars;
  play?: Vars;
  registered?: Vars;
  task?: Vars;
  extra?: Vars;
  hostName: string;
  groups?: string[];
  magic?: MagicVars;
}

/**
 * Inventory and task variables that are templates (`spool_dir: "{{ base }}/spool"`) are
 * rendered where an expression reads them, with the reading host's variables, as Ansible
 * does (play vars are rendered once per host, see renderPlayVars). Only the top level.
 */
function lazyTemplates(layer: Vars | undefined): Vars {
  if (!layer) return {};
  let out: Vars | undefined;
  for (const [k, v] of Object.entries(layer)) {
    if (typeof v !== 'string' || !v.includes('{{')) continue;
    out ??= dict(Object.entries(layer)); // a key may be `__proto__`: own properties only
    out[k] = new Lazy(v, k);
  }
  return out ?? layer;
}

export function mergeVars(layers: VarLayers): Vars {
  return {
    ...(layers.facts ?? {}),
    ...lazyTemplates(layers.inventory),
    ...(layers.play ?? {}),
    ...(layers.registered ?? {}),
    ...lazyTemplates(layers.task),
    ...(layers.extra ?? {}),
    inventory_hostname: layers.hostName,
    inventory_hostname_short: shortName(layers.hostName),
    group_names: (layers.groups ?? []).filter((g) => g !== 'all' && g !== 'ungrouped'),
    ...(layers.magic
      ? {
          groups: layers.magic.groups,
          hostvars: layers.magic.hostvars,
          play_hosts: layers.magic.playHosts,
          ansible_play_hosts: layers.magic.playHosts,
          ansible_play_batch: layers.magic.playHosts,
        }
      : {}),
  };
}

/**
 * Play vars may themselves be templates over inventory/extra vars ("{{ base }}/spool"):
 * they are rendered once per host, in order, before tasks use them.
 */
export function renderPlayVars(_playbook: Playbook, play: PlayDef, _playIndex: number, below: Vars): Vars {
  const out: Vars = {};
  for (const [k, v] of Object.entries(play.vars)) {
    try {
      out[k] = renderValue(v, { ...below, ...out });
    } catch (err) {
      if (err instanceof TemplateError) {
        const loc = play.source.locate([...play.at, 'vars', k]);
        throw new PlaybookError(`${loc.file}:${loc.line}: ${loc.path}: ${err.message}`);
      }
      throw err;
    }
  }
  return out;
}

/** Renders a task's params for one host and validates them with its step kind's schema. */
export function resolveParams(_playbook: Playbook, task: TaskDef, vars: Vars, hostName: string): unknown {
  const src = task.source;
  let rendered: unknown;
  try {
    rendered = renderValue(task.params, vars);
    rendered = quoteShellTextParams(task, rendered, vars);
  } catch (err) {
    if (err instanceof TemplateError) {
      const path = [...task.at, task.kind, ...(((err as TemplateError & { path?: Array<string | number> }).path) ?? [])];
      const loc = src.locate(path);
      throw new PlaybookError(`${loc.file}:${loc.line}: ${loc.path}: task ${JSON.stringify(task.name)} for host ${hostName}: ${err.message}`);
    }
    throw err;
  }
  let checked = STEP_KINDS[task.kind].params.safeParse(rendered);
  if (!checked.success) {
    // "{{ n }}" keeps n's type; where the step wants text, a number or boolean becomes its
    // text, as Ansible converts a module's str arguments ("{{ groups.mta | length }}" -> "2").
    const fixed = textWhereTextIsExpected(task.params, rendered, checked.error.issues);
    if (fixed !== undefined) checked = STEP_KINDS[task.kind].params.safeParse(fixed);
  }
  if (!checked.success) {
    const problems = zodProblems(src, [...task.at, task.kind], checked.error).map((p) => ({
      ...p,
      message: `for host ${hostName}: ${p.message}`,
    }));
    throw playbookError(problems);
  }
  return checked.data;
}

function textWhereTextIsExpected(raw: unknown, rendered: unknown, issues: ReadonlyArray<{ code: string; path: PropertyKey[]; expected?: unknown }>): unknown {
  let out: unknown;
  for (const issue of issues) {
    if (issue.code !== 'invalid_type' || issue.expected !== 'string' || issue.path.length === 0) continue;
    const path = issue.path as Array<string | number>;
    const source = valueAt(raw, path);
    const value = valueAt(out ?? rendered, path);
    if (typeof source !== 'string' || !WHOLE_TEMPLATE.test(source)) continue;
    if (typeof value !== 'number' && typeof value !== 'boolean') continue;
    out ??= structuredClone(rendered);
    setAt(out as Record<string, unknown>, path, typeof value === 'boolean' ? (value ? 'True' : 'False') : String(value));
  }
  return out;
}

const WHOLE_TEMPLATE = /^\{\{.*\}\}$/s;

function valueAt(value: unknown, path: Array<string | number>): unknown {
  let cur = value;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, k)) return undefined;
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return cur;
}

/** Shell-text params (see shell-fields.ts) are rendered again, each template as a quoted word. */
function quoteShellTextParams(task: TaskDef, rendered: unknown, vars: Vars): unknown {
  const { fields, problems } = shellFields(task.kind, task.params, rendered);
  if (problems.length > 0) throw Object.assign(new TemplateError(problems[0].message), { path: problems[0].path });
  if (fields.length === 0) return rendered;
  const out = structuredClone(rendered) as Record<string, unknown>;
  for (const { path, text } of fields) {
    try {
      setAt(out, path, renderShellText(text, vars));
    } catch (err) {
      if (err instanceof TemplateError) throw Object.assign(err, { path });
      throw err;
    }
  }
  return out;
}

function setAt(target: Record<string, unknown>, path: ParamPath, value: unknown): void {
  let cur: Record<string | number, unknown> = target;
  for (const key of path.slice(0, -1)) cur = cur[key] as Record<string | number, unknown>;
  cur[path[path.length - 1]] = value;
}
