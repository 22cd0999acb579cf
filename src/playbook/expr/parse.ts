/**
 * The expression language of `{{ }}` templates and `when:` — the common Jinja subset Ansible
 * users write, parsed into a small tree (no eval, no Function, no host object ever reached).
 *
 *   expr    := or ['if' or ['else' expr]]
 *   or      := and ('or' and)* ;  and := not ('and' not)* ;  not := 'not' not | cmp
 *   cmp     := sum ((== != < <= > >= in | not in) sum)*
 *   sum     := concat (('+' | '-') concat)* ;  concat := prod ('~' prod)* ;  prod := unary (('*' | '/' | '//' | '%') unary)*
 *   unary   := (('-' | '+') unary-without-filters | primary subscript*) filter*
 *   subscript := '.' name | '.' int | '[' expr ']' ;  filter := '|' name [args] | 'is' ['not'] test [args]
 *   args    := '(' [expr | name '=' expr] (',' ...)* ')'
 * (Jinja's precedence: filters bind tighter than arithmetic, looser than unary minus.)
 *   primary := 'str' | "str" | number | true | false | none | name | [e, ...] | (e) | {k: v, ...}
 * Sizes are bounded: the text, the number of tokens and the nesting depth.
 */
export class ExprError extends Error {}

export type BinOp = '+' | '-' | '*' | '/' | '//' | '%' | '~';
export type CmpOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in';

export type Node =
  | { t: 'lit'; v: unknown }
  | { t: 'var'; name: string }
  | { t: 'list'; items: Node[] }
  | { t: 'dict'; items: Array<[Node, Node]> }
  | { t: 'not'; e: Node }
  | { t: 'neg'; e: Node }
  | { t: 'and' | 'or'; a: Node; b: Node }
  | { t: 'bin'; op: BinOp; a: Node; b: Node }
  | { t: 'cmp'; op: CmpOp; a: Node; b: Node }
  | { t: 'get'; e: Node; key: Node; text: string }
  | { t: 'filter'; name: string; e: Node; args: Node[]; kwargs: Array<[string, Node]> }
  | { t: 'test'; name: string; e: Node; args: Node[]; negate: boolean }
  | { t: 'if'; cond: Node; then: Node; else?: Node };

type Tok = { k: 'str' | 'num' | 'name' | 'op'; v: string; num?: number };

export const MAX_EXPR_CHARS = 8192;
const MAX_TOKENS = 2048;
const MAX_DEPTH = 64;

const OPS = ['//', '==', '!=', '<=', '>=', '=', '<', '>', '+', '-', '*', '/', '%', '~', '|', '.', ',', ':', '(', ')', '[', ']', '{', '}'];

function unescape(body: string): string {
  return body.replace(/\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)/gs, (_all, e: string) => {
    if (e[0] === 'u' || e[0] === 'x') return e.length > 1 ? String.fromCharCode(parseInt(e.slice(1), 16)) : e;
    return ({ n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\', "'": "'", '"': '"' } as Record<string, string>)[e] ?? `\\${e}`;
  });
}

/** The expression as error messages quote it (a long one cut). */
function quoted(src: string): string {
  return JSON.stringify(src.length > 120 ? `${src.slice(0, 117)}...` : src);
}

export function tokenize(src: string): Tok[] {
  if (src.length > MAX_EXPR_CHARS) throw new ExprError(`the expression is longer than ${MAX_EXPR_CHARS} characters`);
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (out.length >= MAX_TOKENS) throw new ExprError('the expression is too long');
    if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === '\\' ? 2 : 1;
      if (j >= src.length) throw new ExprError(`a string is not closed in ${quoted(src)}`);
      out.push({ k: 'str', v: unescape(src.slice(i + 1, j)) });
      i = j + 1;
      continue;
    }
    const num = /^(?:\d+\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+|\d+)/.exec(src.slice(i, i + 400));
    if (num) {
      const text = num[0];
      // `x.0` after a name is a subscript, not a number: the tokenizer sees "." then "0".
      out.push({ k: 'num', v: text, num: Number(text) });
      i += text.length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i, i + 400));
    if (name) {
      out.push({ k: 'name', v: name[0] });
      i += name[0].length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new ExprError(`unexpected ${JSON.stringify(src.slice(i, i + 10))} in ${quoted(src)}`);
    if (op === '*' && src[i + 1] === '*') throw new ExprError(`"**" (power) is not supported in ${quoted(src)}`);
    out.push({ k: 'op', v: op });
    i += op.length;
  }
  return out;
}

export const FILTER_NAMES = new Set([
  'default', 'd', 'int', 'float', 'bool', 'string', 'lower', 'upper', 'length', 'count', 'join', 'replace', 'regex_replace',
  'first', 'last', 'min', 'max', 'trim', 'list', 'sort', 'unique', 'abs', 'mandatory', 'split', 'basename', 'dirname',
]);
export const TEST_NAMES = new Set([
  'defined', 'undefined', 'none', 'string', 'number', 'integer', 'float', 'boolean', 'mapping', 'sequence', 'iterable',
  'truthy', 'falsy', 'match', 'search', 'in', 'even', 'odd', 'divisibleby',
  'changed', 'failed', 'succeeded', 'success', 'skipped', 'version', 'version_compare',
]);

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'is', 'if', 'else']);

export function parseExpr(src: string): Node {
  const toks = tokenize(src);
  let i = 0;
  let depth = 0;
  const at = (v: string) => toks[i]?.k === 'op' && toks[i].v === v;
  const word = (w: string, k = i) => toks[k]?.k === 'name' && toks[k].v === w;
  const fail = (why: string): never => {
    throw new ExprError(`${why} in ${quoted(src)}`);
  };
  const expect = (v: string) => {
    if (!at(v)) fail(toks[i] ? `expected "${v}" but found "${toks[i].v}"` : `expected "${v}" but the expression ends`);
    i++;
  };
  const nested = <T>(f: () => T): T => {
    if (++depth > MAX_DEPTH) fail('the expression nests too deeply');
    try {
      return f();
    } finally {
      depth--;
    }
  };

  const expr = (): Node =>
    nested(() => {
      const e = orE();
      if (word('if')) {
        i++;
        const cond = orE();
        if (word('else')) {
          i++;
          return { t: 'if', cond, then: e, else: expr() };
        }
        return { t: 'if', cond, then: e };
      }
      return e;
    });
  const orE = (): Node => {
    let a = andE();
    while (word('or')) {
      i++;
      a = { t: 'or', a, b: andE() };
    }
    return a;
  };
  const andE = (): Node => {
    let a = notE();
    while (word('and')) {
      i++;
      a = { t: 'and', a, b: notE() };
    }
    return a;
  };
  const notE = (): Node =>
    nested(() => {
      if (word('not')) {
        i++;
        return { t: 'not', e: notE() };
      }
      return cmpE();
    });
  const cmpE = (): Node => {
    let a = sum();
    for (;;) {
      const tok = toks[i];
      let op: CmpOp | undefined;
      if (tok?.k === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(tok.v)) {
        op = tok.v as CmpOp;
        i++;
      } else if (word('in')) {
        op = 'in';
        i++;
      } else if (word('not') && word('in', i + 1)) {
        op = 'not in';
        i += 2;
      }
      if (!op) return a;
      const b = sum();
      // Chained comparisons (a < b < c) mean (a < b) and (b < c) in Jinja; we refuse them.
      if (a.t === 'cmp') fail('chained comparisons are not supported; write "a < b and b < c"');
      a = { t: 'cmp', op, a, b };
    }
  };
  const sum = (): Node => {
    let a = concat();
    while (at('+') || at('-')) {
      const op = toks[i++].v as BinOp;
      a = { t: 'bin', op, a, b: concat() };
    }
    return a;
  };
  const concat = (): Node => {
    let a = prod();
    while (at('~')) {
      i++;
      a = { t: 'bin', op: '~', a, b: prod() };
    }
    return a;
  };
  const prod = (): Node => {
    let a = unary();
    while (at('*') || at('/') || at('//') || at('%')) {
      const op = toks[i++].v as BinOp;
      a = { t: 'bin', op, a, b: unary() };
    }
    return a;
  };
  const unary = (withFilters = true): Node =>
    nested(() => {
      let e: Node;
      if (at('-')) {
        i++;
        e = { t: 'neg', e: unary(false) };
      } else if (at('+')) {
        i++;
        e = unary(false);
      } else e = subscripts(primary());
      return withFilters ? filters(e) : e;
    });
  const args = (kwargs?: Array<[string, Node]>): Node[] => {
    const out: Node[] = [];
    if (!at('(')) return out;
    i++;
    while (!at(')')) {
      if (toks[i]?.k === 'name' && toks[i + 1]?.k === 'op' && toks[i + 1].v === '=') {
        if (!kwargs) fail('keyword arguments are only supported for filters');
        const name = toks[i].v;
        i += 2;
        kwargs!.push([name, expr()]);
      } else {
        if (kwargs && kwargs.length > 0) fail('a positional argument after a keyword argument');
        out.push(expr());
      }
      if (at(',')) i++;
      else break;
    }
    expect(')');
    return out;
  };
  const subscripts = (e: Node): Node => {
    for (;;) {
      if (at('.')) {
        i++;
        const tok = toks[i++];
        if (tok?.k === 'name') e = { t: 'get', e, key: { t: 'lit', v: tok.v }, text: `.${tok.v}` };
        else if (tok?.k === 'num' && /^\d+$/.test(tok.v)) e = { t: 'get', e, key: { t: 'lit', v: tok.num }, text: `.${tok.v}` };
        else fail('expected a name after "."');
        if (at('(')) fail(`method calls are not supported (${(e as { text: string }).text}(...)); use a filter`);
      } else if (at('[')) {
        i++;
        if (at(':') || toks[i + 1]?.v === ':') fail('slices are not supported');
        const key = expr();
        expect(']');
        e = { t: 'get', e, key, text: '[...]' };
      } else if (at('(')) {
        fail(e.t === 'var' ? `calling "${e.name}(...)" is not supported (no functions or lookups)` : 'calls are not supported');
      } else return e;
    }
  };
  const filters = (e: Node): Node => {
    for (;;) {
      if (at('|')) {
        i++;
        const tok = toks[i++];
        if (tok?.k !== 'name') fail('expected a filter name after "|"');
        if (!FILTER_NAMES.has(tok.v)) fail(`unknown filter "${tok.v}" (supported: ${[...FILTER_NAMES].join(', ')})`);
        const kwargs: Array<[string, Node]> = [];
        const positional = args(kwargs);
        e = { t: 'filter', name: tok.v, e, args: positional, kwargs };
      } else if (word('is')) {
        i++;
        let negate = false;
        if (word('not')) {
          i++;
          negate = true;
        }
        const tok = toks[i++];
        if (tok?.k !== 'name') fail('expected a test name after "is"');
        if (!TEST_NAMES.has(tok.v)) fail(`unknown test "${tok.v}" (supported: ${[...TEST_NAMES].join(', ')})`);
        // `x is divisibleby 3` style bare arguments are not supported; `is sameas(x)` style are.
        e = { t: 'test', name: tok.v, e, args: args(), negate };
      } else if (at('.') || at('[') || at('(')) {
        fail('put a filtered value in parentheses before subscripting it: (x | f)[0]');
      } else return e;
    }
  };
  const primary = (): Node => {
    const tok = toks[i++];
    if (!tok) fail('the expression ends too early');
    if (tok.k === 'str') {
      // Adjacent strings concatenate, as in Jinja ('a' 'b' == 'ab').
      let v = tok.v;
      while (toks[i]?.k === 'str') v += toks[i++].v;
      return { t: 'lit', v };
    }
    if (tok.k === 'num') return { t: 'lit', v: tok.num };
    if (tok.k === 'name') {
      if (tok.v === 'true' || tok.v === 'True') return { t: 'lit', v: true };
      if (tok.v === 'false' || tok.v === 'False') return { t: 'lit', v: false };
      if (tok.v === 'none' || tok.v === 'None' || tok.v === 'null') return { t: 'lit', v: null };
      if (KEYWORDS.has(tok.v)) fail(`unexpected "${tok.v}"`);
      return { t: 'var', name: tok.v };
    }
    if (tok.v === '(') {
      const e = expr();
      if (at(',')) fail('tuples are not supported; use a list [a, b]');
      expect(')');
      return e;
    }
    if (tok.v === '[') {
      const items: Node[] = [];
      while (!at(']')) {
        items.push(expr());
        if (at(',')) i++;
        else break;
      }
      expect(']');
      return { t: 'list', items };
    }
    if (tok.v === '{') {
      const items: Array<[Node, Node]> = [];
      while (!at('}')) {
        const k = expr();
        expect(':');
        items.push([k, expr()]);
        if (at(',')) i++;
        else break;
      }
      expect('}');
      return { t: 'dict', items };
    }
    return fail(`unexpected "${tok.v}"`);
  };

  if (toks.length === 0) throw new ExprError('empty expression');
  const e = expr();
  if (i < toks.length) fail(`unexpected "${toks[i].v}"`);
  return e;
}

/** The variable names an expression reads (for messages and checks). */
export function varNames(n: Node, out: Set<string> = new Set()): Set<string> {
  const visit = (x: Node | undefined) => x && varNames(x, out);
  switch (n.t) {
    case 'var':
      out.add(n.name);
      break;
    case 'list':
      n.items.forEach(visit);
      break;
    case 'dict':
      n.items.forEach(([k, v]) => (visit(k), visit(v)));
      break;
    case 'not':
    case 'neg':
      visit(n.e);
      break;
    case 'and':
    case 'or':
    case 'bin':
    case 'cmp':
      visit(n.a);
      visit(n.b);
      break;
    case 'get':
      visit(n.e);
      visit(n.key);
      break;
    case 'filter':
      visit(n.e);
      n.args.forEach(visit);
      n.kwargs.forEach(([, v]) => visit(v));
      break;
    case 'test':
      visit(n.e);
      n.args.forEach(visit);
      break;
    case 'if':
      visit(n.cond);
      visit(n.then);
      visit(n.else);
      break;
  }
  return out;
}
