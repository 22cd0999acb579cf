/**
 * `-e` as Ansible takes it: `key=value`, `@FILE` (a YAML or JSON mapping), or an inline
 * mapping (`-e '{"k": 1}'`, YAML 1.1 as Ansible reads it). Repeatable; later wins.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { LineCounter, parseDocument } from 'yaml';
import { dict } from '../util/dict.js';
import { ansibleYamlOptions } from '../util/yaml-ansible.js';

/** Variables files are small; a bigger one is a mistake (or not a vars file). */
const MAX_VARS_FILE = 4 * 1024 * 1024;

export function collectExtraVar(value: string, previous: Record<string, unknown>): Record<string, unknown> {
  const out = dict<unknown>();
  Object.assign(out, previous);
  if (value.startsWith('@')) return mergeInto(out, mapping(readVarsFile(value.slice(1)), value.slice(1)));
  if (/^\s*[{[]/.test(value)) return mergeInto(out, mapping(value, 'the -e value'));
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`-e expects key=value, @FILE or a {...} mapping, got "${value.slice(0, 80)}"`);
  out[value.slice(0, eq)] = value.slice(eq + 1);
  return out;
}

function readVarsFile(path: string): string {
  if (path === '') throw new InvalidArgumentError('-e @ needs a file name (-e @vars.yml)');
  let text: Buffer;
  try {
    text = readFileSync(path);
  } catch (err) {
    throw new InvalidArgumentError(`-e @${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (text.length > MAX_VARS_FILE) throw new InvalidArgumentError(`-e @${path}: larger than ${MAX_VARS_FILE / 1024 / 1024} MiB; not a variables file`);
  return text.toString('utf8');
}

/** A YAML/JSON text that must hold one mapping of variable names to values. */
function mapping(text: string, where: string): Record<string, unknown> {
  const lines = new LineCounter();
  const doc = parseDocument(text, ansibleYamlOptions(lines));
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new InvalidArgumentError(`${where}:${lines.linePos(e.pos[0]).line}: not valid YAML or JSON: ${e.message.split('\n')[0]}`);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new InvalidArgumentError(`${where}: not usable: ${(err as Error).message.split('\n')[0]}`);
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new InvalidArgumentError(`${where}: must be a mapping of variable names to values, not ${Array.isArray(data) ? 'a list' : typeof data}`);
  for (const key of Object.keys(data)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new InvalidArgumentError(`${where}: "${key.slice(0, 60)}" is not a variable name`);
  }
  return data as Record<string, unknown>;
}

function mergeInto(out: Record<string, unknown>, vars: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(vars)) out[k] = v;
  return out;
}
