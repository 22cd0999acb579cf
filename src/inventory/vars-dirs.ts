/**
 * Ansible's group_vars/ and host_vars/ next to the inventory file: for a group or host N,
 * the file N, N.yml, N.yaml or N.json, or every such file inside a directory N/ (sorted).
 * Existing Ansible inventories keep much of their variables there.
 */
import { readdir, stat } from 'node:fs/promises';
import { readInputText } from '../util/input-text.js';
import { extname, join } from 'node:path';
import type { Problem, RawVar } from './raw.js';
import { parseYamlVarsFile } from './yaml.js';
import { openVaultedText, revealVaultedVarLists, VaultError, type VaultKeyring } from './vault.js';

const EXTENSIONS = new Set(['', '.yml', '.yaml', '.json']);

export interface VarsFileSet {
  /** Variables per group or host name, files in the order Ansible reads them. */
  vars: Map<string, RawVar[]>;
  problems: Problem[];
}

/**
 * Reads `<baseDir>/<kind>/<name>...` for each name. `shown` turns an absolute path into the
 * form used in messages (relative to how the user named the inventory).
 */
export async function readVarsDir(baseDir: string, kind: 'group_vars' | 'host_vars', names: string[], shown: (abs: string) => string, vault?: VaultKeyring): Promise<VarsFileSet> {
  const dir = join(baseDir, kind);
  const result: VarsFileSet = { vars: new Map(), problems: [] };
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return result; // no such directory: nothing to add
  }
  const wanted = new Set(names);
  for (const entry of entries.sort()) {
    if (entry.startsWith('.')) continue;
    const ext = extname(entry);
    const stem = ext !== '' && EXTENSIONS.has(ext) ? entry.slice(0, -ext.length) : entry;
    const name = wanted.has(stem) ? stem : entry; // host names have dots: mta01.example.net
    if (!wanted.has(name)) continue;
    for (const file of await varsFilesUnder(join(dir, entry))) {
      const where = shown(file);
      let text: string;
      try {
        text = await readInputText(file, (why) => new Error(why));
      } catch (err) {
        result.problems.push({ line: 1, path: '', file: where, message: `cannot read: ${(err as Error).message}` });
        continue;
      }
      // Vault: a whole vaulted file is decrypted (every value in it a Secret); inline `!vault` values too.
      let vaulted = false;
      try {
        ({ text, vaulted } = openVaultedText(text, vault));
      } catch (err) {
        if (!(err instanceof VaultError)) throw err;
        result.problems.push({ line: 1, path: '', file: where, message: `Ansible Vault-encrypted file: ${err.message}` });
        continue;
      }
      const parsed = parseYamlVarsFile(text);
      // Parser messages may quote the text; from a vaulted file that text is secret.
      result.problems.push(...parsed.problems.map((p) => ({ ...p, file: where, ...(vaulted ? { message: 'the decrypted file cannot be read here (details not shown: the file is vault-encrypted; look with `ansible-vault view`)' } : {}) })));
      const vars = parsed.vars.map((v) => ({ ...v, at: { ...v.at, file: where } }));
      result.problems.push(...revealVaultedVarLists([vars], vault, vaulted));
      result.vars.set(name, [...(result.vars.get(name) ?? []), ...vars]);
    }
  }
  return result;
}

async function varsFilesUnder(path: string): Promise<string[]> {
  const info = await stat(path);
  if (info.isFile()) return [path];
  if (!info.isDirectory()) return [];
  const out: string[] = [];
  for (const entry of (await readdir(path)).sort()) {
    if (entry.startsWith('.') || entry.endsWith('~') || !EXTENSIONS.has(extname(entry))) continue;
    out.push(...(await varsFilesUnder(join(path, entry))));
  }
  return out;
}
