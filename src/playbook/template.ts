/**
 * `{{ }}` templates: the expression language of expr/ (variables, subscripts, filters,
 * comparisons, arithmetic; see README "Playbooks"). No code runs. A string that is exactly
 * one template keeps the value's type ("{{ port }}" -> 25); otherwise values are interpolated
 * as text.
 */
import { templatePlaces, type Span } from './shell-context.js';
import { ExprError, Undef, evaluate as evalExpr, parseExpr, varNames, type Mode, type Node } from './expr/index.js';
import { Secret } from '../util/secret.js';

export class TemplateError extends Error {}

const TEMPLATE = /\{\{\s*(.*?)\s*\}\}/g;
const WHOLE = /^\{\{\s*(.*?)\s*\}\}$/;

export type Vars = Record<string, unknown>;

export const UNDEFINED: unique symbol = Symbol('undefined');

/** Looks a dotted name up (own properties only); UNDEFINED when any part is missing. */
export function lookup(vars: Vars, dotted: string): unknown {
  let cur: unknown = vars;
  for (const part of dotted.split('.')) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, part)) return UNDEFINED;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

const secretMessage = (path: string) =>
  `"${path}" is a secret (from the inventory or -e: its name says password, passphrase, secret or token); it cannot be used in task parameters, which are stored in plans and journals and shown in diffs`;

/** Parsed expressions, by text: the same few templates are rendered for every host. */
const parsed = new Map<string, Node>();

export function parseTemplateExpr(expr: string): Node {
  let node = parsed.get(expr);
  if (node) return node;
  try {
    node = parseExpr(expr);
  } catch (err) {
    if (err instanceof ExprError) throw new TemplateError(`"{{ ${expr.length > 80 ? `${expr.slice(0, 77)}...` : expr} }}" is not a supported template: ${err.message}`);
    throw err;
  }
  if (parsed.size > 5000) parsed.clear();
  parsed.set(expr, node);
  return node;
}

/** How deep variables that are templates may refer to each other (a loop stops here). */
const MAX_LAZY_DEPTH = 20;

function evaluate(expr: string, vars: Vars, depth = 0, mode: Mode = 'template'): unknown {
  const node = parseTemplateExpr(expr);
  try {
    const v = evalExpr(node, { vars, mode, secretMessage, renderLazy: (text) => renderLazyText(text, vars, mode, depth + 1) });
    return v instanceof Undef ? undefined : v;
  } catch (err) {
    if (err instanceof ExprError) throw new TemplateError(err.message);
    throw err;
  }
}

function asText(v: unknown): string {
  if (v === null) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function renderString(text: string, vars: Vars): unknown {
  return renderLazyText(text, vars, 'template', 0);
}

/**
 * The text of a variable that is a template, rendered where it is read (a `when` reads it in
 * when mode: a secret in it stays a secret, its text never shown).
 */
export function renderLazyText(text: string, vars: Vars, mode: Mode, depth: number): unknown {
  if (depth > MAX_LAZY_DEPTH) throw new TemplateError(`variables that are templates refer to each other in a loop (or more than ${MAX_LAZY_DEPTH} deep)`);
  const whole = WHOLE.exec(text);
  if (whole && !whole[1].includes('}}')) return evaluate(whole[1], vars, depth, mode);
  let secret = false;
  const out = text.replace(TEMPLATE, (_all, expr: string) => {
    const v = evaluate(expr, vars, depth, mode);
    if (v instanceof Secret) {
      secret = true;
      return v.reveal();
    }
    return asText(v);
  });
  return secret ? new Secret(out) : out;
}

/** The `{{ }}` spans of a text, as renderString sees them. */
export function templateSpans(text: string): Array<Span & { expr: string }> {
  return [...text.matchAll(TEMPLATE)].map((m) => ({ start: m.index, end: m.index + m[0].length, expr: m[1] }));
}

/** Why a template in this shell text cannot be rendered safely, or undefined when none. */
export function shellTextProblem(text: string): string | undefined {
  const spans = templateSpans(text);
  const places = templatePlaces(text, spans);
  const k = places.findIndex((p) => p !== undefined);
  if (k === -1) return undefined;
  const t = text.slice(spans[k].start, spans[k].end);
  const nested = `pass it to a nested shell as an argument (sh -c 'echo "$1"' _ ${t})`;
  const hint = /^inside ['"]/.test(places[k]!)
    ? `A template in shell text becomes one quoted word: write it outside the quotes (echo 'value: '${t}), or ${nested}`
    : `A template in shell text can only be a plain word of a command, as data: ${nested}`;
  return `${t} is ${places[k]}. ${hint}`;
}

/**
 * Renders shell text (a command step's `cmd` / `unless`, the script of `sh -c`): each `{{ }}`
 * becomes one single-quoted word, so a variable holding `x; rm -rf /` or `$(...)` reaches the
 * host as a literal. Always quoted, even a plain word: `'A=b' cmd` is not an assignment.
 * Templates anywhere else than plain command text are refused (see shell-context.ts).
 */
export function renderShellText(text: string, vars: Vars): string {
  const problem = shellTextProblem(text);
  if (problem !== undefined) throw new TemplateError(problem);
  return text.replace(TEMPLATE, (_all, expr: string) => shellWord(asText(evaluate(expr, vars))));
}

function shellWord(value: string): string {
  if (value.includes('\0')) throw new TemplateError('the value contains a NUL byte, which cannot be passed to a command');
  return `'${value.replace(/'/g, `'\\''`)}'`;
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

/**
 * Templates that can never render, found before any host: an expression that does not parse
 * (an unknown filter, a function call, a typo) or a Jinja statement `{% %}`, which mtafleet
 * does not run. Paths are within the value.
 */
export function templateProblems(value: unknown, path: Array<string | number> = []): Array<{ path: Array<string | number>; message: string }> {
  if (typeof value === 'string') {
    if (value.includes('{%')) {
      return [{ path, message: 'Jinja statements ({% ... %}) are not supported: use an expression, {{ a if condition else b }}, or a task per case with when:' }];
    }
    for (const span of templateSpans(value)) {
      try {
        parseTemplateExpr(span.expr);
      } catch (err) {
        if (err instanceof TemplateError) return [{ path, message: err.message }];
        throw err;
      }
    }
    return [];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => templateProblems(v, [...path, i]));
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => templateProblems(v, [...path, k]));
  return [];
}

/** The variable names the templates in a value read (expressions that do not parse are left out). */
export function templateVarNames(value: unknown, out: Set<string> = new Set()): Set<string> {
  if (typeof value === 'string') {
    for (const span of templateSpans(value)) {
      try {
        varNames(parseTemplateExpr(span.expr), out);
      } catch (err) {
        if (!(err instanceof TemplateError)) throw err;
      }
    }
  } else if (Array.isArray(value)) value.forEach((v) => templateVarNames(v, out));
  else if (value !== null && typeof value === 'object') Object.values(value).forEach((v) => templateVarNames(v, out));
  return out;
}

export function hasTemplate(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('{{');
  if (Array.isArray(value)) return value.some(hasTemplate);
  if (value !== null && typeof value === 'object') return Object.values(value).some(hasTemplate);
  return false;
}
