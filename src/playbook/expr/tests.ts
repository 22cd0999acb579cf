/** The fixed table of tests (`x is defined`, `result is changed`, `v is version(...)`). */
import { ExprError } from './parse.js';
import { type EvalContext, Undef, force, isObj } from './eval.js';
import { pythonRegex } from './regex.js';
import { ansibleTruthy, compare, contains, num, pyStr, pyTruthy, rev, show } from './values.js';

// ---- tests (`x is defined`) ----

export const TESTS = [
  'defined', 'undefined', 'none', 'string', 'number', 'integer', 'float', 'boolean', 'mapping', 'sequence', 'iterable', 'truthy', 'falsy',
  'match', 'search', 'in', 'even', 'odd', 'divisibleby', 'changed', 'failed', 'succeeded', 'success', 'skipped', 'version', 'version_compare',
] as const;

/** Python's LooseVersion parts: numbers and letter runs ("12.4a" -> [12, 4, 'a']). */
export function looseVersion(v: string): Array<number | string> {
  if (v.length > 200) throw new ExprError('a version is longer than 200 characters');
  return (v.match(/\d+|[a-z]+/gi) ?? []).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

export const VERSION_OPS: Record<string, (c: number) => boolean> = {
  '<': (c) => c < 0, lt: (c) => c < 0, '<=': (c) => c <= 0, le: (c) => c <= 0, '>': (c) => c > 0, gt: (c) => c > 0,
  '>=': (c) => c >= 0, ge: (c) => c >= 0, '==': (c) => c === 0, '=': (c) => c === 0, eq: (c) => c === 0,
  '!=': (c) => c !== 0, '<>': (c) => c !== 0, ne: (c) => c !== 0,
};

/** Ansible's `version` test with its default (loose) comparison. */
export function versionTest(value: unknown, args: unknown[]): boolean {
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
export function resultFlag(name: string, v: unknown): boolean {
  if (!isObj(v)) throw new ExprError(`the "${name}" test needs a registered result (register: name), not ${show(v)}`);
  const flag = (k: string) => Object.hasOwn(v, k) && ansibleTruthy(v[k]);
  if (name === 'changed') return flag('changed');
  if (name === 'skipped') return flag('skipped');
  const failed = flag('failed') || flag('refused');
  return name === 'failed' ? failed : !failed;
}

export function applyTest(name: string, input: unknown, args: unknown[], ctx: EvalContext): boolean {
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
