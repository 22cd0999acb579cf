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

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function evaluate(n: Node, ctx: EvalContext): unknown {
  const v = force(ev(n, ctx, false), ctx);
  if (ctx.mode === 'template' && v instanceof Secret) throw new ExprError(ctx.secretMessage?.(pathOf(n) ?? 'value') ?? 'a secret cannot be used here');
  return v;
}

function undefinedError(u: Undef, ctx: EvalContext): ExprError {
  if (ctx.mode === 'template' && /^(ansible_|facts\b)/.test(u.path) && !/^ansible_(host|port|user|become|ssh|python|connection|password)/.test(u.path)) {
    return new ExprError(
      `undefined variable "${u.path}" (gathered facts are seen by "when:", not by task parameters, which are rendered before any host is contacted)`,
    );
  }
  const hint = ctx.mode === 'when' ? ` (use "${u.path} is defined" to test for it)` : ' (use "| default(value)" or a "when: ... is defined" condition)';
  return new ExprError(`undefined variable "${u.path}"${hint}`);
}

function force(v: unknown, ctx: EvalContext): unknown {
  if (v instanceof Undef) throw undefinedError(v, ctx);
  return v;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Secret) && !(v instanceof Undef);
}

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

function pathOf(n: Node): string | undefined {
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

// ---- value helpers ----

function rev(v: unknown): unknown {
  return v instanceof Secret ? v.reveal() : v;
}

/** A result computed from a secret stays a secret (its text never reaches a message). */
function taint(result: unknown, ...inputs: unknown[]): unknown {
  if (!inputs.some(holdsSecret)) return result;
  if (typeof result === 'boolean' || result === null || result instanceof Undef) return result;
  return new Secret(typeof result === 'string' ? result : typeof result === 'number' ? String(result) : JSON.stringify(result));
}

/** Whether a value is or holds a secret (in a list or mapping); a huge value counts as holding one. */
function holdsSecret(v: unknown): boolean {
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

function capText(s: string): string {
  if (s.length > MAX_TEXT) throw new ExprError(`the result is longer than ${MAX_TEXT} characters`);
  return s;
}

function capList<T>(l: T[]): T[] {
  if (l.length > MAX_ITEMS) throw new ExprError(`the result has more than ${MAX_ITEMS} items`);
  return l;
}

function num(v: unknown, what: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new ExprError(`${what} needs a number, not ${show(v)}`);
}

function finite(n: number): number {
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

function pyTruthy(v: unknown): boolean {
  if (v instanceof Secret) return v.reveal() !== '';
  if (Array.isArray(v)) return v.length > 0;
  if (isObj(v)) return Object.keys(v).length > 0;
  return Boolean(v);
}

function truthyIn(v: unknown, ctx: EvalContext): boolean {
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

const NUMERIC = /^-?\d+(\.\d+)?$/;

function compare(op: string, a0: unknown, b0: unknown): boolean {
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

function contains(container0: unknown, item0: unknown): boolean {
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

// ---- subscripts ----

function getItem(base: unknown, key0: unknown, path: string): unknown {
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

const MAX_PATTERN = 1000;

/**
 * V8's linear-time regex engine (flag `l`): matching takes time linear in the subject, whatever
 * the pattern, so a pattern like (a+)+$ cannot hang the runner. It has no back-references or
 * look-around (refused anyway). Enabled once; where it is missing, patterns that repeat a
 * repeating group are refused and subjects are kept short instead.
 */
let LINEAR: boolean | undefined;
function linearEngine(): boolean {
  if (LINEAR === undefined) {
    try {
      v8.setFlagsFromString('--enable-experimental-regexp-engine');
      LINEAR = new RegExp('a+$', 'l').test('aa');
    } catch {
      LINEAR = false;
    }
  }
  return LINEAR;
}
const SHORT_SUBJECT = 8192;

function pythonRegex(pattern: string, flags: string): { re: RegExp; maxSubject: number } {
  if (pattern.length > MAX_PATTERN) throw new ExprError(`the regular expression is longer than ${MAX_PATTERN} characters`);
  let p = pattern;
  const inline = /^\(\?([aiLmsux]+)\)/.exec(p);
  if (inline) {
    p = p.slice(inline[0].length);
    for (const f of inline[1]) if ((f === 'i' || f === 'm' || f === 's') && !flags.includes(f)) flags += f;
  }
  if (/\(\?P=|\\[1-9]|\\g|\(\?<?[=!]|\(\?\(/.test(p)) {
    throw new ExprError(`the regular expression ${JSON.stringify(pattern)} uses back-references or look-around, which are not supported`);
  }
  p = p.replace(/\(\?P</g, '(?<').replace(/\\A/g, '^').replace(/\\Z/g, '$');
  if (linearEngine()) {
    try {
      return { re: new RegExp(p, flags + 'l'), maxSubject: MAX_TEXT };
    } catch {
      // Not every pattern runs on the linear engine (case-insensitive ones, for one): checked below.
    }
  }
  // On the backtracking engine, two unbounded repeats (a*a*$, (a+)+) can take polynomial or
  // exponential time: one is allowed, on a short subject.
  const plain = p.replace(/\\./g, 'x').replace(/\[(?:[^\]\\]|\\.)*\]/g, 'x');
  if ((plain.match(/[*+]|\{\d*,\}/g) ?? []).length > 1) {
    throw new ExprError(`the regular expression ${JSON.stringify(pattern)} repeats more than once (*, +), which is only supported without ignorecase`);
  }
  try {
    return { re: new RegExp(p, flags), maxSubject: SHORT_SUBJECT };
  } catch (err) {
    throw new ExprError(`bad regular expression ${JSON.stringify(pattern)}: ${(err as Error).message}`);
  }
}

/** Python re.sub's replacement: \1, \g<1>, \g<name>, \\ ; everything else literal. */
function expandReplacement(repl: string, m: RegExpExecArray | string[], groups: Record<string, string | undefined> | undefined): string {
  return repl.replace(/\\(\d{1,2}|g<(\w+)>|\\|n|t)/g, (_all, e: string, g: string | undefined) => {
    if (e === '\\') return '\\';
    if (e === 'n') return '\n';
    if (e === 't') return '\t';
    const ref = g ?? e;
    if (/^\d+$/.test(ref)) {
      const k = Number(ref);
      if (k >= m.length) throw new ExprError(`the replacement refers to group ${k}, which the pattern does not have`);
      return m[k] ?? '';
    }
    if (!groups || !Object.hasOwn(groups, ref)) throw new ExprError(`the replacement refers to group "${ref}", which the pattern does not have`);
    return groups[ref] ?? '';
  });
}

// ---- filters ----

const INT_TEXT = /^\s*[+-]?\d+(?:_\d+)*\s*$/;
const FLOAT_TEXT = /^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

function toInt(v: unknown, dflt: unknown, base: number): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : dflt;
  if (typeof v === 'string') {
    if (base !== 10) {
      const digits = base === 16 ? '[0-9a-fA-F]' : base === 8 ? '[0-7]' : base === 2 ? '[01]' : undefined;
      if (!digits) throw new ExprError(`int: base ${base} is not supported (10, 16, 8 or 2)`);
      const prefix = base === 16 ? '0[xX]' : base === 8 ? '0[oO]' : '0[bB]';
      const m = new RegExp(`^\\s*([+-]?)(?:${prefix})?(${digits}+)\\s*$`).exec(v);
      return m ? finite(parseInt(m[1] + m[2], base)) : dflt;
    }
    if (INT_TEXT.test(v)) return finite(Number(v.replace(/_/g, '')));
    if (FLOAT_TEXT.test(v)) return Math.trunc(finite(Number(v)));
    return dflt;
  }
  return dflt;
}

function toFloat(v: unknown, dflt: unknown): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && FLOAT_TEXT.test(v)) return finite(Number(v));
  return dflt;
}

/** Ansible's `bool` filter (None stays None). */
function toBool(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v;
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return v === 1;
  if (typeof v === 'string') return ['yes', 'on', '1', 'true'].includes(v.toLowerCase());
  return false;
}

function pyReplace(s: string, old: string, neu: string, count: number): string {
  const chars = [...s];
  if (old === '') {
    const n = count < 0 ? chars.length + 1 : Math.min(count, chars.length + 1);
    let out = '';
    for (let i = 0; i < chars.length; i++) {
      out += (i < n ? neu : '') + chars[i];
      if (out.length > MAX_TEXT) capText(out);
    }
    return capText(n > chars.length ? out + neu : out);
  }
  const parts = s.split(old);
  if (count < 0 || count >= parts.length - 1) {
    capTextLen(s.length + (parts.length - 1) * (neu.length - old.length));
    return parts.join(neu);
  }
  return capText(parts.slice(0, count + 1).join(neu) + old + parts.slice(count + 1).join(old));
}

function capTextLen(n: number): void {
  if (n > MAX_TEXT) throw new ExprError(`the result is longer than ${MAX_TEXT} characters`);
}

function sameKindItems(items: unknown[], what: string): Array<number | string> {
  const vals = items.map(rev);
  const kind = typeof vals[0];
  if (!vals.every((x) => (typeof x === 'number' || typeof x === 'string') && typeof x === kind)) {
    throw new ExprError(`${what} needs a list of numbers or a list of strings`);
  }
  return vals as Array<number | string>;
}

function arity(name: string, args: unknown[], max: number): void {
  if (args.length > max) throw new ExprError(`the "${name}" filter takes at most ${max} argument${max === 1 ? '' : 's'}`);
}

export const FILTERS = [
  'default', 'd', 'int', 'float', 'bool', 'string', 'lower', 'upper', 'length', 'count', 'join', 'replace', 'regex_replace',
  'first', 'last', 'min', 'max', 'trim', 'list', 'sort', 'unique', 'abs', 'mandatory', 'split', 'basename', 'dirname',
] as const;

function applyFilter(name: string, input: unknown, args: unknown[], ctx: EvalContext, n: Node & { t: 'filter' }): unknown {
  if (name === 'default' || name === 'd') {
    arity(name, args, 2);
    const dflt = args.length > 0 ? args[0] : '';
    if (input instanceof Undef || input === undefined) return force(dflt, ctx);
    if (args.length > 1 && pyTruthy(force(args[1], ctx)) && !pyTruthy(input)) return force(dflt, ctx);
    return input;
  }
  if (name === 'mandatory') {
    arity(name, args, 1);
    if (input instanceof Undef) throw new ExprError(args[0] !== undefined ? pyStr(force(args[0], ctx)) : `mandatory variable "${input.path}" is not defined`);
    return input;
  }
  const v0 = force(input, ctx);
  const a = args.map((x) => force(x, ctx));
  const v = rev(v0);
  const out = (r: unknown) => taint(r, v0, ...a);
  const text = (x: unknown) => pyStr(rev(x));
  const list = (what: string): unknown[] => {
    if (Array.isArray(v)) return v;
    throw new ExprError(`the "${what}" filter needs a list, not ${show(v0)}`);
  };
  switch (name) {
    case 'int': {
      arity(name, a, 2);
      const base = a.length > 1 ? num(rev(a[1]), 'int base') : 10;
      return out(toInt(v, a.length > 0 ? rev(a[0]) : 0, base));
    }
    case 'float':
      arity(name, a, 1);
      return out(toFloat(v, a.length > 0 ? rev(a[0]) : 0));
    case 'bool':
      arity(name, a, 0);
      return toBool(v);
    case 'string':
      arity(name, a, 0);
      return out(text(v));
    case 'lower':
      arity(name, a, 0);
      return out(text(v).toLowerCase());
    case 'upper':
      arity(name, a, 0);
      return out(text(v).toUpperCase());
    case 'trim':
      arity(name, a, 0);
      return out(text(v).trim());
    case 'length':
    case 'count':
      arity(name, a, 0);
      if (typeof v === 'string') return out([...v].length);
      if (Array.isArray(v)) return out(v.length);
      if (isObj(v)) return out(Object.keys(v).length);
      throw new ExprError(`the "${name}" filter needs a string, a list or a mapping, not ${show(v0)}`);
    case 'join': {
      arity(name, a, 1);
      const items = typeof v === 'string' ? [...v] : list(name);
      const sep = a.length > 0 ? text(a[0]) : '';
      let total = 0;
      const parts = items.map((x) => {
        const s = text(x);
        total += s.length + sep.length;
        capTextLen(total);
        return s;
      });
      return taint(parts.join(sep), v0, ...a, ...items);
    }
    case 'replace': {
      if (a.length < 2) throw new ExprError('the "replace" filter needs two arguments: replace(old, new)');
      arity(name, a, 3);
      const count = a.length > 2 ? num(rev(a[2]), 'replace count') : -1;
      return out(pyReplace(text(v), text(a[0]), text(a[1]), count));
    }
    case 'regex_replace': {
      if (a.length < 1) throw new ExprError('the "regex_replace" filter needs a pattern: regex_replace(pattern, replacement)');
      arity(name, a, 4);
      const subject = text(v);
      const flags = 'g' + (a.length > 2 && pyTruthy(rev(a[2])) ? 'i' : '') + (a.length > 3 && pyTruthy(rev(a[3])) ? 'm' : '');
      const { re, maxSubject } = pythonRegex(text(a[0]), flags);
      if (subject.length > maxSubject) throw new ExprError(`regex_replace on more than ${maxSubject} characters is not supported`);
      const repl = a.length > 1 ? text(a[1]) : '';
      let result = '';
      let last = 0;
      let m: RegExpExecArray | null;
      let guard = 0;
      while ((m = re.exec(subject)) !== null) {
        result += subject.slice(last, m.index) + expandReplacement(repl, m, m.groups);
        capTextLen(result.length);
        last = m.index + m[0].length;
        if (m[0].length === 0) {
          // Python also replaces an empty match at each position; move on by one character.
          if (m.index < subject.length) result += subject[m.index];
          last = m.index + 1;
          re.lastIndex = m.index + 1;
        }
        if (++guard > MAX_TEXT) break;
      }
      if (last < subject.length) result += subject.slice(last);
      return out(capText(result));
    }
    case 'first':
    case 'last': {
      arity(name, a, 0);
      const items = typeof v === 'string' ? [...v] : list(name);
      if (items.length === 0) return new Undef(`${pathOf(n.e) ?? 'value'} | ${name}`);
      return out(name === 'first' ? items[0] : items[items.length - 1]);
    }
    case 'min':
    case 'max': {
      arity(name, a, 0);
      const items = typeof v === 'string' ? [...v] : list(name);
      if (items.length === 0) throw new ExprError(`the "${name}" filter got an empty list`);
      const vals = sameKindItems(items, `the "${name}" filter`);
      const best = vals.reduce((x, y) => ((name === 'min' ? y < x : y > x) ? y : x));
      return taint(best, v0, ...items);
    }
    case 'list':
      arity(name, a, 0);
      if (typeof v === 'string') return out(capList([...v]));
      if (Array.isArray(v)) return v.slice();
      if (isObj(v)) return Object.keys(v);
      throw new ExprError(`the "list" filter needs a string, a list or a mapping, not ${show(v0)}`);
    case 'sort': {
      arity(name, a, 1);
      const items = list(name);
      if (items.length === 0) return [];
      // Sorted by value, but the items themselves are returned (a secret stays a secret).
      const vals = sameKindItems(items, 'the "sort" filter');
      const order = vals.map((_, i) => i).sort((i, j) => (vals[i] < vals[j] ? -1 : vals[i] > vals[j] ? 1 : i - j));
      const sorted = order.map((i) => items[i]);
      return a.length > 0 && pyTruthy(rev(a[0])) ? sorted.reverse() : sorted;
    }
    case 'unique': {
      arity(name, a, 0);
      const outList: unknown[] = [];
      for (const x of list(name)) if (!outList.some((y) => looseEqual(x, y) && typeof rev(x) === typeof rev(y))) outList.push(x);
      return outList;
    }
    case 'abs':
      arity(name, a, 0);
      return out(Math.abs(num(v, 'abs')));
    case 'split': {
      // Python's str.split: no separator splits on runs of whitespace and drops empty words.
      arity(name, a, 1);
      const t = text(v);
      if (a.length === 0 || rev(a[0]) === null) return t.split(/\s+/).filter((w) => w !== '').map((w) => out(w));
      const sep = text(a[0]);
      if (sep === '') throw new ExprError('the "split" filter needs a non-empty separator');
      return capList(t.split(sep)).map((w) => out(w));
    }
    case 'basename':
    case 'dirname': {
      // Python's os.path: basename('/a/b/') is '', dirname('/a/b') is '/a', dirname('//x') is '//'.
      arity(name, a, 0);
      const t = text(v);
      const cut = t.lastIndexOf('/') + 1;
      if (name === 'basename') return out(t.slice(cut));
      const head = t.slice(0, cut);
      return out(/^\/+$/.test(head) ? head : head.replace(/\/+$/, ''));
    }
  }
  throw new ExprError(`unknown filter "${name}" (supported: ${FILTERS.join(', ')})`);
}

/** Keyword argument names of the filters that take arguments (Jinja's / Ansible's spelling). */
const KWARGS: Record<string, string[]> = {
  default: ['default_value', 'boolean'],
  d: ['default_value', 'boolean'],
  int: ['default', 'base'],
  float: ['default'],
  join: ['d'],
  replace: ['old', 'new', 'count'],
  regex_replace: ['pattern', 'replacement', 'ignorecase', 'multiline'],
  sort: ['reverse'],
  mandatory: ['msg'],
};
/** What an argument left out before a keyword one stands for. */
const KWARG_DEFAULTS: Record<string, unknown[]> = {
  default: ['', false],
  d: ['', false],
  int: [0, 10],
  replace: [undefined, undefined, -1],
  regex_replace: ['', '', false, false],
};

// ---- tests (`x is defined`) ----

const TESTS = [
  'defined', 'undefined', 'none', 'string', 'number', 'integer', 'float', 'boolean', 'mapping', 'sequence', 'iterable', 'truthy', 'falsy',
  'match', 'search', 'in', 'even', 'odd', 'divisibleby', 'changed', 'failed', 'succeeded', 'success', 'skipped', 'version', 'version_compare',
] as const;

/** Python's LooseVersion parts: numbers and letter runs ("12.4a" -> [12, 4, 'a']). */
function looseVersion(v: string): Array<number | string> {
  if (v.length > 200) throw new ExprError('a version is longer than 200 characters');
  return (v.match(/\d+|[a-z]+/gi) ?? []).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

const VERSION_OPS: Record<string, (c: number) => boolean> = {
  '<': (c) => c < 0, lt: (c) => c < 0, '<=': (c) => c <= 0, le: (c) => c <= 0, '>': (c) => c > 0, gt: (c) => c > 0,
  '>=': (c) => c >= 0, ge: (c) => c >= 0, '==': (c) => c === 0, '=': (c) => c === 0, eq: (c) => c === 0,
  '!=': (c) => c !== 0, '<>': (c) => c !== 0, ne: (c) => c !== 0,
};

/** Ansible's `version` test with its default (loose) comparison. */
function versionTest(value: unknown, args: unknown[]): boolean {
  if (args.length < 1) throw new ExprError('the "version" test needs a version: version(\'12\', \'>=\')');
  const op = args.length > 1 ? pyStr(args[1]) : 'eq';
  if (!Object.hasOwn(VERSION_OPS, op)) throw new ExprError(`the "version" test does not know the operator ${JSON.stringify(op)} (use <, <=, >, >=, ==, != or lt, le, gt, ge, eq, ne)`);
  if (args.length > 2) throw new ExprError('the "version" test takes a version and an operator (strict and version_type are not supported)');
  const a = looseVersion(pyStr(value));
  const b = looseVersion(pyStr(args[0]));
  let c = 0;
  for (let i = 0; i < Math.min(a.length, b.length) && c === 0; i++) {
    if (typeof a[i] !== typeof b[i]) throw new ExprError(`cannot compare versions ${show(value)} and ${show(args[0])} (a number against letters)`);
    c = a[i] < b[i] ? -1 : a[i] > b[i] ? 1 : 0;
  }
  if (c === 0) c = a.length - b.length;
  return VERSION_OPS[op](c);
}

/** Ansible's tests on a registered result (`result is changed`): its own flags. */
function resultFlag(name: string, v: unknown): boolean {
  if (!isObj(v)) throw new ExprError(`the "${name}" test needs a registered result (register: name), not ${show(v)}`);
  const flag = (k: string) => Object.hasOwn(v, k) && ansibleTruthy(v[k]);
  if (name === 'changed') return flag('changed');
  if (name === 'skipped') return flag('skipped');
  const failed = flag('failed') || flag('refused');
  return name === 'failed' ? failed : !failed;
}

function applyTest(name: string, input: unknown, args: unknown[], ctx: EvalContext): boolean {
  if (name === 'defined') return !(input instanceof Undef || input === undefined);
  if (name === 'undefined') return input instanceof Undef || input === undefined;
  const v0 = force(input, ctx);
  const v = rev(v0);
  const a = args.map((x) => rev(force(x, ctx)));
  switch (name) {
    case 'none':
      return v === null;
    case 'string':
      return typeof v === 'string';
    case 'number':
      return typeof v === 'number';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'float':
      return typeof v === 'number' && !Number.isInteger(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'mapping':
      return isObj(v);
    case 'sequence':
    case 'iterable':
      return Array.isArray(v) || typeof v === 'string' || isObj(v);
    case 'truthy':
      return pyTruthy(v);
    case 'falsy':
      return !pyTruthy(v);
    case 'match':
    case 'search': {
      if (a.length < 1) throw new ExprError(`the "${name}" test needs a pattern`);
      const subject = pyStr(v);
      const { re, maxSubject } = pythonRegex(pyStr(a[0]), a.length > 1 && pyTruthy(a[1]) ? 'i' : '');
      if (subject.length > maxSubject) throw new ExprError(`the "${name}" test on more than ${maxSubject} characters is not supported`);
      const m = re.exec(subject);
      return m !== null && (name === 'search' || m.index === 0);
    }
    case 'in':
      if (a.length !== 1) throw new ExprError('the "in" test needs one argument');
      return contains(a[0], v);
    case 'version':
    case 'version_compare':
      return versionTest(v, a);
    case 'changed':
    case 'failed':
    case 'succeeded':
    case 'success':
    case 'skipped':
      return resultFlag(name, v);
    case 'even':
    case 'odd':
    case 'divisibleby': {
      const x = num(v, name);
      const d = name === 'divisibleby' ? num(a[0], 'divisibleby') : 2;
      if (d === 0) throw new ExprError('division by zero');
      const r = ((x % d) + d) % d;
      return name === 'odd' ? r === 1 : r === 0;
    }
  }
  throw new ExprError(`unknown test "${name}" (supported: ${TESTS.join(', ')})`);
}

// ---- arithmetic ----

function arith(op: string, a0: unknown, b0: unknown): unknown {
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

function resolveLazy(v: Lazy, ctx: EvalContext): unknown {
  if (!ctx.renderLazy) return v.text;
  try {
    return ctx.renderLazy(v.text);
  } catch (err) {
    const shown = v.text.length > 60 ? `${v.text.slice(0, 57)}...` : v.text;
    throw new ExprError(`in variable "${v.name}" (${JSON.stringify(shown)}): ${(err as Error).message}`);
  }
}

// ---- the evaluator ----

function ev(n: Node, ctx: EvalContext, peek: boolean): unknown {
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
