/**
 * Ansible's INI inventory format -> RawGroup definitions with line numbers.
 * `[group]` host lines (`host key=value ...`), `[group:vars]` (`key=value`),
 * `[group:children]` (group names); `#` and `;` start comment lines; hosts before any section
 * are `ungrouped`. Values are typed as Ansible does: numbers, booleans, quoted strings stay strings.
 */
import { expandHostEntry } from './host-pattern.js';
import { emptyGroup, type ParseResult, type Problem, type RawGroup, type RawVar } from './raw.js';

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:[#;].*)?$/;

interface Token {
  text: string;
  /** The part after the first `=` was written in quotes (so it stays a string). */
  valueQuoted: boolean;
}

export function parseIniInventory(text: string): ParseResult {
  const groups: RawGroup[] = [];
  const problems: Problem[] = [];
  const defined = new Set<string>(['all', 'ungrouped']);
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
        pending.push({ group: name, line, path: `${name}.vars`, message: `section [${name}:vars] is for group "${name}", which is not defined anywhere` });
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
      pending.push({ group: child, line, path, message: `section [${current.name}:children] names group "${child}", which is not defined anywhere` });
    }
  });

  for (const p of pending) {
    if (!defined.has(p.group)) problems.push({ line: p.line, path: p.path, message: p.message });
  }
  return { groups, problems };
}

function parseHostLine(text: string, line: number, group: RawGroup, problems: Problem[]): void {
  let tokens: Token[];
  try {
    tokens = tokenize(text);
  } catch (err) {
    problems.push({ line, path: `${group.name}.hosts`, message: `INI syntax error: ${(err as Error).message}` });
    return;
  }
  if (tokens.length === 0) return;
  const [entry, ...assignments] = tokens;
  const hostPath = `${group.name}.hosts.${entry.text}`;
  let expanded;
  try {
    expanded = expandHostEntry(entry.text);
  } catch (err) {
    problems.push({ line, path: hostPath, message: (err as Error).message });
    return;
  }
  const vars: RawVar[] = [];
  if (expanded.port !== undefined) vars.push({ name: 'ansible_port', value: expanded.port, at: { line, path: `${hostPath}.ansible_port` } });
  for (const token of assignments) {
    const eq = token.text.indexOf('=');
    if (eq <= 0) {
      problems.push({ line, path: hostPath, message: `INI syntax error: expected key=value after the host name, got ${JSON.stringify(token.text)}` });
      continue;
    }
    const name = token.text.slice(0, eq);
    const raw = token.text.slice(eq + 1);
    vars.push({ name, value: token.valueQuoted ? raw : typeValue(raw), at: { line, path: `${hostPath}.${name}` } });
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
  const rest = text.slice(eq + 1).trim();
  const quoted = /^(["'])(.*)\1$/.exec(rest);
  // As in Ansible, a [group:vars] value runs to the end of the line (no inline comments).
  const value = quoted ? quoted[2] : typeValue(rest);
  group.vars.push({ name, value, at: { line, path: `${group.name}.vars.${name}` } });
}

/** `value  # comment` -> `value` (only a # or ; preceded by whitespace starts a comment). */
function stripInlineComment(text: string): string {
  return text.replace(/\s+[#;].*$/, '').trim();
}

/** An unquoted INI value typed as Ansible's literal evaluation would: numbers, booleans, lists. */
export function typeValue(raw: string): unknown {
  if (/^-?(0|[1-9]\d*)$/.test(raw)) return Number(raw);
  if (/^-?\d+\.\d+$/.test(raw)) return Number(raw);
  if (raw === 'true' || raw === 'True') return true;
  if (raw === 'false' || raw === 'False') return false;
  if (raw === 'None') return null;
  if (/^[[{]/.test(raw)) {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      return raw; // not a literal: Ansible keeps such a value as the string written
    }
  }
  return raw;
}

/** Shell-like split (as Ansible's shlex): quotes group, backslash escapes, # starts a comment. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i])) i++;
    if (i >= text.length || text[i] === '#') break;
    let out = '';
    let valueQuoted = false;
    while (i < text.length && !/\s/.test(text[i])) {
      const c = text[i];
      if (c === '"' || c === "'") {
        if (out.endsWith('=') && out.indexOf('=') === out.length - 1) valueQuoted = true;
        i++;
        while (i < text.length && text[i] !== c) {
          if (c === '"' && text[i] === '\\' && i + 1 < text.length) i++;
          out += text[i++];
        }
        if (i >= text.length) throw new Error(`unterminated ${c} quote in ${JSON.stringify(text)}`);
        i++;
      } else if (c === '\\' && i + 1 < text.length) {
        out += text[i + 1];
        i += 2;
      } else {
        out += c;
        i++;
      }
    }
    tokens.push({ text: out, valueQuoted });
  }
  return tokens;
}
