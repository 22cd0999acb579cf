/**
 * Checks every name and variable of the raw definitions (zod for the known connection
 * variables), types them (port a number, become a boolean, paths absolute) and wraps secrets.
 * Works in place on the raw definitions and reports every problem with its line and path.
 */
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { own } from '../util/dict.js';
import { Secret } from '../util/secret.js';
import type { Problem, RawGroup, RawVar } from './raw.js';
import { VaultedText } from './vault.js';
import { hasTemplate, isConnectionVar } from './templated.js';
import { PATH_VARS, VAR_ALIASES, checkKnownVar, isSecretVar, nameProblem, varNameProblem } from './schema.js';

export function validateDefinitions(groups: RawGroup[], baseDir: string): Problem[] {
  const problems: Problem[] = [];
  const checkVars = varChecker(baseDir, problems);
  for (const group of groups) {
    const groupProblem = nameProblem('group', group.name);
    if (groupProblem) problems.push({ ...group.at, message: groupProblem });
    checkVars(group.vars);
    for (const host of group.hosts) {
      const hostProblem = nameProblem('host', host.name);
      if (hostProblem) problems.push({ ...host.at, message: hostProblem });
      checkVars(host.vars);
    }
  }
  return problems;
}

/** Checks lists of variables (each list and variable once), pushing problems as found. */
export function varChecker(baseDir: string, problems: Problem[]): (vars: RawVar[]) => void {
  const seenVars = new WeakSet<RawVar>();
  const seenLists = new WeakSet<RawVar[]>();
  return (vars) => {
    if (seenLists.has(vars)) return; // expanded hosts share the variables of their line
    seenLists.add(vars);
    for (const v of vars) {
      if (seenVars.has(v)) continue;
      seenVars.add(v);
      const problem = checkVar(v, baseDir);
      if (problem) problems.push({ ...v.at, message: problem });
    }
    addCanonicalNames(vars);
  };
}

/** `ansible_ssh_host: x` also sets ansible_host, unless the same mapping sets it itself. */
function addCanonicalNames(vars: RawVar[]): void {
  const names = new Set(vars.map((v) => v.name));
  for (const v of [...vars]) {
    const canonical = own(VAR_ALIASES, v.name);
    if (canonical && !names.has(canonical)) vars.push({ name: canonical, value: v.value, at: v.at });
  }
}

function checkVar(v: RawVar, baseDir: string): string | undefined {
  const nameIssue = varNameProblem(v.name);
  if (nameIssue) return nameIssue;
  if (v.value instanceof VaultedText) return undefined; // a vault that did not open: already reported
  if (v.value instanceof Secret) return checkSecretVar(v, baseDir);
  // A templated connection variable is checked per host once resolved (resolve.ts).
  if (isConnectionVar(v.name) && hasTemplate(v.value)) return undefined;
  const checked = checkValue(v.name, v.value, baseDir);
  if (!checked.ok) return checked.message;
  v.value = checked.value;
  return undefined;
}

/**
 * Settings that steer mtafleet itself rather than say where to connect: from a vault they are
 * used (and shown) as their typed value, since code outside transport/ reads them as such.
 */
const PLAIN_FROM_VAULT = new Set(['ansible_become', 'ansible_group_priority', 'mtafleet_lock_path']);

/**
 * A value from Ansible Vault: a known variable is checked on its plaintext (messages show ***)
 * and stays a Secret (transport/ reveals it), but for the settings of PLAIN_FROM_VAULT.
 */
function checkSecretVar(v: RawVar, baseDir: string): string | undefined {
  const secret = v.value as Secret;
  const checked = checkKnownVar(v.name, secret.reveal());
  if (!checked.ok) return checked.message.replace(/, got .*$/s, ', got *** (a vault-encrypted value)');
  if (PLAIN_FROM_VAULT.has(v.name)) v.value = checked.value;
  else if (PATH_VARS.has(v.name) && typeof checked.value === 'string') v.value = new Secret(absolutePath(checked.value, baseDir));
  return undefined;
}

/** A variable's value checked (known variables), typed, made absolute (paths) and wrapped (secrets). */
export function checkValue(name: string, raw: unknown, baseDir: string): { ok: true; value: unknown } | { ok: false; message: string } {
  const checked = checkKnownVar(name, raw);
  if (!checked.ok) return checked;
  let value = checked.value;
  if (PATH_VARS.has(name) && typeof value === 'string') value = absolutePath(value, baseDir);
  return { ok: true, value: wrapSecrets(name, value) };
}

function absolutePath(path: string, baseDir: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return resolve(homedir(), path.slice(2));
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

/** Secret-named values become Secret, also inside mappings and lists (e.g. smtp: { password: ... }). */
export function wrapSecrets(name: string, value: unknown, inSecret = false): unknown {
  const secret = inSecret || isSecretVar(name);
  if (value instanceof Secret || value === null || value === undefined) return value;
  if (Array.isArray(value)) return value.map((item) => wrapSecrets(name, item, secret));
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, item]) => [k, wrapSecrets(k, item, secret)]));
  }
  return secret ? new Secret(String(value)) : value;
}
