/**
 * `changed_when` / `failed_when` on command/shell tasks (Ansible): conditions in the `when`
 * language over the command's own result, read under the task's `register` name (`result.rc`,
 * `result.stdout`, `result.stderr`, `result.stdout_lines`, `result.stderr_lines`). Parsed at
 * load; the other variables a condition reads are captured when the task is planned (and kept
 * in the plan), so `apply` judges the result from the plan file alone. The result is host
 * output: bounded text in a null-prototype record of fixed keys, never a key itself.
 */
import { dict } from '../util/dict.js';
import { Secret } from '../util/secret.js';
import { varNames } from './expr/index.js';
import type { Vars } from './template.js';
import type { ResultCondition } from './types.js';
import { WhenError, evalWhen, parseWhen, truthy, type Expr } from './when.js';

/** How much of each stream a condition sees (the transport caps what is read at all). */
export const MAX_RESULT_TEXT = 1024 * 1024;
const MAX_LINES = 100_000;

type Problem = (path: Array<string | number>, message: string) => void;
type ConditionValue = string | boolean | Array<string | boolean>;

/** Parses changed_when / failed_when of a task; they go with command/shell only. */
export function resultConditions(
  kind: string,
  meta: { changed_when?: ConditionValue; failed_when?: ConditionValue },
  problem: Problem,
): { changedWhen?: ResultCondition; failedWhen?: ResultCondition } {
  const out: { changedWhen?: ResultCondition; failedWhen?: ResultCondition } = {};
  for (const [key, field] of [['changed_when', 'changedWhen'], ['failed_when', 'failedWhen']] as const) {
    const value = meta[key];
    if (value === undefined) continue;
    if (kind !== 'command') {
      problem([key], `not supported by mtafleet: ${key} on a ${kind} task — ${kind} observes the host and knows what it changed; ${key} goes with command: and shell: tasks`);
      continue;
    }
    const list = Array.isArray(value) ? value : [value];
    const cond: ResultCondition = { text: [], exprs: [] };
    list.forEach((v, j) => {
      const text = String(v);
      try {
        cond.exprs.push(typeof v === 'boolean' ? { t: 'lit', v } : parseWhen(text.replace(/^\s*\{\{\s*|\s*\}\}\s*$/g, '')));
        cond.text.push(text);
      } catch (err) {
        if (!(err instanceof WhenError)) throw err;
        problem([key, ...(Array.isArray(value) ? [j] : [])], `invalid condition: ${err.message}`);
      }
    });
    out[field] = cond;
  }
  return out;
}

/** What a plan keeps of a task's result conditions: their texts, the register name, the other variables they read. */
export interface ResultCheck {
  changedWhen?: string[];
  failedWhen?: string[];
  register?: string;
  vars?: Record<string, unknown>;
}

/** `changed_when: false` (a condition literally false): the command never reports a change. */
export function neverChanges(c: ResultCondition | undefined): boolean {
  return c !== undefined && c.exprs.some((e) => e.t === 'lit' && e.v === false);
}

/** neverChanges from the texts a plan records. */
export function textsNeverChange(texts: string[] | undefined): boolean {
  return (texts ?? []).some((t) => {
    try {
      const e = parseWhen(t.replace(/^\s*\{\{\s*|\s*\}\}\s*$/g, ''));
      return e.t === 'lit' && e.v === false;
    } catch {
      return false;
    }
  });
}

/**
 * The check a plan records for a task: the variables its conditions read other than the
 * result itself, with their values for this host now. A secret is refused (plans never hold one).
 */
export function resultCheck(def: { changedWhen?: ResultCondition; failedWhen?: ResultCondition; register?: string; name: string }, vars: Vars): ResultCheck | undefined {
  if (!def.changedWhen && !def.failedWhen) return undefined;
  const names = new Set<string>();
  for (const e of [...(def.changedWhen?.exprs ?? []), ...(def.failedWhen?.exprs ?? [])]) varNames(e, names);
  if (def.register !== undefined) names.delete(def.register);
  const captured = dict<unknown>();
  for (const name of [...names].sort()) {
    let value: unknown;
    try {
      value = evalWhen({ t: 'var', name }, vars);
    } catch {
      continue; // undefined now: judging the result says so, as Ansible would
    }
    if (value instanceof Secret || JSON.stringify(value, (_k, v: unknown) => (v instanceof Secret ? '\u0000secret' : v))?.includes('\u0000secret')) {
      throw new WhenError(`task "${def.name}": changed_when/failed_when reads the secret ${name}; a plan never holds a secret — compare it in when: instead`);
    }
    captured[name] = value === undefined ? null : JSON.parse(JSON.stringify(value));
  }
  return {
    ...(def.changedWhen ? { changedWhen: def.changedWhen.text } : {}),
    ...(def.failedWhen ? { failedWhen: def.failedWhen.text } : {}),
    ...(def.register !== undefined ? { register: def.register } : {}),
    ...(Object.keys(captured).length > 0 ? { vars: { ...captured } } : {}),
  };
}

export interface CommandOutcome {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** The registered result of a command: fixed keys, bounded text (host output is hostile). */
export function commandResult(r: CommandOutcome, changed: boolean, failed: boolean): Record<string, unknown> {
  const clip = (s: string) => (s.length > MAX_RESULT_TEXT ? s.slice(0, MAX_RESULT_TEXT) : s);
  const stdout = clip(r.stdout).replace(/\n$/, '');
  const stderr = clip(r.stderr).replace(/\n$/, '');
  const lines = (s: string) => (s === '' ? [] : s.split('\n').slice(0, MAX_LINES));
  const out = dict<unknown>();
  out.rc = r.exitCode;
  out.stdout = stdout;
  out.stderr = stderr;
  out.stdout_lines = lines(stdout);
  out.stderr_lines = lines(stderr);
  out.changed = changed;
  out.failed = failed;
  out.skipped = false;
  return out;
}

const parsed = (texts: string[]): Expr[] => texts.map((t) => (t === 'true' || t === 'false' ? { t: 'lit', v: t === 'true' } : parseWhen(t.replace(/^\s*\{\{\s*|\s*\}\}\s*$/g, ''))));

/**
 * Ansible's order: changed_when first (default: changed), then failed_when (default: a
 * non-zero exit code or a signal); failed_when sees `changed` as just decided. Returns why the
 * task failed (undefined: it did not) and whether it changed something.
 */
export function judgeResult(check: ResultCheck, r: CommandOutcome): { changed: boolean; failed?: string } {
  const name = check.register ?? 'result';
  const vars = (changed: boolean, failed: boolean): Vars => ({ ...(check.vars ?? {}), [name]: commandResult(r, changed, failed) });
  const rcFailed = r.exitCode !== 0;
  const holds = (texts: string[], v: Vars): boolean => parsed(texts).every((e) => truthy(evalWhen(e, v)));
  let changed = true;
  try {
    if (check.changedWhen) changed = holds(check.changedWhen, vars(true, rcFailed));
  } catch (err) {
    if (err instanceof WhenError) return { changed: false, failed: `changed_when: ${err.message}` };
    throw err;
  }
  if (!check.failedWhen) return { changed, ...(rcFailed ? { failed: r.exitCode === null ? 'killed by a signal' : `exit ${r.exitCode}` } : {}) };
  try {
    return holds(check.failedWhen, vars(changed, rcFailed))
      ? { changed, failed: `failed_when ${check.failedWhen.join(' and ')} is true (exit ${r.exitCode ?? 'signal'})` }
      : { changed };
  } catch (err) {
    if (err instanceof WhenError) return { changed, failed: `failed_when: ${err.message}` };
    throw err;
  }
}
