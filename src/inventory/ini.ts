/**
 * Ansible's INI inventory format -> RawGroup definitions with line numbers.
 * `[group]` host lines (`host key=value ...`), `[group:vars]` (`key=value`),
 * `[group:children]` (group names); `#` and `;` start comment lines; hosts before any section
 * are `ungrouped`. Values are typed as Ansible 2.14 does: each is read as a Python literal
 * (python-literal.ts); host-line values after a shell-like split (shlex.ts), so quotes there
 * group words but do not keep a value a string.
 */
import { expandHostEntry } from './host-pattern.js';
import { ansibleIniValue } from './python-literal.js';
import { emptyGroup, type ParseResult, type Problem, type RawGroup, type RawVar } from './raw.js';
import { shlexSplit } from '../util/shlex.js';

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:[#;].*)?$/;

/** `known`: groups defined by files read before this one (an inventory directory). */
export function parseIniInventory(text: string, known: Set<string> = new Set()): ParseResult {
  const groups: RawGroup[] = [];
  const problems: Problem[] = [];
  const defined = new Set<string>(['all', 'ungrouped', ...known]);
  const pending: Array<{ group: string; line: number; path: string; message: string }> = [];
  // undefined while inside a broken section header: its lines are skipped (reported once).
  let current: RawGroup | undefined = emptyGroup('ungrouped', { line: 1, path: 'ungrouped' });
  let kind: 'hosts' | 'vars' | 'children' = 'hosts';
  groups.push(current);

  text.split(/\r?\n/).forEach((rawLine, index) => {
    const line = index + 1;
    const trimmed = rawLine.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) return;

    if (trimmed.startsWith('[')) {
      const m = SECTION.exec(trimmed);
      if (!m) {
        problems.push({ line, path: trimmed, message: `INI syntax error: bad section header ${JSON.stringify(trimmed)}; expected [group], [group:vars] or [group:children]` });
        current = undefined;
        return;
      }
      const [, name, type = 'hosts'] = m;
      if (type !== 'hosts' && type !== 'vars' && type !== 'children') {
        problems.push({ line, path: `[${name}:${type}]`, message: `INI syntax error: unknown section type "${type}"; use [${name}], [${name}:vars] or [${name}:children]` });
        current = undefined;
        return;
      }
      kind = type;
      current = emptyGroup(name, { line, path: name });
      groups.push(current);
      if (kind === 'vars') {
        pending.push({ group: name, line, path: `${name}.vars`, message: `section [${name}:vars] is for group "${name}", which is not defined anywhere (Ansible refuses this too; for an empty group add a [${name}] section)` });
      } else {
        defined.add(name);
      }
      return;
    }
    if (current === undefined) return;

    if (kind === 'hosts') parseHostLine(trimmed, line, current, problems);
    else if (kind === 'vars') parseVarLine(trimmed, line, current, problems);
    else {
      const child = stripInlineComment(trimmed);
      const path = `${current.name}.children.${child}`;
      if (/\s/.test(child)) {
        problems.push({ line, path, message: `INI syntax error: a [${current.name}:children] line holds one group name, got ${JSON.stringify(child)}` });
        return;
      }
      current.children.push({ name: child, at: { line, path } });
      pending.push({ group: child, line, path, message: `section [${current.name}:children] names group "${child}", which is not defined anywhere (Ansible refuses this too; for an empty group add a [${child}] section)` });
    }
  });

  for (const p of pending) {
    if (!defined.has(p.group)) problems.push({ line: p.line, path: p.path, message: p.message });
  }
  return { groups, problems };
}

function parseHostLine(text: string, line: number, group: RawGroup, problems: Problem[]): void {
  let tokens: string[];
  try {
    tokens = shlexSplit(text);
  } catch (err) {
    problems.push({ line, path: `${group.name}.hosts`, message: `INI syntax error: ${(err as Error).message}` });
    return;
  }
  if (tokens.length === 0) return;
  const [entry, ...assignments] = tokens;
  const hostPath = `${group.name}.hosts.${entry}`;
  let expanded;
  try {
    expanded = expandHostEntry(entry);
  } catch (err) {
    problems.push({ line, path: hostPath, message: (err as Error).message });
    return;
  }
  const vars: RawVar[] = [];
  if (expanded.port !== undefined) vars.push({ name: 'ansible_port', value: expanded.port, at: { line, path: `${hostPath}.ansible_port` } });
  for (const token of assignments) {
    const eq = token.indexOf('=');
    if (eq <= 0) {
      problems.push({ line, path: hostPath, message: `INI syntax error: expected key=value after the host name, got ${JSON.stringify(token)}` });
      continue;
    }
    const name = token.slice(0, eq);
    // As Ansible: the value with its quotes already removed by the shell-like split, then a Python literal.
    vars.push({ name, value: ansibleIniValue(token.slice(eq + 1)), at: { line, path: `${hostPath}.${name}` } });
  }
  for (const name of expanded.names) group.hosts.push({ name, at: { line, path: `${group.name}.hosts.${name}` }, vars });
}

function parseVarLine(text: string, line: number, group: RawGroup, problems: Problem[]): void {
  const eq = text.indexOf('=');
  if (eq <= 0) {
    problems.push({ line, path: `${group.name}.vars`, message: `INI syntax error: expected key=value in [${group.name}:vars], got ${JSON.stringify(text)}` });
    return;
  }
  const name = text.slice(0, eq).trim();
  // As in Ansible, a [group:vars] value is the rest of the line, quotes included, read as a
  // Python literal: "5" is the string 5, 5 is a number, true stays the word true.
  const value = ansibleIniValue(text.slice(eq + 1).trim());
  group.vars.push({ name, value, at: { line, path: `${group.name}.vars.${name}` } });
}

/** `value  # comment` -> `value` (only a # or ; preceded by whitespace starts a comment). */
function stripInlineComment(text: string): string {
  return text.replace(/\s+[#;].*$/, '').trim();
}
