/**
 * Where a `{{ }}` sits in POSIX shell text. A value can only be inserted safely as one quoted
 * word in plain (unquoted) command text: inside '...' or "..." the value would be spliced into
 * text that may itself be code for another interpreter (`sh -c '...'`, `awk '...'`), and inside
 * $(...), here-documents, comments or after a backslash or `$` the quoting rules change. Those
 * places are refused. The scanner is deliberately conservative: after a construct whose end it
 * cannot be sure of (backticks, `$'...'`, `case` inside `$(...)`, quotes inside `${...}`), every
 * later template is refused too, so a mismatch with the real shell can only refuse, never inject.
 */

export interface Span {
  start: number;
  end: number;
}

type Frame = { kind: 'code' } | { kind: 'sq' } | { kind: 'dq' } | { kind: 'cmdsub'; depth: number } | { kind: 'param' } | { kind: 'arith'; depth: number };

const WHERE: Record<Exclude<Frame['kind'], 'code'>, string> = {
  sq: `inside '...' quotes`,
  dq: 'inside "..." quotes',
  cmdsub: 'inside a $(...) command substitution',
  param: 'inside a ${...} expansion',
  arith: 'inside an arithmetic $((...)) / ((...))',
};

const WORD_BREAK = /[\s;&|()<>]/;

/** Programs whose -c argument is shell text (flock and script run it with sh -c). */
export const SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'ksh', 'mksh', 'zsh', 'su', 'runuser', 'flock', 'script']);
/** A -c flag, alone or among other one-letter flags (-ec, -xc), or su's --command. */
export const DASH_C = /^-[A-Za-z]*c[A-Za-z]*$|^--command$/;
/**
 * Commands that run (some of) their arguments as code: eval and trap as shell code, let as
 * arithmetic (bash runs $(...) in it), ssh and watch join them into shell text.
 */
export const RUNS_ARGS = new Map([
  ['eval', 'runs it as shell code'],
  ['trap', 'runs it as shell code'],
  ['let', 'evaluates it as arithmetic (bash runs $(...) in it)'],
  ['ssh', 'joins it into shell text for the remote host (or reads it as an option such as -oProxyCommand)'],
  ['watch', 'joins it into shell text for sh -c'],
]);
export const basename = (word: string) => word.slice(word.lastIndexOf('/') + 1);

/**
 * A quoted word is still code when it is the argument of `eval` (RUNS_ARGS) or of a shell's -c: the
 * words of the simple command before the template (rough: split on blanks, from the last
 * separator), checked only to refuse.
 */
function runAsCode(text: string, at: number): string | undefined {
  const before = text.slice(0, at);
  const words = before.slice(Math.max(...[';', '&', '|', '\n', '(', ')', '`'].map((sep) => before.lastIndexOf(sep))) + 1).split(/[ \t]+/);
  const prev = words.slice(0, -1).filter((w) => w !== ''); // the last one is the template's own word
  const last = prev[prev.length - 1];
  const runner = prev.find((w) => RUNS_ARGS.has(basename(w)));
  if (runner !== undefined) return `an argument of ${runner}, which ${RUNS_ARGS.get(basename(runner))}`;
  if (last !== undefined && DASH_C.test(last) && prev.slice(0, -1).some((w) => SHELLS.has(basename(w)))) return `the script of ${prev.join(' ')}, which runs it as shell code`;
  return undefined;
}

/**
 * For each span (sorted, non-overlapping), undefined when it is in plain command text, else
 * why it cannot be used there.
 */
export function templatePlaces(text: string, spans: readonly Span[]): Array<string | undefined> {
  const out: Array<string | undefined> = spans.map(() => undefined);
  const spanAt = new Map(spans.map((s, k) => [s.start, k]));
  const placed = new Set<number>();
  const stack: Frame[] = [{ kind: 'code' }];
  const heredocs: Array<{ delim: string; tabs: boolean }> = [];
  let lost: string | undefined;
  let i = 0;

  const top = () => stack[stack.length - 1];
  const wordStart = (at: number) => at === 0 || WORD_BREAK.test(text[at - 1]);
  /** Marks every span starting in [from, to) with a reason; returns `to`. */
  const refuseIn = (from: number, to: number, why: string) => {
    spans.forEach((s, k) => {
      if (s.start >= from && s.start < to) out[k] = why;
    });
    return to;
  };
  const loseTrack = (why: string) => {
    lost = why;
  };

  while (i < text.length && lost === undefined) {
    const k = spanAt.get(i);
    const frame = top();
    if (k !== undefined) {
      placed.add(k);
      if (frame.kind !== 'code') out[k] = WHERE[frame.kind];
      else if (stack.length > 1) out[k] = WHERE.cmdsub;
      else if (text[i - 1] === '$') out[k] = 'right after a $ (it would become part of a parameter name or $\'...\' quoting)';
      else out[k] ??= runAsCode(text, i); // keeps a reason set ahead ([[ ... ]])
      i = spans[k].end;
      continue;
    }
    const c = text[i];
    const next = text[i + 1];
    if (frame.kind === 'sq') {
      if (c === "'") stack.pop();
      i++;
      continue;
    }
    if (c === '\\') {
      const k2 = spanAt.get(i + 1);
      if (k2 !== undefined) {
        placed.add(k2);
        out[k2] = 'right after a backslash (the backslash would escape the quoting mtafleet adds)';
        i = spans[k2].end;
      } else i += 2;
      continue;
    }
    if (c === '`') {
      loseTrack('a `...` command substitution (write $(...) instead)');
      break;
    }
    if (c === '$' && spanAt.has(i + 1)) {
      i++; // the template itself is refused next round: it follows a $
      continue;
    }
    if (c === '$' && next === '(' && text[i + 2] === '(') {
      stack.push({ kind: 'arith', depth: 2 });
      i += 3;
      continue;
    }
    if (c === '$' && next === '(') {
      stack.push({ kind: 'cmdsub', depth: 1 });
      i += 2;
      continue;
    }
    if (c === '$' && next === '{') {
      stack.push({ kind: 'param' });
      i += 2;
      continue;
    }
    if (frame.kind === 'dq') {
      if (c === '"') stack.pop();
      i++;
      continue;
    }
    if (frame.kind === 'param' || frame.kind === 'arith') {
      if (c === "'" || c === '"') {
        loseTrack(`quotes ${WHERE[frame.kind]}`);
        break;
      }
      if (frame.kind === 'param' && c === '}') stack.pop();
      if (frame.kind === 'arith' && c === '(') frame.depth++;
      if (frame.kind === 'arith' && c === ')' && --frame.depth === 0) stack.pop();
      i++;
      continue;
    }
    // Command text: the top level, or inside $(...).
    if (c === '$' && next === "'") {
      loseTrack(`$'...' quoting (shells disagree on where it ends)`);
      break;
    }
    if (c === "'") stack.push({ kind: 'sq' });
    else if (c === '"') stack.push({ kind: 'dq' });
    else if ((c === '<' || c === '>') && next === '(') {
      stack.push({ kind: 'cmdsub', depth: 1 });
      i += 2;
      continue;
    } else if (c === '(' && next === '(' && wordStart(i)) {
      stack.push({ kind: 'arith', depth: 2 });
      i += 2;
      continue;
    } else if (frame.kind === 'cmdsub' && c === '(') frame.depth++;
    else if (frame.kind === 'cmdsub' && c === ')') {
      if (--frame.depth === 0) stack.pop();
    } else if (frame.kind === 'cmdsub' && wordStart(i) && /^case\s/.test(text.slice(i, i + 5))) {
      loseTrack('a case statement inside $(...)');
      break;
    } else if (c === '[' && next === '[' && wordStart(i) && /\s/.test(text[i + 2] ?? '')) {
      // bash evaluates [[ x -eq y ]] operands as arithmetic, running $(...) inside a quoted value
      const close = text.slice(i).search(/\s\]\](\s|;|&|\||\)|$)/);
      refuseIn(i, close === -1 ? text.length : i + close, 'inside [[ ... ]] (bash evaluates its -eq operands as arithmetic, running $(...) in them); use [ ... ] instead');
    } else if (c === '#' && wordStart(i)) {
      const eol = text.indexOf('\n', i);
      i = refuseIn(i, eol === -1 ? text.length : eol, 'in a comment (a newline in the value would end the comment)');
      continue;
    } else if (c === '<' && next === '<' && text[i + 2] !== '<') {
      const doc = heredocStart(text, i + 2, spans);
      if (typeof doc === 'string') {
        loseTrack(doc);
        break;
      }
      heredocs.push(doc.doc);
      i = doc.end;
      continue;
    } else if (c === '<' && next === '<') {
      i += 3; // <<< here-string: the next word is an ordinary word
      continue;
    } else if (c === '\n' && heredocs.length > 0) {
      i = refuseIn(i + 1, heredocEnd(text, i + 1, heredocs.splice(0)), 'in a here-document (a line of the value could end it)');
      continue;
    }
    i++;
  }
  if (lost !== undefined) refuseIn(i, text.length, `after ${lost}, where mtafleet cannot follow the shell's quoting`);
  // Defence in depth: a template the walk stepped over was never judged plain text.
  spans.forEach((_s, k) => {
    if (out[k] === undefined && !placed.has(k)) out[k] = 'where mtafleet cannot follow the shell\'s quoting';
  });
  return out;
}

/** Reads a here-document's delimiter word after `<<`; a string when it cannot be followed. */
function heredocStart(text: string, at: number, spans: readonly Span[]): { doc: { delim: string; tabs: boolean }; end: number } | string {
  let i = at;
  const tabs = text[i] === '-';
  if (tabs) i++;
  while (text[i] === ' ' || text[i] === '\t') i++;
  const start = i;
  while (i < text.length && !/[\s;&|<>()]/.test(text[i])) i++;
  const word = text.slice(start, i);
  if (word === '' || spans.some((s) => s.start >= start && s.start < i) || /[$`]/.test(word)) return 'a here-document whose delimiter is not a plain word';
  return { doc: { delim: word.replace(/['"\\]/g, ''), tabs }, end: i };
}

/** Index just past the bodies of the pending here-documents that start at `at`. */
function heredocEnd(text: string, at: number, docs: Array<{ delim: string; tabs: boolean }>): number {
  let i = at;
  for (const doc of docs) {
    for (;;) {
      if (i >= text.length) return text.length;
      const eol = text.indexOf('\n', i);
      const lineEnd = eol === -1 ? text.length : eol;
      const line = text.slice(i, lineEnd);
      i = lineEnd + 1;
      if ((doc.tabs ? line.replace(/^\t+/, '') : line) === doc.delim) break;
    }
  }
  return Math.min(i, text.length);
}
