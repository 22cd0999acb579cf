/**
 * `- import_playbook: other.yml` at a playbook's top level (Ansible): the other file's plays
 * become plays of the run, in order, where the import stands. The name is relative to the
 * importing file; imports nest; a file importing itself (directly or through others) is a
 * cycle, named file by file. Read at load, like vars_files: every imported file's text is part
 * of the playbook's digest (load.ts), so a plan refuses an edit to any of them.
 */
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { PlaybookError } from '../util/errors.js';
import { readInputTextSync } from '../util/input-text.js';
import { YamlSource } from './source.js';
import { hasTemplate } from './template.js';

export type ImportEntry = { kind: 'import'; src: YamlSource; text: string } | { kind: 'problem'; key: string; message: string };

/** Keys Ansible allows beside import_playbook that mtafleet has no meaning for. */
const REFUSED: Record<string, string> = {
  vars: 'put the variables in the imported plays (vars:) or pass them with -e',
  when: 'put when: on the imported tasks',
  tags: 'put tags: on the imported tasks',
};

export function isImport(raw: unknown): raw is Record<string, unknown> {
  return raw !== null && typeof raw === 'object' && !Array.isArray(raw) && Object.hasOwn(raw, 'import_playbook');
}

/** Reads the file an entry imports; `stack` holds the files importing it (outermost first). */
export function readImport(entry: Record<string, unknown>, importer: string, stack: readonly string[]): ImportEntry[] {
  const out: ImportEntry[] = [];
  for (const key of Object.keys(entry)) {
    if (key === 'import_playbook' || key === 'name') continue;
    out.push({
      kind: 'problem',
      key,
      message: Object.hasOwn(REFUSED, key) ? `not supported by mtafleet: ${key} on import_playbook — ${REFUSED[key]}` : `unknown key "${key}" beside import_playbook (only name: goes with it)`,
    });
  }
  const name = entry.import_playbook;
  if (typeof name !== 'string' || name.trim() === '') return [...out, { kind: 'problem', key: 'import_playbook', message: 'must name a playbook file' }];
  if (hasTemplate(name)) return [...out, { kind: 'problem', key: 'import_playbook', message: 'a templated file name is not supported (imports are read before any variable is known): name the file' }];
  if (out.length > 0) return out;
  const path = isAbsolute(name) ? name : resolve(dirname(importer), name);
  const chainSoFar = [...stack, importer];
  const at = chainSoFar.indexOf(path);
  if (at !== -1) {
    const chain = [...chainSoFar.slice(at), path].map((f) => shortPath(f, chainSoFar[0]));
    return [{ kind: 'problem', key: 'import_playbook', message: `import cycle: ${chain.join(' -> ')}` }];
  }
  let text: string;
  try {
    text = readInputTextSync(path, (why) => new Error(why));
  } catch (err) {
    return [{ kind: 'problem', key: 'import_playbook', message: `cannot read ${path}: ${(err as Error).message}` }];
  }
  try {
    return [{ kind: 'import', src: YamlSource.parse(path, text), text }];
  } catch (err) {
    if (err instanceof PlaybookError) return [{ kind: 'problem', key: 'import_playbook', message: `the imported playbook is not valid: ${err.message}` }];
    throw err;
  }
}

function shortPath(file: string, root: string): string {
  const rel = relative(dirname(root), file);
  return rel.startsWith('..') ? file : rel;
}
