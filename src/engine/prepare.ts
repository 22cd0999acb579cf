/**
 * Everything that can be checked without a host, done for every host before the first
 * connection: variables merged, templates rendered, params validated (DESIGN.md: errors
 * before any host is touched). A task guarded by `when` whose params cannot be rendered keeps
 * its error until the condition is known to hold (`when: x is defined` + "{{ x }}").
 */
import type { InventoryHost } from '../inventory/types.js';
import { expandLoop } from '../playbook/loop.js';
import { factVars, mergeVars, renderPlayVars, resolveParams, type MagicVars } from '../playbook/vars.js';
import type { Playbook, TaskDef } from '../playbook/types.js';
import { templateVarNames, type Vars } from '../playbook/template.js';
import { varNames } from '../playbook/expr/index.js';
import { PlaybookError } from '../util/errors.js';
import { FACT_NAMES } from './facts.js';
import { DEFAULT_LOCK_PATH } from './lock.js';

export interface PreparedTask {
  def: TaskDef;
  handler: boolean;
  params?: unknown;
  deferredError?: PlaybookError;
  /**
   * Set when the params read gathered facts (`{{ ansible_hostname }}`): they are rendered once
   * the facts are in (plan-host.ts), with the facts the plan then records.
   */
  renderWithFacts?: (facts: Vars) => unknown;
}

export interface PreparedHost {
  name: string;
  groups: string[];
  inventoryVars: Vars;
  playVars: Vars;
  extraVars: Vars;
  tasks: PreparedTask[];
  handlers: PreparedTask[];
  lockPath: string;
  become: boolean;
  gatherFacts: boolean;
  /** The play reads `facts.*` (the audit's probes): gathered with the ansible_* facts. */
  probeFacts: boolean;
  /** The play reads ansible_mounts (or all facts): the costly part of the facts script runs. */
  factMounts: boolean;
  /** Set once gathered (play `gather_facts`, on by default), then seen as `ansible_*`, `ansible_facts` and `facts`. */
  facts?: Vars;
  /** `groups`, `hostvars`, `play_hosts` of the play, when the fleet is known. */
  magic?: MagicVars;
}

export function prepareHost(playbook: Playbook, playIndex: number, host: InventoryHost, extraVars: Vars, magic?: MagicVars): PreparedHost {
  const play = playbook.plays[playIndex];
  const inventoryVars = host.vars;
  const below = mergeVars({ inventory: inventoryVars, extra: extraVars, hostName: host.name, groups: host.groups, magic });
  const playVars = renderPlayVars(playbook, play, playIndex, below);
  const prepare = (def: TaskDef, handler: boolean): PreparedTask => {
    const vars = mergeVars({ inventory: inventoryVars, play: playVars, task: def.vars, extra: extraVars, hostName: host.name, groups: host.groups, magic });
    const paramNames = templateVarNames(def.params);
    if (paramNames.has('facts')) {
      throw new PlaybookError(
        `${def.source.file}:${def.line}: task "${def.name}": facts.* (the audit's probe facts) cannot be used in task parameters: they may hold configuration secrets, and parameters are stored in plans; use them in when:, or the ansible_* facts`,
      );
    }
    if (play.gatherFacts && readsFacts(paramNames)) {
      const render = (facts: Vars) =>
        resolveParams(playbook, def, mergeVars({ facts: factVars(facts), inventory: inventoryVars, play: playVars, task: def.vars, extra: extraVars, hostName: host.name, groups: host.groups, magic }), host.name);
      return { def, handler, renderWithFacts: render };
    }
    try {
      return { def, handler, params: resolveParams(playbook, def, vars, host.name) };
    } catch (err) {
      if (err instanceof PlaybookError && def.when.length > 0) return { def, handler, deferredError: err };
      throw err;
    }
  };
  // loop/with_items: one task per item, the items rendered with this host's variables.
  const expanded = (def: TaskDef, handler = false): TaskDef[] =>
    expandLoop(def, mergeVars({ inventory: inventoryVars, play: playVars, task: def.vars, extra: extraVars, hostName: host.name, groups: host.groups, magic }), playbook.file, host.name, handler);
  const lockVar = inventoryVars.mtafleet_lock_path;
  const all = [...play.tasks, ...play.handlers];
  return {
    name: host.name,
    groups: host.groups,
    inventoryVars,
    playVars,
    extraVars,
    tasks: play.tasks.flatMap((t) => expanded(t).map((d) => prepare(d, false))),
    handlers: play.handlers.flatMap((t) => expanded(t, true).map((d) => prepare(d, true))),
    lockPath: typeof lockVar === 'string' && lockVar.startsWith('/') ? lockVar : DEFAULT_LOCK_PATH,
    become: Boolean(play.become ?? inventoryVars.ansible_become ?? false),
    gatherFacts: play.gatherFacts,
    probeFacts: play.gatherFacts && all.some((t) => factNamesOf(t).has('facts')),
    factMounts: play.gatherFacts && all.some((t) => ['ansible_mounts', 'ansible_facts', 'facts'].some((n) => factNamesOf(t).has(n))),
    ...(magic ? { magic } : {}),
  };
}

/** Whether names include a gathered fact (`ansible_hostname`, `ansible_facts`, `facts`). */
export function readsFacts(names: Iterable<string>): boolean {
  for (const n of names) if (n === 'facts' || n === 'ansible_facts' || FACT_NAMES.has(n)) return true;
  return false;
}

/** The gathered-fact names a task reads: in its params, when, changed_when and failed_when. */
export function factNamesOf(def: TaskDef): Set<string> {
  const names = templateVarNames(def.params);
  for (const e of [...def.when, ...(def.changedWhen?.exprs ?? []), ...(def.failedWhen?.exprs ?? [])]) varNames(e, names);
  return new Set([...names].filter((n) => readsFacts([n])));
}

/** The variables a task's `when` sees, with results registered so far. */
export function taskVars(host: PreparedHost, task: TaskDef, registered: Vars): Vars {
  return mergeVars({
    facts: host.facts ? factVars(host.facts) : undefined,
    inventory: host.inventoryVars,
    play: host.playVars,
    registered,
    task: task.vars,
    extra: host.extraVars,
    hostName: host.name,
    groups: host.groups,
    magic: host.magic,
  });
}
