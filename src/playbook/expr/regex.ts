/** Python regexes on V8, bounded: linear-time engine where possible, capped pattern and subject sizes. */
import v8 from 'node:v8';
import { ExprError } from './parse.js';
import { MAX_TEXT } from './eval.js';

export const MAX_PATTERN = 1000;

/**
 * V8's linear-time regex engine (flag `l`): matching takes time linear in the subject, whatever
 * the pattern, so a pattern like (a+)+$ cannot hang the runner. It has no back-references or
 * look-around (refused anyway). Enabled once; where it is missing, patterns that repeat a
 * repeating group are refused and subjects are kept short instead.
 */
let LINEAR: boolean | undefined;
export function linearEngine(): boolean {
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
export const SHORT_SUBJECT = 8192;

export function pythonRegex(pattern: string, flags: string): { re: RegExp; maxSubject: number } {
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
export function expandReplacement(repl: string, m: RegExpExecArray | string[], groups: Record<string, string | undefined> | undefined): string {
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
