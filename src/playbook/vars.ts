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
 * `inventory_hostname` / `group_names` are always set.
 */
import { STEP_KINDS } from '../steps/registry.js';
import { PlaybookError } from '../util/errors.js';
import { playbookError, zodProblems } from './source.js';
import { shellFields, type ParamPath } from './shell-fields.js';
import { TemplateError, renderShellText, renderValue, type Vars } from './template.js';
import type { Playbook, PlayDef, TaskDef } from './types.js';

export interface VarLayers {
  facts?: Vars;
  inventory?: Vars;
  play?: Vars;
  registered?: Vars;
  task?: Vars;
  extra?: Vars;
  hostName: string;
  groups?: string[];
}

export function mergeVars(layers: VarLayers): Vars {
  return {
    ...(layers.facts ?? {}),
    ...(layers.inventory ?? {}),
    ...(layers.play ?? {}),
    ...(layers.registered ?? {}),
    ...(layers.task ?? {}),
    ...(layers.extra ?? {}),
    inventory_hostname: layers.hostName,
    group_names: (layers.groups ?? []).filter((g) => g !== 'all' && g !== 'ungrouped'),
  };
}

/**
 * Play vars may themselves be templates over inventory/extra vars ("{{ base }}/spool"):
 * they are rendered once per host, in order, before tasks use them.
 */
export function renderPlayVars(playbook: Playbook, play: PlayDef, playIndex: number, below: Vars): Vars {
  const out: Vars = {};
  for (const [k, v] of Object.entries(play.vars)) {
    try {
      out[k] = renderValue(v, { ...below, ...out });
    } catch (err) {
      if (err instanceof TemplateError) {
        const line = playbook.source.lineOf([playIndex, 'vars', k]);
        throw new PlaybookError(`${playbook.file}:${line}: plays[${playIndex}].vars.${k}: ${err.message}`);
      }
      throw err;
    }
  }
  return out;
}

/** Renders a task's params for one host and validates them with its step kind's schema. */
export function resolveParams(playbook: Playbook, task: TaskDef, vars: Vars, hostName: string): unknown {
  const src = playbook.source;
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
  const checked = STEP_KINDS[task.kind].params.safeParse(rendered);
  if (!checked.success) {
    const problems = zodProblems(src, [...task.at, task.kind], checked.error).map((p) => ({
      ...p,
      message: `for host ${hostName}: ${p.message}`,
    }));
    throw playbookError(problems);
  }
  return checked.data;
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
