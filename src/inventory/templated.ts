/**
 * Templated connection variables, resolved per host as Ansible resolves them when it connects:
 * `ansible_host: "{{ myhost }}"` with `myhost` a host or group variable (or inventory_hostname).
 * Only the variables mtafleet acts on (schema.ts KNOWN_VARS) are resolved at load, then checked
 * like any other value; every other variable keeps its template as written (as
 * `ansible-inventory --list` shows it) and is rendered where a playbook uses it.
 * Supported here: `{{ name }}`, `{{ name.key }}`, `{{ name | default('x') }}`, several in one
 * string; anything else is a clear error naming host and variable.
 */
import { own } from '../util/dict.js';
import { Secret } from '../util/secret.js';
import { KNOWN_VARS, VAR_ALIASES } from './schema.js';

const TEMPLATE = /\{\{\s*(.*?)\s*\}\}/g;
const WHOLE = /^\{\{\s*((?:(?!\}\}).)*?)\s*\}\}$/;
const EXPR = /^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)(?:\s*\|\s*default\(\s*(?:'([^']*)'|"([^"]*)"|(-?\d+))\s*\))?$/;
const MAX_DEPTH = 20;

export class TemplateProblem extends Error {}

export function isConnectionVar(name: string): boolean {
  return own(KNOWN_VARS, name) !== undefined || own(VAR_ALIASES, name) !== undefined;
}

export function hasTemplate(value: unknown): value is string {
  return typeof value === 'string' && value.includes('{{');
}

/**
 * Renders one templated value against a host's variables (already merged), following
 * variables that are templates themselves. Throws TemplateProblem in plain words.
 */
export function renderHostTemplate(text: string, vars: Record<string, unknown>, hostName: string, depth = 0): unknown {
  if (depth > MAX_DEPTH) throw new TemplateProblem('templates refer to each other in a loop (or nest too deep)');
  const lookupVar = (expr: string): unknown => {
    const m = EXPR.exec(expr);
    if (!m) throw new TemplateProblem(`"{{ ${expr} }}" is not supported in a connection variable: use {{ variable }}, {{ variable.key }} or {{ variable | default('value') }}`);
    const [head, ...rest] = m[1].split('.');
    let cur: unknown = head === 'inventory_hostname' ? hostName : own(vars, head);
    for (const part of rest) cur = cur !== null && typeof cur === 'object' && !(cur instanceof Secret) ? own(cur as Record<string, unknown>, part) : undefined;
    if (cur === undefined) {
      const fallback = m[2] ?? m[3] ?? (m[4] !== undefined ? Number(m[4]) : undefined);
      if (fallback !== undefined) return fallback;
      throw new TemplateProblem(`undefined variable "${m[1]}"`);
    }
    return hasTemplate(cur) ? renderHostTemplate(cur, vars, hostName, depth + 1) : cur;
  };
  const whole = WHOLE.exec(text);
  if (whole) return lookupVar(whole[1]);
  return text.replace(TEMPLATE, (_all, expr: string) => {
    const v = lookupVar(expr);
    if (v instanceof Secret) throw new TemplateProblem(`"${expr}" is a secret; it can be a connection variable's whole value, not part of a text`);
    return v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  });
}
