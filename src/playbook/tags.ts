/**
 * `--tags` / `--skip-tags`, with Ansible's meaning: with --tags only tasks carrying one of the
 * tags run (`all` = every task not tagged `never`; `untagged` = tasks without tags); a task
 * tagged `always` runs unless --skip-tags names `always` (or another of its tags); a task
 * tagged `never` runs only when one of its tags is asked for by name. Handlers are not
 * filtered: they run when a task that ran notifies them.
 */
import type { Playbook, TaskDef } from './types.js';

export interface TagSelection {
  tags?: string[];
  skipTags?: string[];
}

export function taskSelected(task: Pick<TaskDef, 'tags'>, selection: TagSelection): boolean {
  const tags = new Set(task.tags);
  const skip = selection.skipTags ?? [];
  if (skip.some((t) => tags.has(t) || (t === 'untagged' && tags.size === 0) || t === 'all')) return false;
  const wanted = selection.tags;
  const named = wanted?.some((t) => tags.has(t)) ?? false;
  if (tags.has('never') && !named) return false;
  if (wanted === undefined || wanted.length === 0) return true;
  if (tags.has('always') || named) return true;
  if (wanted.includes('all')) return true;
  return wanted.includes('untagged') && tags.size === 0;
}

/** The playbook with only the selected tasks (a new object; the loaded one is not changed). */
export function selectTasks(playbook: Playbook, selection: TagSelection): Playbook {
  if (!selection.tags?.length && !selection.skipTags?.length) return playbook;
  return { ...playbook, selection, plays: playbook.plays.map((play) => ({ ...play, tasks: play.tasks.filter((t) => taskSelected(t, selection)) })) };
}

/** "a,b , c" (repeatable flag values joined) -> ["a", "b", "c"]. */
export function parseTagList(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((t) => t.trim()).filter((t) => t.length > 0)];
}
