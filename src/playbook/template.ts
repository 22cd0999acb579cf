/**
 * `{{ var }}` templates: a plain variable lookup with dotted paths and one filter,
 * `| default(x)`. No code runs. A string that is exactly one template keeps the value's type
 * ("{{ port }}" -> 25); otherwise values are interpolated as text.
 */
import { quote } from '../transport/quote.js';
import { Secret } from '../util/secret.js';

export class TemplateError extends Error {}

const TEMPLATE = /\{\{\s*(.*?)\s*\}\}/g;
const WHOLE = /^\{\{\s*(.*?)\s*\}\}$/;
const EXPR = /^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)(?:\s*\|\s*default\(\s*(.*?)\s*\))?$/;

export type Vars = Record<string, unknown>;

export const UNDEFINED: unique symbol = Symbol('undefined');

/** Looks a dotted name up; UNDEFINED when any part is missing. */
export function lookup(vars: Vars, dotted: string): unknown {
  let cur: unknown = vars;
  for (const part of dotted.split('.')) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, part)) return UNDEFINED;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** A literal in default(...): quoted string, number, true/false, or null. */
export function parseLiteral(text: string): unknown {
  const q = /^'(.*)'$|^"(.*)"$/.exec(text);
  if (q) return q[1] ?? q[2];
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (text === 'true' || text === 'True') return true;
  if (text === 'false' || text === 'False') return false;
  if (text === 'null' || text === 'none' || text === 'None') return null;
  throw new TemplateError(`default(${text}) needs a quoted string, a number, true/false or null`);
}

function evaluate(expr: string, vars: Vars): unknown {
  const m = EXPR.exec(expr);
  if (!m) throw new TemplateError(`"{{ ${expr} }}" is not a supported template (a variable name, optionally | default(value))`);
  const value = lookup(vars, m[1]);
  if (value === UNDEFINED || value === undefined) {
    if (m[2] !== undefined) return parseLiteral(m[2]);
    throw new TemplateError(`undefined variable "${m[1]}"`);
  }
  if (value instanceof Secret) {
    throw new TemplateError(`"${m[1]}" is a secret; it cannot be used in task parameters (they are stored in plans and journals)`);
  }
  return value;
}

function asText(v: unknown): string {
  if (v === null) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function renderString(text: string, vars: Vars): unknown {
  const whole = WHOLE.exec(text);
  if (whole && !whole[1].includes('}}')) return evaluate(whole[1], vars);
  return text.replace(TEMPLATE, (_all, expr: string) => asText(evaluate(expr, vars)));
}

/**
 * Renders shell text (a command step's `cmd` / `unless`): each `{{ }}` becomes one quoted
 * shell word, so a variable holding `x; rm -rf /` or `$(...)` reaches the host as a literal.
 */
export function renderShellText(text: string, vars: Vars): string {
  return text.replace(TEMPLATE, (_all, expr: string) => quote(asText(evaluate(expr, vars))));
}

/** Renders every string inside a value; errors carry the path within the value. */
export function renderValue(value: unknown, vars: Vars, path: Array<string | number> = []): unknown {
  if (typeof value === 'string') {
    try {
      return renderString(value, vars);
    } catch (err) {
      if (err instanceof TemplateError) throw Object.assign(err, { path });
      throw err;
    }
  }
  if (Array.isArray(value)) return value.map((v, i) => renderValue(v, vars, [...path, i]));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderValue(v, vars, [...path, k])]));
  }
  return value;
}

export function hasTemplate(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('{{');
  if (Array.isArray(value)) return value.some(hasTemplate);
  if (value !== null && typeof value === 'object') return Object.values(value).some(hasTemplate);
  return false;
}
