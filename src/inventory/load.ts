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
import { parseYamlInventory } from './yaml.js';

const MAX_REPORTED = 20;

export type InventoryFormat = 'yaml' | 'ini';

/**
 * Loads and validates an inventory file (YAML or INI), with the group_vars/ and host_vars/
 * directories next to it. Every problem found is reported in one InventoryError.
 */
export async function loadInventory(file: string): Promise<Inventory> {
  const absolute = resolve(file);
  const dir = await readInventoryDir(file, absolute); // -i DIR: see the end of this file
  const text = dir ? '' : await readInventoryText(file, absolute);
  const baseDir = dir ? absolute : dirname(absolute);
  const { groups, problems } = dir ?? parseAndValidate(text, file, baseDir);
  const groupNames = ['all', 'ungrouped', ...groups.map((g) => g.name)];
  const hostNames = groups.flatMap((g) => g.hosts.map((h) => h.name));
  const shown = (abs: string) => join(dir ? file : dirname(file), relative(baseDir, abs));
  const groupVars = await readVarsDir(baseDir, 'group_vars', groupNames, shown);
  const hostVars = await readVarsDir(baseDir, 'host_vars', hostNames, shown);
  problems.push(...groupVars.problems, ...hostVars.problems);
  const checkVars = varChecker(baseDir, problems);
  for (const vars of [...groupVars.vars.values(), ...hostVars.vars.values()]) checkVars(vars);
  const inventory = finish(file, absolute, groups, problems, { groupVars: groupVars.vars, hostVars: hostVars.vars }, baseDir);
  if (dir) inventory.sources = dir.sources;
  return inventory;
}

/** Parses inventory text as if read from `file`, without group_vars/ and host_vars/. */
export function parseInventory(text: string, file: string, absolute = resolve(file)): Inventory {
  const { groups, problems } = parseAndValidate(text, file, dirname(absolute));
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

function parseAndValidate(text: string, file: string, baseDir: string, known?: Set<string>): { groups: RawGroup[]; problems: Problem[] } {
  const parsed: ParseResult = detectFormat(file, text) === 'yaml' ? parseYamlInventory(text) : parseIniInventory(text, known);
  return { groups: parsed.groups, problems: [...parsed.problems, ...validateDefinitions(parsed.groups, baseDir)] };
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
async function readInventoryDir(file: string, absolute: string): Promise<{ groups: RawGroup[]; problems: Problem[]; sources: string[] } | undefined> {
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
    const parsed = parseAndValidate(text, shown, dirname(source), known);
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
