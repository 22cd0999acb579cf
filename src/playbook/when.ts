/**
 * The `when` language: a small, safe expression grammar (no eval).
 *   or := and ('or' and)* ; and := not ('and' not)* ; not := 'not' not | cmp
 *   cmp := value [ (== != < <= > >= in | not in) value | is [not] defined|undefined ]
 *   value := 'str' | "str" | number | true | false | none | name.path | [v, ...] | ( or )
 * Names are looked up in the host's variables (facts, inventory, play, extra vars, and
 * results registered by earlier tasks: `result.changed`).
 */
import { Secret } from '../util/secret.js';
import { UNDEFINED, lookup, type Vars } from './template.js';

export class WhenError extends Error {}

export type Expr =
  | { t: 'lit'; v: unknown }
  | { t: 'var'; name: string }
  | { t: 'list'; items: Expr[] }
  | { t: 'not'; e: Expr }
  | { t: 'and' | 'or'; a: Expr; b: Expr }
  | { t: 'cmp'; op: '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in'; a: Expr; b: Expr }
  | { t: 'defined'; name: string; negate: boolean };

type Token = { k: 'str' | 'num' | 'name' | 'op' | 'punct'; v: string };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  const re = /\s*(?:('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(-?\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)|(==|!=|<=|>=|<|>)|([()[\],]))/y;
  let pos = 0;
  while (pos < src.length) {
    if (/^\s*$/.test(src.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(src);
    if (!m) throw new WhenError(`unexpected "${src.slice(pos).trim().slice(0, 10)}" in "${src}"`);
    pos = re.lastIndex;
    if (m[1] !== undefined) out.push({ k: 'str', v: m[1].slice(1, -1).replace(/\\(.)/g, '$1') });
    else if (m[2] !== undefined) out.push({ k: 'num', v: m[2] });
    else if (m[3] !== undefined) out.push({ k: 'name', v: m[3] });
    else if (m[4] !== undefined) out.push({ k: 'op', v: m[4] });
    else out.push({ k: 'punct', v: m[5] });
  }
  return out;
}

export function parseWhen(src: string): Expr {
  const toks = tokenize(src);
  let i = 0;
  const peek = () => toks[i];
  const isWord = (w: string) => toks[i]?.k === 'name' && toks[i].v === w;
  const expect = (v: string) => {
    if (toks[i]?.v !== v) throw new WhenError(`expected "${v}" in "${src}"`);
    i++;
  };
  const orE = (): Expr => {
    let a = andE();
    while (isWord('or')) {
      i++;
      a = { t: 'or', a, b: andE() };
    }
    return a;
  };
  const andE = (): Expr => {
    let a = notE();
    while (isWord('and')) {
      i++;
      a = { t: 'and', a, b: notE() };
    }
    return a;
  };
  const notE = (): Expr => {
    if (isWord('not')) {
      i++;
      return { t: 'not', e: notE() };
    }
    return cmpE();
  };
  const cmpE = (): Expr => {
    const a = value();
    const tok = peek();
    if (tok?.k === 'op') {
      i++;
      return { t: 'cmp', op: tok.v as '==', a, b: value() };
    }
    if (isWord('in')) {
      i++;
      return { t: 'cmp', op: 'in', a, b: value() };
    }
    if (isWord('not') && toks[i + 1]?.k === 'name' && toks[i + 1].v === 'in') {
      i += 2;
      return { t: 'cmp', op: 'not in', a, b: value() };
    }
    if (isWord('is')) {
      i++;
      let negate = false;
      if (isWord('not')) {
        i++;
        negate = true;
      }
      const test = peek();
      if (a.t !== 'var') throw new WhenError(`"is defined" needs a variable name in "${src}"`);
      if (test?.k === 'name' && (test.v === 'defined' || test.v === 'undefined')) {
        i++;
        return { t: 'defined', name: a.name, negate: test.v === 'undefined' ? !negate : negate };
      }
      throw new WhenError(`only "is defined" / "is undefined" are supported in "${src}"`);
    }
    return a;
  };
  const value = (): Expr => {
    const tok = toks[i++];
    if (!tok) throw new WhenError(`"${src}" ends too early`);
    if (tok.k === 'str') return { t: 'lit', v: tok.v };
    if (tok.k === 'num') return { t: 'lit', v: Number(tok.v) };
    if (tok.k === 'name') {
      if (tok.v === 'true' || tok.v === 'True') return { t: 'lit', v: true };
      if (tok.v === 'false' || tok.v === 'False') return { t: 'lit', v: false };
      if (tok.v === 'none' || tok.v === 'None' || tok.v === 'null') return { t: 'lit', v: null };
      if (['and', 'or', 'not', 'in', 'is'].includes(tok.v)) throw new WhenError(`unexpected "${tok.v}" in "${src}"`);
      return { t: 'var', name: tok.v };
    }
    if (tok.v === '(') {
      const e = orE();
      expect(')');
      return e;
    }
    if (tok.v === '[') {
      const items: Expr[] = [];
      while (toks[i]?.v !== ']') {
        items.push(value());
        if (toks[i]?.v === ',') i++;
        else break;
      }
      expect(']');
      return { t: 'list', items };
    }
    throw new WhenError(`unexpected "${tok.v}" in "${src}"`);
  };
  if (toks.length === 0) throw new WhenError('empty condition');
  const e = orE();
  if (i < toks.length) throw new WhenError(`unexpected "${toks[i].v}" in "${src}"`);
  return e;
}

export function evalWhen(e: Expr, vars: Vars): unknown {
  switch (e.t) {
    case 'lit':
      return e.v;
    case 'var': {
      const v = lookup(vars, e.name);
      if (v === UNDEFINED) throw new WhenError(`undefined variable "${e.name}" (use "${e.name} is defined" to test for it)`);
      return v;
    }
    case 'list':
      return e.items.map((x) => evalWhen(x, vars));
    case 'not':
      return !truthy(evalWhen(e.e, vars));
    case 'and':
      return truthy(evalWhen(e.a, vars)) && truthy(evalWhen(e.b, vars));
    case 'or':
      return truthy(evalWhen(e.a, vars)) || truthy(evalWhen(e.b, vars));
    case 'defined': {
      const defined = lookup(vars, e.name) !== UNDEFINED;
      return e.negate ? !defined : defined;
    }
    case 'cmp': {
      // A secret is compared by its value (only a yes/no comes out); messages show it as ***.
      const shown = [evalWhen(e.a, vars), evalWhen(e.b, vars)] as const;
      const a = revealed(shown[0]);
      const b = revealed(shown[1]);
      switch (e.op) {
        case '==':
          return looseEqual(a, b);
        case '!=':
          return !looseEqual(a, b);
        case 'in':
        case 'not in': {
          const found = Array.isArray(b) ? b.some((x) => looseEqual(revealed(x), a)) : typeof b === 'string' ? b.includes(String(a)) : false;
          return e.op === 'in' ? found : !found;
        }
        default:
          return compare(e.op, a, b, shown);
      }
    }
  }
}

/** Ansible-like truthiness: "false", "no", "0" and "" strings are false. */
export function truthy(v: unknown): boolean {
  if (v instanceof Secret) return truthy(v.reveal());
  if (typeof v === 'string') return !['', 'false', 'no', 'off', '0'].includes(v.toLowerCase());
  if (Array.isArray(v)) return v.length > 0;
  return Boolean(v);
}

function looseEqual(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'string') return String(a) === b;
  if (typeof b === 'number' && typeof a === 'string') return String(b) === a;
  return JSON.stringify(a) === JSON.stringify(b);
}

function revealed(v: unknown): unknown {
  return v instanceof Secret ? v.reveal() : v;
}

function compare(op: string, a: unknown, b: unknown, shown: readonly [unknown, unknown]): boolean {
  const na = typeof a === 'string' && /^-?\d+(\.\d+)?$/.test(a) ? Number(a) : a;
  const nb = typeof b === 'string' && /^-?\d+(\.\d+)?$/.test(b) ? Number(b) : b;
  if (typeof na !== typeof nb || (typeof na !== 'number' && typeof na !== 'string')) {
    throw new WhenError(`cannot compare ${JSON.stringify(shown[0])} ${op} ${JSON.stringify(shown[1])}`);
  }
  const x = na as number | string;
  const y = nb as number | string;
  return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
}

/** A task's `when`: a string, a boolean, or a list that must all hold. */
export function whenHolds(conditions: Expr[], vars: Vars): boolean {
  return conditions.every((c) => truthy(evalWhen(c, vars)));
}
