/**
 * Ansible's YAML inventory format -> RawGroup definitions with line numbers.
 * Read as YAML 1.1 (like Ansible's PyYAML: `yes`/`no` are booleans), walking the document's
 * nodes rather than plain JS so every group, host and variable keeps its line.
 */
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type Node, type Pair } from 'yaml';
import { ansibleYamlOptions } from '../util/yaml-ansible.js';
import { expandHostEntry } from './host-pattern.js';
import { markVaultLines, withVaultTag } from './vault-yaml.js';
import { emptyGroup, type ParseResult, type Problem, type RawGroup, type RawHost, type RawVar, type SourceLoc } from './raw.js';

const GROUP_KEYS = new Set(['hosts', 'vars', 'children']);

export function parseYamlInventory(text: string): ParseResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, yamlOptions(lineCounter));
  if (doc.errors.length > 0) return { groups: [], problems: syntaxProblems(doc, lineCounter) };
  markVaultLines(doc, lineCounter); // vault: inline `!vault` values keep their line
  return new YamlWalker(doc, lineCounter).walk();
}

function syntaxProblems(doc: Document, lineCounter: LineCounter): Problem[] {
  return doc.errors.map((e) => ({
    line: lineCounter.linePos(e.pos[0]).line,
    path: '',
    message: `YAML syntax error: ${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`,
  }));
}

/** Ansible's YAML 1.1 plus the `!vault` tag (inline vault values; see vault-yaml.ts). */
const yamlOptions = (lineCounter: LineCounter) => withVaultTag(ansibleYamlOptions(lineCounter));

/** A group_vars/ or host_vars/ file: one mapping of variables (or an empty file). */
export function parseYamlVarsFile(text: string): { vars: RawVar[]; problems: Problem[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, yamlOptions(lineCounter));
  if (doc.errors.length > 0) return { vars: [], problems: syntaxProblems(doc, lineCounter) };
  markVaultLines(doc, lineCounter); // vault: inline `!vault` values keep their line
  return new YamlWalker(doc, lineCounter).varsFile();
}

class YamlWalker {
  readonly groups: RawGroup[] = [];
  readonly problems: Problem[] = [];

  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  walk(): ParseResult {
    const top = this.deref(this.doc.contents as Node | null);
    if (top === null || (isScalar(top) && top.value === null)) return this.result();
    if (!isMap(top)) {
      this.problem(top, '', 'the top level must be a mapping of groups, usually starting with "all:"');
      return this.result();
    }
    for (const pair of this.pairs(top)) {
      const name = this.keyName(pair, '');
      if (name === undefined) continue;
      const value = this.deref(pair.value as Node | null);
      if (name === 'all' || this.looksLikeGroup(value)) {
        this.group(name, value, { line: this.lineOf(pair.key), path: name });
      } else {
        const hint = GROUP_KEYS.has(name) ? ` (did you mean to put "${name}:" under "all:"?)` : '';
        this.problem(pair.key, name, `unknown top-level key "${name}": the top level holds "all" and groups (mappings with hosts, vars, children)${hint}`);
      }
    }
    return this.result();
  }

  varsFile(): { vars: RawVar[]; problems: Problem[] } {
    const vars = this.vars(this.deref(this.doc.contents as Node | null), '');
    return { vars, problems: this.problems };
  }

  private result(): ParseResult {
    return { groups: this.groups, problems: this.problems };
  }

  /** A top-level key other than `all` is a group when its value is empty or has a group key. */
  private looksLikeGroup(value: Node | null): boolean {
    if (value === null || (isScalar(value) && value.value === null)) return true;
    if (!isMap(value)) return false;
    const keys = value.items.map((p) => (isScalar(p.key) ? p.key.value : undefined));
    return keys.length === 0 || keys.some((k) => typeof k === 'string' && GROUP_KEYS.has(k));
  }

  private group(name: string, node: Node | null, at: SourceLoc): void {
    const group = emptyGroup(name, at);
    this.groups.push(group);
    if (node === null || (isScalar(node) && node.value === null)) return;
    if (!isMap(node)) {
      this.problem(node, at.path, `group "${name}" must be a mapping with hosts, vars or children, got ${describeNode(node)}`);
      return;
    }
    for (const pair of this.pairs(node)) {
      const key = this.keyName(pair, at.path);
      if (key === undefined) continue;
      const path = `${at.path}.${key}`;
      const value = this.deref(pair.value as Node | null);
      if (key === 'hosts') group.hosts.push(...this.hosts(value, path));
      else if (key === 'vars') group.vars.push(...this.vars(value, path));
      else if (key === 'children') this.children(group, value, path);
      else this.problem(pair.key, path, `unknown key "${key}" in group "${name}": a group holds only hosts, vars and children`);
    }
  }

  private children(parent: RawGroup, node: Node | null, path: string): void {
    if (node === null || (isScalar(node) && node.value === null)) return;
    if (isScalar(node) && typeof node.value === 'string') {
      parent.children.push({ name: node.value, at: { line: this.lineOf(node), path: `${path}.${node.value}` } });
      this.group(node.value, null, { line: this.lineOf(node), path: `${path}.${node.value}` });
      return;
    }
    if (!isMap(node)) {
      this.problem(node, path, `children must be a mapping of group names, got ${describeNode(node)}`);
      return;
    }
    for (const pair of this.pairs(node)) {
      const name = this.keyName(pair, path);
      if (name === undefined) continue;
      const at = { line: this.lineOf(pair.key), path: `${path}.${name}` };
      parent.children.push({ name, at });
      this.group(name, this.deref(pair.value as Node | null), at);
    }
  }

  private hosts(node: Node | null, path: string): RawHost[] {
    if (node === null || (isScalar(node) && node.value === null)) return [];
    const entries: Array<{ entry: string; keyNode: Node | null; value: Node | null }> = [];
    if (isScalar(node) && node.value !== null && typeof node.value !== 'object') {
      entries.push({ entry: String(node.value), keyNode: node, value: null });
    } else if (isMap(node)) {
      for (const pair of this.pairs(node)) {
        const entry = this.keyName(pair, path);
        if (entry === undefined) continue;
        const key = pair.key as Node;
        if (isScalar(key) && typeof key.value !== 'string') {
          // Ansible 2.14 refuses the whole file: "Host pattern 1234 must be a string. Enclose integers/floats in quotation marks."
          this.problem(key, `${path}.${entry}`, `host ${entry} is read as a ${typeof key.value === 'number' ? 'number' : 'non-text value'}, not a name; write it in quotes ("${entry}"), as Ansible requires`);
          continue;
        }
        entries.push({ entry, keyNode: key, value: this.deref(pair.value as Node | null) });
      }
    } else {
      this.problem(node, path, `hosts must be a mapping of host names (each with its variables or empty), got ${describeNode(node)}`);
      return [];
    }
    const out: RawHost[] = [];
    for (const { entry, keyNode, value } of entries) {
      const hostPath = `${path}.${entry}`;
      const line = this.lineOf(keyNode);
      let expanded;
      try {
        expanded = expandHostEntry(entry);
      } catch (err) {
        this.problems.push({ line, path: hostPath, message: (err as Error).message });
        continue;
      }
      let vars: RawVar[] = [];
      if (value !== null && !(isScalar(value) && value.value === null)) {
        if (isMap(value)) vars = this.vars(value, hostPath);
        else this.problem(value, hostPath, `host "${entry}" must map to its variables (a mapping) or to nothing, got ${describeNode(value)}`);
      }
      const portVar: RawVar[] = expanded.port === undefined ? [] : [{ name: 'ansible_port', value: expanded.port, at: { line, path: `${hostPath}.ansible_port` } }];
      for (const name of expanded.names) {
        const at = { line, path: expanded.names.length > 1 ? `${path}.${name}` : hostPath };
        out.push({ name, at, vars: [...portVar, ...vars] });
      }
    }
    return out;
  }

  private vars(node: Node | null, path: string): RawVar[] {
    if (node === null || (isScalar(node) && node.value === null)) return [];
    if (!isMap(node)) {
      this.problem(node, path, `variables must be a mapping of name: value, got ${describeNode(node)}`);
      return [];
    }
    const out: RawVar[] = [];
    for (const pair of this.pairs(node)) {
      const name = this.keyName(pair, path);
      if (name === undefined) continue;
      let value: unknown;
      try {
        value = pair.value === null ? null : (pair.value as Node).toJS(this.doc);
      } catch (err) {
        // yaml refuses values whose aliases expand past maxAliasCount (a "billion laughs" bomb).
        const why = /alias count/i.test((err as Error).message) ? 'its anchors and aliases expand to too much data (a YAML alias bomb?)' : (err as Error).message;
        this.problem(pair.value, path ? `${path}.${name}` : name, `variable "${name}" cannot be read: ${why}`);
        continue;
      }
      out.push({ name, value, at: { line: this.lineOf(pair.key), path: path ? `${path}.${name}` : name } });
    }
    return out;
  }

  /** The pairs of a mapping in document order, with `<<: *anchor` merge keys expanded. */
  private pairs(map: Node): Pair[] {
    if (!isMap(map)) return [];
    const out: Pair[] = [];
    for (const pair of map.items as Pair[]) {
      if (isScalar(pair.key) && typeof pair.key.value === 'symbol') {
        const sources = this.deref(pair.value as Node | null);
        const list = sources !== null && isSeq(sources) ? (sources.items as Node[]).map((n) => this.deref(n)) : [sources];
        for (const src of list) if (src !== null) out.push(...this.pairs(src));
        continue;
      }
      out.push(pair);
    }
    return out;
  }

  private keyName(pair: Pair, path: string): string | undefined {
    const key = pair.key as Node | null;
    // The key as written: in YAML 1.1 `on:` or `yes:` would otherwise become "true".
    if (isScalar(key) && key.value !== null && typeof key.value !== 'object') return typeof key.value === 'string' ? key.value : (key.source ?? String(key.value));
    this.problem(key, path, 'keys must be plain names, not lists, mappings or empty');
    return undefined;
  }

  private deref(node: Node | null): Node | null {
    if (node !== null && isAlias(node)) return (node.resolve(this.doc) as Node | undefined) ?? null;
    return node;
  }

  private lineOf(node: unknown): number {
    const range = (node as Node | null)?.range;
    return range ? this.lines.linePos(range[0]).line : 1;
  }

  private problem(node: unknown, path: string, message: string): void {
    this.problems.push({ line: this.lineOf(node), path, message });
  }
}

function describeNode(node: Node): string {
  if (isSeq(node)) return 'a list';
  if (isMap(node)) return 'a mapping';
  if (isScalar(node)) return `${JSON.stringify(node.value)}`;
  return 'something else';
}
