/** The fixed table of filters (Jinja's and Ansible's) the expression language knows. */
import { ExprError, type Node } from './parse.js';
import { type EvalContext, MAX_TEXT, Undef, force, isObj, pathOf } from './eval.js';
import { expandReplacement, pythonRegex } from './regex.js';
import { capList, capText, finite, looseEqual, num, pyStr, pyTruthy, rev, show, taint } from './values.js';

export const INT_TEXT = /^\s*[+-]?\d+(?:_\d+)*\s*$/;
export const FLOAT_TEXT = /^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

export function toInt(v: unknown, dflt: unknown, base: number): unknown {
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

export function toFloat(v: unknown, dflt: unknown): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && FLOAT_TEXT.test(v)) return finite(Number(v));
  return dflt;
}

/** Ansible's `bool` filter (None stays None). */
export function toBool(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v;
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return v === 1;
  if (typeof v === 'string') return ['yes', 'on', '1', 'true'].includes(v.toLowerCase());
  return false;
}

export function pyReplace(s: string, old: string, neu: string, count: number): string {
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

export function capTextLen(n: number): void {
  if (n > MAX_TEXT) throw new ExprError(`the result is longer than ${MAX_TEXT} characters`);
}

export function sameKindItems(items: unknown[], what: string): Array<number | string> {
  const vals = items.map(rev);
  const kind = typeof vals[0];
  if (!vals.every((x) => (typeof x === 'number' || typeof x === 'string') && typeof x === kind)) {
    throw new ExprError(`${what} needs a list of numbers or a list of strings`);
  }
  return vals as Array<number | string>;
}

export function arity(name: string, args: unknown[], max: number): void {
  if (args.length > max) throw new ExprError(`the "${name}" filter takes at most ${max} argument${max === 1 ? '' : 's'}`);
}

export const FILTERS = [
  'default', 'd', 'int', 'float', 'bool', 'string', 'lower', 'upper', 'length', 'count', 'join', 'replace', 'regex_replace',
  'first', 'last', 'min', 'max', 'trim', 'list', 'sort', 'unique', 'abs', 'mandatory', 'split', 'basename', 'dirname',
] as const;

export function applyFilter(name: string, input: unknown, args: unknown[], ctx: EvalContext, n: Node & { t: 'filter' }): unknown {
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
export const KWARGS: Record<string, string[]> = {
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
export const KWARG_DEFAULTS: Record<string, unknown[]> = {
  default: ['', false],
  d: ['', false],
  int: [0, 10],
  replace: [undefined, undefined, -1],
  regex_replace: ['', '', false, false],
};
