/**
 * YAML source with line lookup, so every playbook error names file, line and path.
 */
import { LineCounter, isMap, isSeq, parseDocument, type Node } from 'yaml';
import { ansibleYamlOptions } from '../util/yaml-ansible.js';
import type { z } from 'zod';
import { PlaybookError } from '../util/errors.js';

export type YamlPath = ReadonlyArray<string | number>;

export interface Located {
  file: string;
  line: number;
  path: string;
}

export interface PlaybookProblem extends Located {
  message: string;
}

export class YamlSource {
  private constructor(
    readonly file: string,
    private readonly root: Node | null,
    private readonly lines: LineCounter,
    readonly data: unknown,
  ) {}

  static parse(file: string, text: string): YamlSource {
    const lineCounter = new LineCounter();
    // YAML 1.1 as Ansible reads playbooks (become: yes), like inventories.
    const doc = parseDocument(text, ansibleYamlOptions(lineCounter));
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      const line = lineCounter.linePos(e.pos[0]).line;
      throw new PlaybookError(`${file}:${line}: not valid YAML: ${e.message.split('\n')[0]}`);
    }
    let data: unknown;
    try {
      data = doc.toJS();
    } catch (err) {
      // yaml refuses documents whose aliases expand past maxAliasCount (a "billion laughs" bomb).
      throw new PlaybookError(`${file}: not a usable playbook: ${aliasMessage(err)}`);
    }
    return new YamlSource(file, (doc.contents as Node | null) ?? null, lineCounter, data);
  }

  /** The line of the deepest node along `path` that exists (1-based). */
  lineOf(path: YamlPath): number {
    let node: unknown = this.root;
    let offset = (this.root?.range?.[0] as number | undefined) ?? 0;
    for (const key of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => String((p.key as { value?: unknown } | null)?.value ?? p.key) === String(key));
        if (!pair) break;
        const keyNode = pair.key as Node | null;
        offset = keyNode?.range?.[0] ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof key === 'number') {
        const item = node.items[key] as Node | undefined;
        if (!item) break;
        offset = item.range?.[0] ?? offset;
        node = item;
      } else break;
    }
    return this.lines.linePos(offset).line;
  }

  locate(path: YamlPath): Located {
    return { file: this.file, line: this.lineOf(path), path: renderPath(path) };
  }
}

export function aliasMessage(err: unknown): string {
  const message = (err as Error).message ?? String(err);
  return /alias count/i.test(message) ? 'its anchors and aliases expand to too much data (a YAML alias bomb?)' : message;
}

/** [0, 'tasks', 2, 'sysctl', 'value'] -> plays[0].tasks[2].sysctl.value */
export function renderPath(path: YamlPath): string {
  let out = '';
  path.forEach((key, i) => {
    if (i === 0 && typeof key === 'number') out = `plays[${key}]`;
    else if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? key : `.${key}`;
  });
  return out === '' ? '(top level)' : out;
}

export function formatProblem(p: PlaybookProblem): string {
  return `${p.file}:${p.line}: ${p.path}: ${p.message}`;
}

export function playbookError(problems: PlaybookProblem[]): PlaybookError {
  const shown = problems.slice(0, 20).map(formatProblem);
  if (problems.length > 20) shown.push(`... and ${problems.length - 20} more`);
  return new PlaybookError(problems.length === 1 ? shown[0] : `${problems.length} problems in the playbook:\n  ${shown.join('\n  ')}`);
}

/** A zod issue in plain words, located under `base`. */
export function zodProblems(src: YamlSource, base: YamlPath, error: z.ZodError): PlaybookProblem[] {
  const out: PlaybookProblem[] = [];
  for (const issue of error.issues) {
    const path = [...base, ...(issue.path as Array<string | number>)];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ ...src.locate([...path, key]), message: `unknown key "${key}"` });
      continue;
    }
    out.push({ ...src.locate(path), message: plainMessage(issue, valueAt(src.data, path)) });
  }
  return out;
}

function valueAt(data: unknown, path: YamlPath): unknown {
  let cur = data;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return cur;
}

function plainMessage(issue: z.core.$ZodIssue, input: unknown): string {
  // A message written in our schemas is already plain; zod's defaults start like these.
  if (!/^(Invalid|Too (small|big)|Unrecognized|Expected)/.test(issue.message)) return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      return input === undefined ? `is required (${issue.expected})` : `must be ${article(issue.expected)}, not ${describe(input)}`;
    case 'invalid_union':
      return `has the wrong type (${describe(input)})`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return issue.origin === 'array' ? `needs at least ${issue.minimum} item(s)` : issue.origin === 'string' ? 'must not be empty' : `must be at least ${issue.minimum}`;
    case 'too_big':
      return `must be at most ${issue.maximum}`;
    case 'invalid_format':
      return `has the wrong format (${issue.format})`;
    default:
      return issue.message;
  }
}

function article(t: string): string {
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}
