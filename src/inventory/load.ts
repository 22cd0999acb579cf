/**
 * loadInventory: the edge where an inventory file becomes a validated Inventory.
 * Reads the file, picks the format, parses, validates, resolves, and turns every problem
 * into one InventoryError naming file, line and path.
 */
import { stat } from 'node:fs/promises';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { InventoryError } from '../util/errors.js';
import { readInputText } from '../util/input-text.js';
import { parseIniInventory } from './ini.js';
import { IGNORED_DESCRIPTION, inventoryDirSources } from './inventory-dir.js';
import type { ParseResult, Problem, RawGroup } from './raw.js';
import { resolveInventory, type VarsLayers } from './resolve.js';
import type { Inventory } from './types.js';
import { validateDefinitions, varChecker } from './validate.js';
import { readVarsDir } from './vars-dirs.js';
import { openVaultedText, revealVaultedVarLists, VaultError, type VaultKeyring } from './vault.js';
import { parseYamlInventory } from './yaml.js';

const MAX_REPORTED = 20;

export type InventoryFormat = 'yaml' | 'ini';

export interface LoadOptions {
  /** Ansible Vault passwords (--vault-password-file, ...): vaulted files and `!vault` values. */
  vault?: VaultKeyring;
}

/**
 * Loads and validates an inventory file (YAML or INI), with the group_vars/ and host_vars/
 * directories next to it. Every problem found is reported in one InventoryError.
 */
export async function loadInventory(file: string, options: LoadOptions = {}): Promise<Inventory> {
  const absolute = resolve(file);
  const dir = await readInventoryDir(file, absolute, options); // -i DIR: see the end of this file
  const text = dir ? '' : await readInventoryText(file, absolute);
  const baseDir = dir ? absolute : dirname(absolute);
  const { groups, problems } = dir ?? parseAndValidate(text, file, baseDir, options);
  const groupNames = ['all', 'ungrouped', ...groups.map((g) => g.name)];
  const hostNames = groups.flatMap((g) => g.hosts.map((h) => h.name));
  const shown = (abs: string) => join(dir ? file : dirname(file), relative(baseDir, abs));
  const groupVars = await readVarsDir(baseDir, 'group_vars', groupNames, shown, options.vault);
  const hostVars = await readVarsDir(baseDir, 'host_vars', hostNames, shown, options.vault);
  problems.push(...groupVars.problems, ...hostVars.problems);
  const checkVars = varChecker(baseDir, problems);
  for (const vars of [...groupVars.vars.values(), ...hostVars.vars.values()]) checkVars(vars);
  const inventory = finish(file, absolute, groups, problems, { groupVars: groupVars.vars, hostVars: hostVars.vars }, baseDir);
  if (dir) inventory.sources = dir.sources;
  return inventory;
}

/** Parses inventory text as if read from `file`, without group_vars/ and host_vars/. */
export function parseInventory(text: string, file: string, absolute = resolve(file), options: LoadOptions = {}): Inventory {
  const { groups, problems } = parseAndValidate(text, file, dirname(absolute), options);
  return finish(file, absolute, groups, problems);
}

async function readInventoryText(file: string, absolute: string): Promise<string> {
  try {
    return await readInputText(absolute, (why) => new InventoryError(`cannot read inventory file "${file}": ${why}`));
  } catch (err) {
    if (err instanceof InventoryError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new InventoryError(`cannot read inventory file "${file}": ${why}`, { cause: err });
  }
}

function parseAndValidate(text: string, file: string, baseDir: string, options: LoadOptions, known?: Set<string>): { groups: RawGroup[]; problems: Problem[] } {
  const opened = openInventoryVault(text, file, options);
  const parsed: ParseResult = detectFormat(file, opened.text) === 'yaml' ? parseYamlInventory(opened.text) : parseIniInventory(opened.text, known);
  // Vault: inline `!vault` values become Secret (a whole vaulted file: every value) before validation.
  const varLists = parsed.groups.flatMap((g) => [g.vars, ...g.hosts.map((h) => h.vars)]);
  const vaultProblems = revealVaultedVarLists(varLists, options.vault, opened.vaulted);
  // Parser messages may quote the text; from a vaulted file that text is secret.
  const parseProblems = opened.vaulted ? parsed.problems.map((p) => ({ ...p, message: VAULTED_PARSE_PROBLEM })) : parsed.problems;
  return { groups: parsed.groups, problems: [...parseProblems, ...vaultProblems, ...validateDefinitions(parsed.groups, baseDir)] };
}

export const VAULTED_PARSE_PROBLEM = 'the decrypted inventory cannot be read here (details not shown: the file is vault-encrypted; look with `ansible-vault view`)';

/** A whole vaulted inventory file, decrypted; without (the right) password, an error naming the file. */
function openInventoryVault(text: string, file: string, options: LoadOptions): { text: string; vaulted: boolean } {
  try {
    return openVaultedText(text, options.vault);
  } catch (err) {
    if (err instanceof VaultError) throw new InventoryError(`inventory file "${file}" is encrypted with Ansible Vault: ${err.message}`);
    throw err;
  }
}

function finish(file: string, absolute: string, groups: RawGroup[], problems: Problem[], layers?: VarsLayers, baseDir = dirname(absolute)): Inventory {
  if (problems.length === 0) {
    const resolved = resolveInventory(absolute, groups, layers, baseDir);
    if (resolved.problems.length === 0) return resolved.inventory;
    problems.push(...resolved.problems);
  }
  throw new InventoryError(formatProblems(file, problems));
}

export function detectFormat(file: string, text: string): InventoryFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.yaml' || ext === '.yml' || ext === '.json') return 'yaml';
  if (ext === '.ini' || ext === '.cfg') return 'ini';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    if (/^\[[^\]]+\]\s*([#;].*)?$/.test(line)) return 'ini';
    if (line === '---' || line.startsWith('{') || /^[^\s=]+:(\s|$)/.test(line)) return 'yaml';
    return 'ini';
  }
  return 'yaml';
}

export function formatProblems(file: string, problems: Problem[]): string {
  // The inventory's own problems first, then those of group_vars/ and host_vars/ files.
  const sorted = [...problems].sort((a, b) => (a.file ?? '').localeCompare(b.file ?? '') || a.line - b.line);
  const lines = sorted.slice(0, MAX_REPORTED).map((p) => `${p.file ?? file}:${p.line}: ${p.path ? `${visible(p.path)}: ` : ''}${p.message}`);
  if (sorted.length === 1) return `invalid inventory: ${lines[0]}`;
  const more = sorted.length > MAX_REPORTED ? [`  ... and ${sorted.length - MAX_REPORTED} more`] : [];
  return [`invalid inventory "${file}": ${sorted.length} problems`, ...lines.map((l) => `  ${l}`), ...more].join('\n');
}

/** A path built from hostile names must not break the message into fake lines. */
function visible(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
}

// --- Inventory directories (-i DIR) ---------------------------------------------------------

/**
 * `-i DIR`, as Ansible reads an inventory directory: every file in it and in its
 * subdirectories, in name order, except what Ansible ignores (inventory-dir.ts); their groups
 * and variables merge as one inventory (a later file's value wins); group_vars/ and host_vars/
 * are those inside DIR. Undefined when `absolute` is not a directory.
 */
async function readInventoryDir(file: string, absolute: string, options: LoadOptions): Promise<{ groups: RawGroup[]; problems: Problem[]; sources: string[] } | undefined> {
  if (!(await isDirectory(absolute))) return undefined;
  const { sources, refused } = await inventoryDirSources(absolute);
  const shownOf = (abs: string) => join(file, relative(absolute, abs));
  const problems: Problem[] = refused.map((r) => ({ line: 1, path: '', file: shownOf(r.file), message: r.why }));
  if (sources.length === 0 && problems.length === 0) {
    throw new InventoryError(`inventory directory "${file}" holds no inventory file (Ansible ignores ${IGNORED_DESCRIPTION})`);
  }
  const groups: RawGroup[] = [];
  for (const source of sources) {
    const shown = shownOf(source);
    const text = await readInventoryText(shown, source);
    const known = new Set(groups.map((g) => g.name)); // groups of earlier files count as defined, as in Ansible
    const parsed = parseAndValidate(text, shown, dirname(source), options, known);
    groups.push(...parsed.groups);
    problems.push(...parsed.problems.map((p) => ({ ...p, file: p.file ?? shown })));
  }
  return { groups, problems, sources };
}

async function isDirectory(absolute: string): Promise<boolean> {
  try {
    return (await stat(absolute)).isDirectory();
  } catch {
    return false; // readInventoryText reports what is wrong with it
  }
}
