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
import type { Vars } from '../playbook/template.js';
import { PlaybookError } from '../util/errors.js';
import { DEFAULT_LOCK_PATH } from './lock.js';

export interface PreparedTask {
  def: TaskDef;
  handler: boolean;
  params?: unknown;
  deferredError?: PlaybookError;
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
  /** Set once gathered (play `gather_facts: true`), then seen by `when` as `ansible_*` and `facts`. */
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
    ...(magic ? { magic } : {}),
  };
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
