/**
 * `loop:` / `with_items:` expanded for one host: one task per item, the item in the task's
 * variables under `item` (or `loop_control.loop_var`), named "NAME (item=LABEL)" as Ansible
 * shows it. The items are a list written in the playbook (its strings templated) or a template
 * that gives a list; `with_items` flattens one level of nested lists, as Ansible does.
 */
import { PlaybookError } from '../util/errors.js';
import { renderValue, type Vars } from './template.js';
import type { TaskDef } from './types.js';

/** Beyond this a loop is a mistake (or an attack on the planner), not a play. */
export const MAX_LOOP_ITEMS = 1000;

/** Handlers keep their name per item, so a notify of that name reaches every item's handler. */
export function expandLoop(def: TaskDef, vars: Vars, file: string, hostName: string, handler = false): TaskDef[] {
  if (!def.loop) return [def];
  const where = `${file}:${def.line}: task "${def.name}" on ${hostName}: loop`;
  let items: unknown;
  try {
    items = renderValue(def.loop.items, vars);
  } catch (err) {
    throw new PlaybookError(`${where}: ${(err as Error).message}`);
  }
  if (!Array.isArray(items)) throw new PlaybookError(`${where}: must give a list, got ${items === null ? 'null' : typeof items}`);
  const list = def.loop.flatten ? items.flatMap((x) => (Array.isArray(x) ? x : [x])) : items;
  if (list.length > MAX_LOOP_ITEMS) throw new PlaybookError(`${where}: ${list.length} items, more than the ${MAX_LOOP_ITEMS} a task may loop over`);
  const loopVar = def.loop.loopVar;
  return list.map((item) => {
    const label = def.loop!.label !== undefined ? String(renderValue(def.loop!.label, { ...vars, [loopVar]: item })) : shown(item);
    const { loop: _loop, ...rest } = def;
    return { ...rest, name: handler ? def.name : `${def.name} (${loopVar}=${label})`, vars: { ...def.vars, [loopVar]: item } };
  });
}

function shown(item: unknown): string {
  const text = typeof item === 'string' ? item : JSON.stringify(item) ?? String(item);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
