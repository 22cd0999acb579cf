/**
 * Which step params are shell text: a command step's `cmd` and `unless` (run by `sh -c`), and
 * in its `argv` the script of a shell run with -c (`sh -c TEXT`, `env X=1 bash -ec TEXT`,
 * `sudo sh -c TEXT`, `su -c TEXT`). Their templates are rendered as quoted words
 * (renderShellText); items after the script are positional parameters, plain data.
 */
import { DASH_C, RUNS_ARGS, SHELLS, basename } from './shell-context.js';
import { shellTextProblem, templateSpans } from './template.js';

export type ParamPath = Array<string | number>;

export interface ShellFields {
  /** Params holding shell text, with their text before rendering. */
  fields: Array<{ path: ParamPath; text: string }>;
  /** Templates that cannot be made safe wherever they are (a shell's options). */
  problems: Array<{ path: ParamPath; message: string }>;
}

/**
 * `raw` gives the texts (templates unrendered); `shape` the argv used to find the shell's
 * script: the rendered argv once known (a templated program name), else the raw one.
 */
export function shellFields(kind: string, raw: unknown, shape: unknown = raw): ShellFields {
  const out: ShellFields = { fields: [], problems: [] };
  if (kind !== 'command' || !isRecord(raw)) return out;
  for (const key of ['cmd', 'unless']) {
    if (typeof raw[key] === 'string') out.fields.push({ path: [key], text: raw[key] as string });
  }
  const argv: unknown[] | undefined = isRecord(shape) && Array.isArray(shape.argv) ? shape.argv : undefined;
  const rawArgv: unknown[] | undefined = Array.isArray(raw.argv) ? raw.argv : undefined;
  if (!rawArgv || !argv) return out;
  let inShell = false;
  let runner: string | undefined;
  argv.forEach((item, j) => {
    const text = rawArgv[j];
    if (typeof text !== 'string') return;
    if (runner !== undefined && templateSpans(text).length > 0) {
      out.problems.push({ path: ['argv', j], message: `${firstTemplate(text)} is in an argument of ${runner}, which ${RUNS_ARGS.get(runner)}` });
    } else if (inShell && j > 0 && DASH_C.test(String(argv[j - 1]))) {
      out.fields.push({ path: ['argv', j], text });
      inShell = false; // what follows the script are its positional parameters
    } else if (inShell && text.startsWith('-') && templateSpans(text).length > 0) {
      out.problems.push({
        path: ['argv', j],
        message: `${firstTemplate(text)} is in a shell's options (${text}), where it could become shell text; pass the value as a positional argument after the -c script`,
      });
    }
    if (typeof item === 'string' && SHELLS.has(basename(item))) inShell = true;
    if (typeof item === 'string' && RUNS_ARGS.has(basename(item))) runner ??= basename(item);
  });
  return out;
}

/** Load-time check of shell-text params: every template must sit in plain command text. */
export function shellFieldProblems(kind: string, raw: unknown): Array<{ path: ParamPath; message: string }> {
  const { fields, problems } = shellFields(kind, raw);
  const found = [...problems];
  for (const f of fields) {
    const why = shellTextProblem(f.text);
    if (why !== undefined) found.push({ path: f.path, message: why });
  }
  return found;
}

function firstTemplate(text: string): string {
  const [span] = templateSpans(text);
  return span ? text.slice(span.start, span.end) : text;
}

function isRecord(v: unknown): v is Record<string, unknown> & { argv?: unknown } {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
