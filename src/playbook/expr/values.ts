/** Values as Jinja/Python see them: display, secrets carried through, truthiness, equality, comparison. */
import { Secret } from '../../util/secret.js';
import { ExprError } from './parse.js';
import { type EvalContext, MAX_ITEMS, MAX_TEXT, Undef, isObj } from './eval.js';

/** What an error message may show of a value: secrets as ***, long values cut. */
export function show(v: unknown): string {
  if (v instanceof Undef) return `undefined "${v.path}"`;
  if (v instanceof Secret) return '"***"';
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}


// ---- value helpers ----

export function rev(v: unknown): unknown {
  return v instanceof Secret ? v.reveal() : v;
}

/** A result computed from a secret stays a secret (its text never reaches a message). */
export function taint(result: unknown, ...inputs: unknown[]): unknown {
  if (!inputs.some(holdsSecret)) return result;
  if (typeof result === 'boolean' || result === null || result instanceof Undef) return result;
  return new Secret(typeof result === 'string' ? result : typeof result === 'number' ? String(result) : JSON.stringify(result));
}

/** Whether a value is or holds a secret (in a list or mapping); a huge value counts as holding one. */
export function holdsSecret(v: unknown): boolean {
  let budget = 100_000;
  const walk = (x: unknown, depth: number): boolean => {
    if (x instanceof Secret) return true;
    if (x === null || typeof x !== 'object' || x instanceof Undef) return false;
    if (--budget < 0 || depth > 64) return true;
    const items = Array.isArray(x) ? x : Object.values(x);
    return items.some((y) => walk(y, depth + 1));
  };
  return walk(v, 0);
}

export function capText(s: string): string {
  if (s.length > MAX_TEXT) throw new ExprError(`the result is longer than ${MAX_TEXT} characters`);
  return s;
}

export function capList<T>(l: T[]): T[] {
  if (l.length > MAX_ITEMS) throw new ExprError(`the result has more than ${MAX_ITEMS} items`);
  return l;
}

export function num(v: unknown, what: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new ExprError(`${what} needs a number, not ${show(v)}`);
}

export function finite(n: number): number {
  if (!Number.isFinite(n)) throw new ExprError('the number is too large');
  return n;
}

/** Python's repr() of a value, as Jinja's `string` filter shows lists and dicts. */
export function pyRepr(v: unknown): string {
  if (typeof v === 'string') {
    const q = v.includes("'") && !v.includes('"') ? '"' : "'";
    const body = v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
    return q + (q === "'" ? body.replace(/'/g, "\\'") : body) + q;
  }
  return pyStr(v);
}

/** Python's str() of a value. */
export function pyStr(v: unknown): string {
  if (v instanceof Secret) return v.reveal();
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return Number.isInteger(v) || !Number.isFinite(v) ? String(v) : String(v);
  if (Array.isArray(v)) return capText(`[${v.map(pyRepr).join(', ')}]`);
  if (isObj(v)) return capText(`{${Object.entries(v).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`);
  return String(v);
}

/** Ansible-like truthiness for `when`: "false", "no", "off", "0" and "" strings are false. */
export function ansibleTruthy(v: unknown): boolean {
  if (v instanceof Secret) return ansibleTruthy(v.reveal());
  if (typeof v === 'string') return !['', 'false', 'no', 'off', '0'].includes(v.toLowerCase());
  if (Array.isArray(v)) return v.length > 0;
  if (isObj(v)) return Object.keys(v).length > 0;
  return Boolean(v);
}

export function pyTruthy(v: unknown): boolean {
  if (v instanceof Secret) return v.reveal() !== '';
  if (Array.isArray(v)) return v.length > 0;
  if (isObj(v)) return Object.keys(v).length > 0;
  return Boolean(v);
}

export function truthyIn(v: unknown, ctx: EvalContext): boolean {
  return ctx.mode === 'when' ? ansibleTruthy(v) : pyTruthy(v);
}

/**
 * `==`: Python's equality (True == 1, mappings whatever their key order, lists item by item),
 * except that a number equals its text ("3" == 3): INI inventories give text.
 */
export function looseEqual(a: unknown, b: unknown, depth = 0): boolean {
  a = rev(a);
  b = rev(b);
  if (depth > 64) throw new ExprError('the values nest too deeply to compare');
  if (typeof a === 'number' && typeof b === 'string') return String(a) === b;
  if (typeof b === 'number' && typeof a === 'string') return String(b) === a;
  if (typeof a === 'boolean' && typeof b === 'number') return Number(a) === b;
  if (typeof b === 'boolean' && typeof a === 'number') return Number(b) === a;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => looseEqual(x, b[i], depth + 1));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && looseEqual(a[k], b[k], depth + 1));
  }
  return a === b || (a === undefined && b === null) || (a === null && b === undefined);
}

export const NUMERIC = /^-?\d+(\.\d+)?$/;

export function compare(op: string, a0: unknown, b0: unknown): boolean {
  const a = rev(a0);
  const b = rev(b0);
  const na = typeof a === 'string' && NUMERIC.test(a) && typeof b === 'number' ? Number(a) : a;
  const nb = typeof b === 'string' && NUMERIC.test(b) && typeof a === 'number' ? Number(b) : b;
  const x = typeof na === 'boolean' ? Number(na) : na;
  const y = typeof nb === 'boolean' ? Number(nb) : nb;
  if (typeof x !== typeof y || (typeof x !== 'number' && typeof x !== 'string')) {
    throw new ExprError(`cannot compare ${show(a0)} ${op} ${show(b0)}`);
  }
  const p = x as number | string;
  const q = y as number | string;
  return op === '<' ? p < q : op === '<=' ? p <= q : op === '>' ? p > q : p >= q;
}

export function contains(container0: unknown, item0: unknown): boolean {
  const c = rev(container0);
  const item = rev(item0);
  if (Array.isArray(c)) return c.some((x) => looseEqual(x, item));
  if (typeof c === 'string') {
    if (typeof item !== 'string') throw new ExprError(`"in" a string needs a string on the left, not ${show(item0)}`);
    return c.includes(item);
  }
  if (isObj(c)) return typeof item === 'string' && Object.hasOwn(c, item);
  throw new ExprError(`"in" needs a list, a string or a mapping on the right, not ${show(container0)}`);
}
