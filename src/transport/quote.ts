/**
 * The one place where values become remote shell text. Remote shells may be dash, so only
 * POSIX single quotes are used ('\'' for a quote inside). A Command is a value: it can only
 * be built by argv(), sh`...` (every interpolation quoted) or script() for constant text
 * shipped with mtafleet, so user input never reaches a shell unquoted.
 */
const brand: unique symbol = Symbol('Command');

export interface Command {
  readonly [brand]: true;
  /** The shell text, ready for `sh -c`. */
  readonly text: string;
}

function make(text: string): Command {
  return Object.freeze({ [brand]: true as const, text });
}

export function isCommand(value: unknown): value is Command {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

/** Quote one argument for a POSIX shell. NUL cannot be passed to a process and is refused. */
export function quote(arg: string | number): string {
  const s = String(arg);
  if (s.includes('\0')) throw new TypeError('a shell argument cannot contain a NUL byte');
  if (s !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return singleQuoted(s);
}

function singleQuoted(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * A command from an argv array: every element quoted. A program name such as `A=b` would be
 * read as an assignment (then the next word runs), so a first word with `=` is always quoted.
 */
export function argv(...args: Array<string | number>): Command {
  if (args.length === 0) throw new TypeError('argv() needs at least the program name');
  const words = args.map(quote);
  if (String(args[0]).includes('=')) words[0] = singleQuoted(String(args[0]));
  return make(words.join(' '));
}

type Interpolated = string | number | Command | ReadonlyArray<string | number>;

/**
 * Tagged template: literal parts are trusted shell text written in mtafleet's source;
 * interpolated strings/numbers are quoted, arrays become quoted words, Commands are
 * inserted as they are (they were built safely).
 */
export function sh(parts: TemplateStringsArray, ...values: Interpolated[]): Command {
  let text = parts[0] ?? '';
  values.forEach((value, i) => {
    text += render(value) + (parts[i + 1] ?? '');
  });
  return make(text);
}

function render(value: Interpolated): string {
  if (isCommand(value)) return value.text;
  if (Array.isArray(value)) return value.map((v) => quote(v)).join(' ');
  return quote(value as string | number);
}

/** Join commands with a shell operator (&&, ;, |). */
export function join(op: '&&' | ';' | '||' | '|', ...commands: Command[]): Command {
  return make(commands.map((c) => c.text).join(` ${op} `));
}

/**
 * A constant script shipped with mtafleet (probe scripts, helper scripts). Never pass
 * anything derived from user input here: use sh`` or argv() for that.
 */
export function script(text: string): Command {
  return make(text);
}
