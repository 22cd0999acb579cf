/**
 * Which files of an inventory directory Ansible 2.14 reads (inventory/manager.py `parse_source`):
 * every entry in name order, subdirectories recursively, except names matching IGNORED —
 * hidden files, host_vars, group_vars, vars_plugins, and the extensions of
 * INVENTORY_IGNORE_EXTS (REJECT_EXTS + .orig .ini .cfg .retry: yes, `.ini` files in an
 * inventory directory are ignored by default).
 */
import { access, constants, readdir, realpath, stat } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const IGNORED_ALWAYS = [/^\./, /^host_vars$/, /^group_vars$/, /^vars_plugins$/];
const IGNORED_EXTS = ['.pyc', '.pyo', '.swp', '.bak', '~', '.rpm', '.md', '.txt', '.rst', '.orig', '.ini', '.cfg', '.retry'];

export const IGNORED_DESCRIPTION = `hidden files, group_vars/, host_vars/, vars_plugins/ and names ending in ${IGNORED_EXTS.join(' ')}`;

export function ignoredInInventoryDir(name: string): boolean {
  return IGNORED_ALWAYS.some((re) => re.test(name)) || IGNORED_EXTS.some((ext) => name.endsWith(ext));
}

export interface DirSources {
  /** Inventory files to read, in Ansible's order. */
  sources: string[];
  /** Files mtafleet will not read, with why (an executable is an inventory script to Ansible). */
  refused: Array<{ file: string; why: string }>;
}

export async function inventoryDirSources(dir: string, within: Set<string> = new Set()): Promise<DirSources> {
  const out: DirSources = { sources: [], refused: [] };
  const real = await realpath(dir);
  if (within.has(real)) {
    out.refused.push({ file: dir, why: 'is a link back to a directory that contains it (a loop); remove the link' });
    return out;
  }
  const entries = (await readdir(dir)).sort(); // Python sorts names by code point, as JS does
  for (const name of entries) {
    if (ignoredInInventoryDir(name)) continue;
    const path = join(dir, name);
    const info = await stat(path);
    if (info.isDirectory()) {
      const sub = await inventoryDirSources(path, new Set([...within, real]));
      out.sources.push(...sub.sources);
      out.refused.push(...sub.refused);
    } else if (info.isFile()) {
      if (await isExecutable(path)) {
        out.refused.push({ file: path, why: 'is executable: Ansible would run it as an inventory script; mtafleet does not run inventory scripts (remove its execute bit if it is a plain inventory file)' });
      } else {
        out.sources.push(path);
      }
    }
  }
  return out;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The bytes a plan's inventory fingerprint covers: the file itself, or for a directory each
 * inventory file read (its path inside the directory, then its bytes), so that a plan made
 * from `-i DIR` is refused at apply when any of them changed.
 */
export function inventoryBytes(inv: { file: string; sources?: string[] }): Buffer {
  if (!inv.sources) return readFileSync(inv.file);
  const parts: Buffer[] = [];
  for (const source of inv.sources) {
    const content = readFileSync(source);
    parts.push(Buffer.from(`${relative(inv.file, source)}\0${content.length}\0`), content);
  }
  return Buffer.concat(parts);
}
