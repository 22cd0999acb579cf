import type { BlockNode, ConfigNode, DirectiveNode } from '../../pmta/config.js';
import { normaliseValue } from '../guards/params.js';
import { ConfigView, type ObservedConfig } from './tree.js';

/**
 * Pure line edits of a PowerMTA config: set or remove a directive (global or inside a block),
 * re-point a `<spool DIR>` block. Only the touched lines change; comments, order, indentation
 * and unrelated lines stay byte-identical. Each directive is edited in the file where it lives.
 */
export interface FileEdit {
  before: string;
  after: string;
  notes: string[];
}
export type EditPlan =
  | { kind: 'edit'; files: Record<string, FileEdit> }
  | { kind: 'noop'; reason: string }
  | { kind: 'error'; reason: string };

export interface DirectiveEdit {
  directive: string;
  value?: string;
  block?: { type: string; arg: string };
  state: 'present' | 'absent';
}

/** Pending line operations per file, rendered at the end so line numbers stay the observed ones. */
class LineEdits {
  private readonly ops = new Map<string, { replace: Map<number, string | null>; before: Map<number, string[]>; append: string[]; notes: string[] }>();

  constructor(private readonly config: ObservedConfig) {}

  private of(file: string) {
    let op = this.ops.get(file);
    if (!op) {
      op = { replace: new Map(), before: new Map(), append: [], notes: [] };
      this.ops.set(file, op);
    }
    return op;
  }
  lines(file: string): string[] {
    return splitLines(this.config.files[file] ?? '');
  }
  replace(file: string, line: number, text: string | null, note: string): void {
    this.of(file).replace.set(line, text);
    this.of(file).notes.push(note);
  }
  insertBefore(file: string, line: number, texts: string[], note: string): void {
    if (line > this.lines(file).length) return this.append(file, texts, note);
    const op = this.of(file);
    op.before.set(line, [...(op.before.get(line) ?? []), ...texts]);
    op.notes.push(note);
  }
  append(file: string, texts: string[], note: string): void {
    this.of(file).append.push(...texts);
    this.of(file).notes.push(note);
  }
  render(): Record<string, FileEdit> {
    const out: Record<string, FileEdit> = {};
    for (const [file, op] of this.ops) {
      const before = this.config.files[file] ?? '';
      const lines = this.lines(file);
      const result: string[] = [];
      lines.forEach((text, i) => {
        result.push(...(op.before.get(i + 1) ?? []));
        const replaced = op.replace.has(i + 1) ? op.replace.get(i + 1)! : text;
        if (replaced !== null) result.push(replaced);
      });
      result.push(...op.append);
      const after = result.length === 0 ? '' : `${result.join('\n')}\n`;
      if (after !== before) out[file] = { before, after, notes: op.notes };
    }
    return out;
  }
}

/** Lines of a text without the empty element after a final newline. */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

const DIRECTIVE_LINE = /^(\s*)(\S+)(?:(\s+)(.*?))?((?:\s+#.*)?)$/;

/** The raw line with its value replaced, keeping indentation, spacing and a trailing comment. */
export function withValue(raw: string, value: string): string {
  const m = DIRECTIVE_LINE.exec(raw);
  if (!m) return raw;
  return `${m[1]}${m[2]}${m[3] ?? ' '}${value}${m[5] ?? ''}`;
}

function indentOf(raw: string | undefined): string {
  return /^\s*/.exec(raw ?? '')![0];
}

function describe(edit: DirectiveEdit): string {
  return edit.block ? `<${edit.block.type} ${edit.block.arg}>` : 'global level';
}

export function planDirectiveEdit(config: ObservedConfig, edit: DirectiveEdit): EditPlan {
  if (config.files[config.mainFile] == null) return { kind: 'error', reason: `${config.mainFile} does not exist or is not readable` };
  const view = new ConfigView(config);
  const edits = new LineEdits(config);
  const blocks = edit.block ? view.blocks(edit.block.type, edit.block.arg) : [];
  const scope: ConfigNode[] = edit.block ? blocks.flatMap((b) => view.expand(b.children)) : view.global();
  if (view.errors.length > 0) return { kind: 'error', reason: `the config does not parse: ${view.errors.join('; ')}` };
  const found = scope.filter((n): n is DirectiveNode => n.type === 'directive' && n.name === edit.directive);
  const where = describe(edit);

  if (edit.state === 'absent') {
    if (found.length === 0) return { kind: 'noop', reason: `${edit.directive} is not set at ${where}` };
    for (const d of found) edits.replace(d.file, d.line, null, `remove ${edit.directive} ${d.value} (line ${d.line}, ${where})`);
    return { kind: 'edit', files: edits.render() };
  }

  const value = normaliseValue(edit.value ?? '');
  const differing = found.filter((d) => normaliseValue(d.value) !== value);
  if (found.length > 0 && differing.length === 0) {
    const last = found[found.length - 1];
    return { kind: 'noop', reason: `${edit.directive} is already ${value} at ${where} (${last.file}:${last.line})` };
  }
  for (const d of differing) {
    const raw = edits.lines(d.file)[d.line - 1];
    edits.replace(d.file, d.line, withValue(raw, value), `${edit.directive} ${d.value} -> ${value} (line ${d.line}, ${where})`);
  }
  if (found.length === 0) addDirective(view, edits, edit, blocks, value);
  return { kind: 'edit', files: edits.render() };
}

function addDirective(view: ConfigView, edits: LineEdits, edit: DirectiveEdit, blocks: BlockNode[], value: string): void {
  const main = view.config.mainFile;
  const text = `${edit.directive} ${value}`;
  if (edit.block && blocks.length === 0) {
    const lines = edits.lines(main);
    const spacer = lines.length > 0 && lines[lines.length - 1].trim() !== '' ? [''] : [];
    edits.append(
      main,
      [...spacer, `<${edit.block.type} ${edit.block.arg}>`, `    ${text}`, `</${edit.block.type}>`],
      `add <${edit.block.type} ${edit.block.arg}> with ${text} at the end`,
    );
    return;
  }
  if (edit.block) {
    const block = blocks[blocks.length - 1];
    const own = block.children.filter((c) => c.file === block.file && c.type !== 'include');
    const lines = edits.lines(block.file);
    const indent = own.length > 0 ? indentOf(lines[own[own.length - 1].line - 1]) : `${indentOf(lines[block.line - 1])}    `;
    edits.insertBefore(block.file, block.endLine, [`${indent}${text}`], `add ${text} in <${block.name} ${block.arg}> (${block.file}:${block.line})`);
    return;
  }
  const globals = view.nodesOf(main).filter((n) => n.type === 'directive');
  if (globals.length === 0) {
    edits.append(main, [text], `add ${text} at global level`);
    return;
  }
  const last = globals[globals.length - 1];
  const indent = indentOf(edits.lines(main)[last.line - 1]);
  edits.insertBefore(main, last.line + 1, [`${indent}${text}`], `add ${text} at global level`);
}

/**
 * Points the spool at `newDir`: the `<spool OLD>` block's argument (options inside kept), or the
 * deprecated one-line `spool OLD`, or (the article's non-UG `spool-dir`) that line; when the
 * config names no spool, a `<spool NEW>` block is appended.
 */
export function planSpoolRepoint(config: ObservedConfig, oldDir: string, newDir: string): EditPlan {
  if (config.files[config.mainFile] == null) return { kind: 'error', reason: `${config.mainFile} does not exist or is not readable` };
  const view = new ConfigView(config);
  const global = view.global();
  if (view.errors.length > 0) return { kind: 'error', reason: `the config does not parse: ${view.errors.join('; ')}` };
  const edits = new LineEdits(config);
  const blocks = global.filter((n): n is BlockNode => n.type === 'block' && n.name === 'spool');
  const lines = (f: string) => edits.lines(f);
  if (blocks.some((b) => b.arg.trim() === newDir)) return { kind: 'noop', reason: `<spool ${newDir}> is already configured` };
  const matching = blocks.filter((b) => b.arg.trim() === oldDir);
  for (const b of matching) {
    const raw = lines(b.file)[b.line - 1];
    const replaced = raw.replace(/^(\s*<\s*spool\s+)([^>]*?)(\s*>.*)$/i, `$1${newDir}$3`);
    edits.replace(b.file, b.line, replaced, `<spool ${oldDir}> -> <spool ${newDir}> (${b.file}:${b.line})`);
  }
  const oneLine = global.filter((n): n is DirectiveNode => n.type === 'directive' && (n.name === 'spool' || n.name === 'spool-dir') && n.value.trim() === oldDir);
  for (const d of oneLine) {
    edits.replace(d.file, d.line, withValue(lines(d.file)[d.line - 1], newDir), `${d.name} ${oldDir} -> ${newDir} (${d.file}:${d.line})`);
  }
  if (matching.length === 0 && oneLine.length === 0) {
    if (blocks.length > 0 || global.some((n) => n.type === 'directive' && (n.name === 'spool' || n.name === 'spool-dir'))) {
      return { kind: 'error', reason: `the config names a spool other than ${oldDir}; not touching it` };
    }
    edits.append(config.mainFile, [`<spool ${newDir}>`, `</spool>`], `add <spool ${newDir}> (the config named no spool: ${oldDir} was the default)`);
  }
  return { kind: 'edit', files: edits.render() };
}

/** The spool directory the config names (`<spool DIR>`, `spool DIR`, `spool-dir DIR`), or the default. */
export function configuredSpool(config: ObservedConfig): string {
  if (config.files[config.mainFile] == null) return '/var/spool/pmta';
  const global = new ConfigView(config).global();
  for (const n of global) {
    if (n.type === 'block' && n.name === 'spool' && n.arg.trim() !== '') return n.arg.trim();
    if (n.type === 'directive' && (n.name === 'spool' || n.name === 'spool-dir') && n.value.trim() !== '') return n.value.trim();
  }
  return '/var/spool/pmta';
}
