/**
 * Evaluates an expression tree over plain data. Values are only ever read as data: own
 * properties of objects (never the prototype: `x.constructor`, `x['__proto__']` are looked up
 * as keys like any other), items of lists, characters of strings. No method is called and no
 * function exists; filters and tests are a fixed table below. Work is bounded: results longer
 * than MAX_TEXT characters or MAX_ITEMS items are refused, regexes are checked first.
 *
 * Two modes: `when` (a condition: a secret may be compared, only a yes/no comes out, and
 * strings like "no"/"false" are false as in Ansible), and `template` (a value for task params:
 * reading a secret is refused, Python's truthiness).
 */
import v8 from 'node:v8';
import { Secret } from '../../util/secret.js';
import { dict } from '../../util/dict.js';
import { ExprError, type Node } from './parse.js';
import { KWARGS, KWARG_DEFAULTS, applyFilter, capTextLen } from './filters.js';
import { applyTest } from './tests.js';
import { capList, capText, compare, contains, finite, looseEqual, num, pyStr, rev, show, taint, truthyIn } from './values.js';

export const MAX_TEXT = 1 << 20;
export const MAX_ITEMS = 100_000;

/** A name or path that is not defined; only `default` and `is (not) defined` accept one. */
export class Undef {
  constructor(readonly path: string) {}
}

export type Mode = 'when' | 'template';

/**
 * A variable whose value is itself a template (an inventory or task variable such as
 * `spool_dir: "{{ base }}/spool"`): rendered when an expression reads it, as Ansible does,
 * against the reading host's variables. Values from -e, facts and registered results are
 * never Lazy: they are data.
 */
export class Lazy {
  constructor(
    readonly text: string,
    readonly name: string,
  ) {}
  toJSON(): string {
    return this.text;
  }
}

export interface EvalContext {
  vars: Record<string, unknown>;
  mode: Mode;
  /** Renders a Lazy variable's text (template.ts); without it the text is taken as it is. */
  renderLazy?: (text: string) => unknown;
  /** Template mode: the message for a read secret, given the path read. */
  secretMessage?: (path: string) => string;
}

export const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function evaluate(n: Node, ctx: EvalContext): unknown {
  const v = force(ev(n, ctx, false), ctx);
  if (ctx.mode === 'template' && v instanceof Secret) throw new ExprError(ctx.secretMessage?.(pathOf(n) ?? 'value') ?? 'a secret cannot be used here');
  return v;
}

export function undefinedError(u: Undef, ctx: EvalContext): ExprError {
  if (ctx.mode === 'template' && /^(ansible_|facts\b)/.test(u.path) && !/^ansible_(host|port|user|become|ssh|python|connection|password)/.test(u.path)) {
    return new ExprError(
      `undefined variable "${u.path}" (gathered facts are seen by "when:", not by task parameters, which are rendered before any host is contacted)`,
    );
  }
  const hint = ctx.mode === 'when' ? ` (use "${u.path} is defined" to test for it)` : ' (use "| default(value)" or a "when: ... is defined" condition)';
  return new ExprError(`undefined variable "${u.path}"${hint}`);
}

export function force(v: unknown, ctx: EvalContext): unknown {
  if (v instanceof Undef) throw undefinedError(v, ctx);
  return v;
}

export function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Secret) && !(v instanceof Undef);
}

export function pathOf(n: Node): string | undefined {
  if (n.t === 'var') return n.name;
  if (n.t === 'get') {
    const base = pathOf(n.e);
    if (base === undefined) return undefined;
    if (n.key.t === 'lit') {
      const k = n.key.v;
      if (typeof k === 'string' && IDENT.test(k) && n.text.startsWith('.')) return `${base}.${k}`;
      if (typeof k === 'number') return n.text.startsWith('.') ? `${base}.${k}` : `${base}[${k}]`;
      return `${base}[${JSON.stringify(k)}]`;
    }
    return `${base}[...]`;
  }
  return undefined;
}
// ---- subscripts ----

export function getItem(base: unknown, key0: unknown, path: string): unknown {
  const key = rev(key0);
  const b = rev(base);
  let out: unknown;
  if (Array.isArray(b) || typeof b === 'string') {
    const items = typeof b === 'string' ? [...b] : b;
    if (typeof key !== 'number' || !Number.isInteger(key)) return new Undef(path);
    const k = key < 0 ? items.length + key : key;
    out = k >= 0 && k < items.length ? items[k] : new Undef(path);
  } else if (isObj(b)) {
    const k = typeof key === 'number' ? String(key) : key;
    out = typeof k === 'string' && Object.hasOwn(b, k) ? b[k] : new Undef(path);
  } else return new Undef(path);
  // An item of a secret text (or at a secret key) is secret; an item of a mapping that holds
  // secrets elsewhere is not, and a secret item stays the Secret it is.
  return base instanceof Secret || key0 instanceof Secret ? taint(out, new Secret('')) : out;
}

// ---- regexes (Python syntax, checked for catastrophic backtracking) ----

// ---- arithmetic ----

export function arith(op: string, a0: unknown, b0: unknown): unknown {
  const a = rev(a0);
  const b = rev(b0);
  const out = (r: unknown) => taint(r, a0, b0);
  if (op === '~') return out(capText(pyStr(a) + pyStr(b)));
  if (op === '+') {
    if (typeof a === 'string' && typeof b === 'string') return out(capText(a + b));
    if (Array.isArray(a) && Array.isArray(b)) return capList([...a, ...b]);
    if (typeof a === 'number' && typeof b === 'number') return out(finite(a + b));
    throw new ExprError(`cannot add ${show(a0)} and ${show(b0)} (use "~" to join as text, or "| int")`);
  }
  if (op === '*') {
    const rep = (seq: unknown, n: unknown): unknown => {
      if (typeof n !== 'number' || !Number.isInteger(n)) throw new ExprError(`cannot multiply ${show(a0)} by ${show(b0)}`);
      const k = Math.max(0, n);
      if (typeof seq === 'string') {
        capTextLen(seq.length * k);
        return out(seq.repeat(k));
      }
      const l = seq as unknown[];
      if (l.length * k > MAX_ITEMS) throw new ExprError(`the result has more than ${MAX_ITEMS} items`);
      return Array.from({ length: k }, () => l).flat();
    };
    if (typeof a === 'string' || Array.isArray(a)) return rep(a, b);
    if (typeof b === 'string' || Array.isArray(b)) return rep(b, a);
  }
  if (typeof a !== 'number' || typeof b !== 'number') {
    throw new ExprError(`"${op}" needs numbers, not ${show(a0)} and ${show(b0)} (convert with "| int" or "| float")`);
  }
  switch (op) {
    case '-':
      return out(finite(a - b));
    case '*':
      return out(finite(a * b));
    case '/':
    case '//':
    case '%':
      if (b === 0) throw new ExprError('division by zero');
      if (op === '/') return out(finite(a / b));
      if (op === '//') return out(finite(Math.floor(a / b)));
      return out(finite(a - b * Math.floor(a / b)));
  }
  throw new ExprError(`unknown operator "${op}"`);
}

export function resolveLazy(v: Lazy, ctx: EvalContext): unknown {
  if (!ctx.renderLazy) return v.text;
  try {
    return ctx.renderLazy(v.text);
  } catch (err) {
    const shown = v.text.length > 60 ? `${v.text.slice(0, 57)}...` : v.text;
    throw new ExprError(`in variable "${v.name}" (${JSON.stringify(shown)}): ${(err as Error).message}`);
  }
}

// ---- the evaluator ----

export function ev(n: Node, ctx: EvalContext, peek: boolean): unknown {
  switch (n.t) {
    case 'lit':
      return n.v;
    case 'var':
    case 'get': {
      let v: unknown;
      if (n.t === 'var') v = Object.hasOwn(ctx.vars, n.name) ? ctx.vars[n.name] : new Undef(n.name);
      else {
        const base = ev(n.e, ctx, true);
        const path = pathOf(n) ?? 'value';
        if (base instanceof Undef) return new Undef(path);
        v = getItem(base, force(ev(n.key, ctx, false), ctx), path);
      }
      if (v === undefined) v = new Undef(pathOf(n) ?? 'value');
      if (v instanceof Lazy) v = resolveLazy(v, ctx);
      if (!peek && ctx.mode === 'template' && v instanceof Secret) throw new ExprError(ctx.secretMessage?.(pathOf(n) ?? 'value') ?? 'a secret cannot be used here');
      return v;
    }
    case 'list':
      return capList(n.items.map((x) => force(ev(x, ctx, false), ctx)));
    case 'dict': {
      const out = dict<unknown>();
      for (const [k, v] of n.items) {
        const key = rev(force(ev(k, ctx, false), ctx));
        if (typeof key !== 'string' && typeof key !== 'number') throw new ExprError('a mapping key must be a string or a number');
        out[String(key)] = force(ev(v, ctx, false), ctx);
      }
      return out;
    }
    case 'not':
      return !truthyIn(force(ev(n.e, ctx, false), ctx), ctx);
    case 'neg': {
      const v = force(ev(n.e, ctx, false), ctx);
      return taint(finite(-num(rev(v), 'unary minus')), v);
    }
    case 'and': {
      const a = force(ev(n.a, ctx, false), ctx);
      return truthyIn(a, ctx) ? force(ev(n.b, ctx, false), ctx) : a;
    }
    case 'or': {
      const a = force(ev(n.a, ctx, false), ctx);
      return truthyIn(a, ctx) ? a : force(ev(n.b, ctx, false), ctx);
    }
    case 'if': {
      if (truthyIn(force(ev(n.cond, ctx, false), ctx), ctx)) return ev(n.then, ctx, peek);
      return n.else ? ev(n.else, ctx, peek) : new Undef('the "else" of an inline if');
    }
    case 'bin':
      return arith(n.op, force(ev(n.a, ctx, false), ctx), force(ev(n.b, ctx, false), ctx));
    case 'cmp': {
      const a = force(ev(n.a, ctx, ctx.mode === 'when'), ctx);
      const b = force(ev(n.b, ctx, ctx.mode === 'when'), ctx);
      switch (n.op) {
        case '==':
          return looseEqual(a, b);
        case '!=':
          return !looseEqual(a, b);
        case 'in':
          return contains(b, a);
        case 'not in':
          return !contains(b, a);
        default:
          return compare(n.op, a, b);
      }
    }
    case 'filter': {
      const input = ev(n.e, ctx, false);
      const args: unknown[] = n.args.map((x) => ev(x, ctx, false));
      if (n.kwargs.length > 0) {
        const names = KWARGS[n.name] ?? [];
        for (const [k, x] of n.kwargs) {
          const at = names.indexOf(k);
          if (at === -1) throw new ExprError(`the "${n.name}" filter has no argument "${k}"${names.length ? ` (it takes ${names.join(', ')})` : ''}`);
          if (at < args.length && !(args[at] instanceof Undef && (args[at] as Undef).path === '')) throw new ExprError(`the "${n.name}" filter got "${k}" twice`);
          while (args.length < at) args.push(KWARG_DEFAULTS[n.name]?.[args.length] ?? new Undef(''));
          args[at] = ev(x, ctx, false);
        }
      }
      return applyFilter(n.name, input, args, ctx, n);
    }
    case 'test': {
      // Whether a secret is defined says nothing of its value; any other test on it reads it.
      const input = ev(n.e, ctx, n.name === 'defined' || n.name === 'undefined');
      const args = n.args.map((x) => ev(x, ctx, false));
      const r = applyTest(n.name, input, args, ctx);
      return n.negate ? !r : r;
    }
  }
}
