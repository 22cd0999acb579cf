/**
 * A play's `vars_files:` (Ansible): YAML mappings next to the playbook, read at load, merged
 * over the play's `vars:` (later files win, as in Ansible). An entry that is a list names
 * alternatives: the first that exists is read. A templated file name is refused (it would
 * depend on the host); every file read is part of the playbook's digest, so a plan file
 * records it and `apply` refuses a plan whose vars files changed.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { dict } from '../util/dict.js';
import { readInputTextSync } from '../util/input-text.js';
import { ansibleYamlOptions } from '../util/yaml-ansible.js';
import { hasTemplate } from './template.js';

export interface VarsFileRead {
  path: string;
  text: string;
}

export type VarsFilesResult = { vars: Record<string, unknown>; read: VarsFileRead[]; problems: Array<{ index: number; message: string }> };

export function readVarsFiles(playbookFile: string, entries: Array<string | string[]>): VarsFilesResult {
  const out: VarsFilesResult = { vars: dict<unknown>(), read: [], problems: [] };
  entries.forEach((entry, index) => {
    const names = Array.isArray(entry) ? entry : [entry];
    if (names.some((n) => hasTemplate(n))) {
      out.problems.push({ index, message: 'a templated vars_files name is not supported (it would differ per host): name the file, or pass the values with -e @FILE' });
      return;
    }
    const paths = names.map((n) => (isAbsolute(n) ? n : resolve(dirname(playbookFile), n)));
    const path = Array.isArray(entry) ? paths.find((p) => existsSync(p)) : paths[0];
    if (path === undefined) {
      out.problems.push({ index, message: `none of ${names.join(', ')} exists` });
      return;
    }
    let text: string;
    try {
      text = readInputTextSync(path, (why) => new Error(why));
    } catch (err) {
      out.problems.push({ index, message: `cannot read ${path}: ${(err as Error).message}` });
      return;
    }
    const lines = new LineCounter();
    const doc = parseDocument(text, ansibleYamlOptions(lines));
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      out.problems.push({ index, message: `${path}:${lines.linePos(e.pos[0]).line}: not valid YAML: ${e.message.split('\n')[0]}` });
      return;
    }
    let data: unknown;
    try {
      data = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      out.problems.push({ index, message: `${path}: not usable: ${(err as Error).message.split('\n')[0]}` });
      return;
    }
    if (data === null || data === undefined) data = {};
    if (typeof data !== 'object' || Array.isArray(data)) {
      out.problems.push({ index, message: `${path}: must be a mapping of variable names to values` });
      return;
    }
    for (const [k, v] of Object.entries(data as Record<string, unknown>)) out.vars[k] = v;
    out.read.push({ path, text });
  });
  return out;
}
