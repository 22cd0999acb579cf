/**
 * Python's `ast.literal_eval`, as Ansible's INI plugin applies it to every value
 * (`InventoryModule._parse_value`): strings (with escapes, prefixes r/b/u, adjacent ones joined),
 * ints (decimal, 0x, 0o, 0b, underscores; no leading zeros), floats, True/False/None, lists,
 * tuples and sets (as lists), dicts, unary +/- on numbers. Anything else is not a literal and
 * the caller keeps the text as written (Ansible catches ValueError and SyntaxError the same way).
 * Complex numbers and integers beyond 2^53 are reported as not literal: JSON has no such values.
 */
import { dict } from '../util/dict.js';

export type LiteralResult = { ok: true; value: unknown } | { ok: false };

class NotLiteral extends Error {}

const MAX_DEPTH = 200; // CPython: "too many nested parentheses"

type Tok =
  | { t: 'str'; v: string }
  | { t: 'num'; v: number }
  | { t: 'name'; v: string }
  | { t: 'op'; v: string }
  | { t: 'end' };

const DIGITS = String.raw`\d(?:_?\d)*`;
const NUMBER = new RegExp(
  String.raw`^(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|` +
    String.raw`(?:${DIGITS}\.(?:${DIGITS})?|\.${DIGITS})(?:[eE][+-]?${DIGITS})?|${DIGITS}[eE][+-]?${DIGITS}|` +
    String.raw`[1-9](?:_?\d)*|0(?:_?0)*)([jJ])?`,
);
const STRING_START = /^([rRbBuUfF]{0,2})('''|"""|'|")/;

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  let depth = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\f') { i++; continue; }
    if (c === '\n' || c === '\r') {
      if (depth === 0) throw new NotLiteral(); // a second statement line (or a newline outside brackets)
      i++;
      continue;
    }
    if (c === '\\' && (src[i + 1] === '\n' || src[i + 1] === '\r')) { i += 2; continue; }
    if (c === '#') { while (i < src.length && src[i] !== '\n') i++; continue; }
    const rest = src.slice(i);
    const str = STRING_START.exec(rest);
    if (str && (str[1] === '' || /^(?:[rRbBuUfF]|[rR][bB]|[bB][rR]|[rR][fF]|[fF][rR])$/.test(str[1]))) {
      const prefix = str[1].toLowerCase();
      if (prefix.includes('f')) throw new NotLiteral(); // an f-string is not a literal
      const quote = str[2];
      let j = i + str[0].length;
      let raw = '';
      for (;;) {
        if (j >= src.length) throw new NotLiteral();
        if (src.startsWith(quote, j)) break;
        const ch = src[j];
        if (quote.length === 1 && (ch === '\n' || ch === '\r')) throw new NotLiteral();
        if (ch === '\\') {
          if (j + 1 >= src.length) throw new NotLiteral();
          raw += ch + src[j + 1];
          j += 2;
          continue;
        }
        raw += ch;
        j++;
      }
      i = j + quote.length;
      const bytes = prefix.includes('b');
      const value = prefix.includes('r') ? raw : unescape(raw, bytes);
      out.push({ t: 'str', v: bytes ? `\u0000b${value}` : value }); // marked: bytes and str do not join
      continue;
    }
    const num = NUMBER.exec(rest);
    if (num && /^[\d.]/.test(rest) && !(rest[0] === '.' && !/^\.\d/.test(rest))) {
      const text = num[0];
      if (/^[\w.]/.test(src.slice(i + text.length))) throw new NotLiteral(); // 5abc, 007, 1.2.3
      if (num[1]) throw new NotLiteral(); // complex: not representable
      out.push({ t: 'num', v: toNumber(text.replace(/_/g, '')) });
      i += text.length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (name) { out.push({ t: 'name', v: name[0] }); i += name[0].length; continue; }
    if ('[({'.includes(c)) { depth++; if (depth > MAX_DEPTH) throw new NotLiteral(); }
    if ('])}'.includes(c)) depth--;
    if ('[](){},:+-'.includes(c)) { out.push({ t: 'op', v: c }); i++; continue; }
    throw new NotLiteral(); // any other operator or character
  }
  out.push({ t: 'end' });
  return out;
}

function toNumber(text: string): number {
  let n: number;
  if (/^0[xX]/.test(text)) n = parseInt(text.slice(2), 16);
  else if (/^0[oO]/.test(text)) n = parseInt(text.slice(2), 8);
  else if (/^0[bB]/.test(text)) n = parseInt(text.slice(2), 2);
  else n = Number(text);
  const isInt = !/[.eE]/.test(text) || /^0[xXoObB]/.test(text);
  if ((isInt && !Number.isSafeInteger(n)) || !Number.isFinite(n)) throw new NotLiteral();
  return n;
}

const SIMPLE_ESCAPES: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\n': '', '\r': '' };

function unescape(raw: string, bytes: boolean): string {
  return raw.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|N\{[^}]*\}|[\s\S])/g, (whole, e: string) => {
    if (Object.prototype.hasOwnProperty.call(SIMPLE_ESCAPES, e)) return SIMPLE_ESCAPES[e];
    if (e === 'x' || (!bytes && (e === 'u' || e === 'U'))) throw new NotLiteral(); // truncated escape: SyntaxError
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8));
    if (!bytes && (e[0] === 'u' || e[0] === 'U')) {
      const cp = parseInt(e.slice(1), 16);
      if (cp > 0x10ffff) throw new NotLiteral();
      return String.fromCodePoint(cp);
    }
    if (!bytes && e[0] === 'N') throw new NotLiteral(); // named escapes: not supported here
    return whole; // unknown escapes keep the backslash, as in Python
  });
}

class Parser {
  private pos = 0;
  constructor(private readonly toks: Tok[]) {}

  private peek(): Tok { return this.toks[this.pos]; }
  private next(): Tok { return this.toks[this.pos++]; }
  private isOp(v: string): boolean { const t = this.peek(); return t.t === 'op' && t.v === v; }
  private expectOp(v: string): void { if (!this.isOp(v)) throw new NotLiteral(); this.pos++; }

  /** The whole input: an expression or a bare tuple (`1, 2`). */
  top(): unknown {
    const first = this.expr();
    if (!this.isOp(',')) { if (this.peek().t !== 'end') throw new NotLiteral(); return first; }
    const items = [first];
    while (this.isOp(',')) {
      this.pos++;
      if (this.peek().t === 'end') break;
      items.push(this.expr());
    }
    if (this.peek().t !== 'end') throw new NotLiteral();
    return items;
  }

  private expr(): unknown {
    const t = this.next();
    if (t.t === 'str') {
      let s = t.v;
      while (this.peek().t === 'str') {
        const more = (this.next() as { v: string }).v;
        if (s.startsWith('\u0000b') !== more.startsWith('\u0000b')) throw new NotLiteral(); // bytes + str: SyntaxError
        s += more.startsWith('\u0000b') ? more.slice(2) : more;
      }
      return s.startsWith('\u0000b') ? s.slice(2) : s; // Ansible's to_text decodes bytes
    }
    if (t.t === 'num') return this.complexTail(t.v);
    if (t.t === 'name') {
      if (t.v === 'True') return true;
      if (t.v === 'False') return false;
      if (t.v === 'None') return null;
      if (t.v === 'set' && this.isOp('(')) { this.pos++; this.expectOp(')'); return []; }
      throw new NotLiteral();
    }
    if (t.t === 'op' && (t.v === '-' || t.v === '+')) {
      const operand = this.bareNumber();
      return this.complexTail(t.v === '-' ? -operand : operand);
    }
    if (t.t === 'op' && t.v === '[') return this.sequence(']');
    if (t.t === 'op' && t.v === '(') {
      if (this.isOp(')')) { this.pos++; return []; }
      const first = this.expr();
      if (this.isOp(')')) { this.pos++; return first; } // parentheses only group
      this.expectOp(',');
      const items = [first];
      while (!this.isOp(')')) { items.push(this.expr()); if (!this.isOp(')')) this.expectOp(','); }
      this.pos++;
      return items;
    }
    if (t.t === 'op' && t.v === '{') return this.braces();
    throw new NotLiteral();
  }

  /** The operand of a sign: a number, maybe in parentheses (`-(5)`), not another sign. */
  private bareNumber(): number {
    const t = this.next();
    if (t.t === 'num') return t.v;
    if (t.t !== 'op' || t.v !== '(') throw new NotLiteral();
    const n = this.bareNumber();
    this.expectOp(')');
    return n;
  }

  /** `1 + 2` is not a literal (only number +/- complex is, and complex is refused). */
  private complexTail(n: number): number {
    if (this.isOp('+') || this.isOp('-')) throw new NotLiteral();
    return n;
  }

  private sequence(close: string): unknown[] {
    const items: unknown[] = [];
    while (!this.isOp(close)) {
      items.push(this.expr());
      if (!this.isOp(close)) this.expectOp(',');
    }
    this.pos++;
    return items;
  }

  private braces(): unknown {
    if (this.isOp('}')) { this.pos++; return dict(); }
    const first = this.expr();
    if (!this.isOp(':')) {
      // a set: {1, 2}
      const items = [first];
      while (!this.isOp('}')) { this.expectOp(','); if (this.isOp('}')) break; items.push(this.expr()); }
      this.pos++;
      if (items.some((k) => k !== null && typeof k === 'object')) throw new NotLiteral(); // unhashable
      // A set keeps one of equal items (1 == 1.0 == True in Python), in written order: Python's
      // own order is its hash order (the same for small numbers, random for text).
      const seen = new Set<string>();
      return items.filter((k) => {
        const key = typeof k === 'boolean' ? String(Number(k)) : JSON.stringify(k);
        return seen.has(key) ? false : (seen.add(key), true);
      });
    }
    const out = dict<unknown>(); // keys are inventory text: __proto__ stays a key
    let key = first;
    for (;;) {
      this.expectOp(':');
      if (key !== null && typeof key === 'object') throw new NotLiteral(); // unhashable key
      out[pythonKey(key)] = this.expr();
      if (this.isOp('}')) { this.pos++; return out; }
      this.expectOp(',');
      if (this.isOp('}')) { this.pos++; return out; }
      key = this.expr();
    }
  }
}

/** How Python's json module writes a dict key: True -> "true", None -> "null". */
function pythonKey(key: unknown): string {
  if (key === true) return 'true';
  if (key === false) return 'false';
  if (key === null) return 'null';
  return String(key);
}

export function literalEval(text: string): LiteralResult {
  try {
    return { ok: true, value: new Parser(tokenize(text.replace(/^[ \t]+/, ''))).top() };
  } catch (err) {
    if (err instanceof NotLiteral) return { ok: false };
    throw err;
  }
}

/** Ansible's `_parse_value`: the literal when the text is one, else the text itself. */
export function ansibleIniValue(text: string): unknown {
  const r = literalEval(text);
  return r.ok ? r.value : text;
}
