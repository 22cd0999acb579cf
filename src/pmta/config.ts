/**
 * PowerMTA config parser (UG §3.1–3.3). Keeps the file and 1-based line of every node so the
 * same tree serves the audit (effective settings) and the pmta-config editing step (which
 * rewrites exact lines). Comments and blank lines produce no nodes; line numbers stay exact.
 */

export type ConfigNode =
  | { type: 'directive'; name: string; value: string; line: number; file: string }
  | {
      type: 'block';
      name: string;
      arg: string;
      line: number;
      /** Line of the closing tag (the last line when the block is left open). */
      endLine: number;
      file: string;
      children: ConfigNode[];
    }
  | { type: 'include'; pattern: string; line: number; file: string };

export type BlockNode = Extract<ConfigNode, { type: 'block' }>;
export type DirectiveNode = Extract<ConfigNode, { type: 'directive' }>;

export interface ConfigParseError {
  line: number;
  message: string;
}

export interface ParsedConfig {
  nodes: ConfigNode[];
  errors: ConfigParseError[];
}

/** `#` starts a comment at the start of a line or after whitespace (values like `#1` stay). */
export function stripComment(line: string): string {
  const m = /(^|\s)#/.exec(line);
  return (m ? line.slice(0, m.index) : line).trim();
}

/**
 * Bounds for parsing host-supplied config text (the audit): at most `nodes` directives, blocks
 * and includes across all files sharing the budget, and lines of at most `lineLength`
 * characters (longer ones are skipped). The editing step parses without limits: it rewrites
 * exact lines of files it read whole.
 */
export class ParseBudget {
  constructor(
    public nodes: number,
    readonly lineLength: number,
  ) {}
}

const OPEN_TAG = /^<\s*([A-Za-z][\w-]*)\s*([^>]*?)\s*>$/;
const CLOSE_TAG = /^<\/\s*([A-Za-z][\w-]*)\s*>$/;

export function parsePmtaConfig(text: string, file: string, budget?: ParseBudget): ParsedConfig {
  const root: ConfigNode[] = [];
  const errors: ConfigParseError[] = [];
  const stack: BlockNode[] = [];
  const lines = text.split(/\r?\n/);
  const current = (): ConfigNode[] => (stack.length > 0 ? stack[stack.length - 1].children : root);

  for (let index = 0; index < lines.length; index++) {
    const line = index + 1;
    const raw = lines[index]!;
    const tooLong = budget !== undefined && raw.length > budget.lineLength;
    const content = tooLong ? raw : stripComment(raw);
    if (content === '') continue;
    // Every line that can make a node or an error counts, so both lists stay bounded.
    if (budget && budget.nodes <= 0) {
      errors.push({ line, message: 'too many directives and blocks: the rest of the file is not read' });
      break;
    }
    if (budget) budget.nodes -= 1;
    if (tooLong) errors.push({ line, message: `line longer than ${budget!.lineLength} characters, skipped` });
    else parseLine(content, line);
  }
  function parseLine(content: string, line: number): void {
    const close = CLOSE_TAG.exec(content);
    if (close) {
      const name = close[1].toLowerCase();
      const open = stack[stack.length - 1];
      if (!open) {
        errors.push({ line, message: `closing tag </${name}> without an open block` });
      } else if (open.name !== name) {
        errors.push({ line, message: `closing tag </${name}> does not match <${open.name}> opened at line ${open.line}` });
      } else {
        open.endLine = line;
        stack.pop();
      }
      return;
    }
    const open = OPEN_TAG.exec(content);
    if (open) {
      const block: BlockNode = {
        type: 'block',
        name: open[1].toLowerCase(),
        arg: open[2],
        line,
        endLine: line,
        file,
        children: [],
      };
      current().push(block);
      stack.push(block);
      return;
    }
    if (content.startsWith('<')) {
      errors.push({ line, message: `malformed tag: ${content}` });
      return;
    }
    const m = /^(\S+)(?:\s+(.*))?$/.exec(content);
    const name = (m?.[1] ?? content).toLowerCase();
    const value = (m?.[2] ?? '').trim();
    if (name === 'include') {
      if (value === '') errors.push({ line, message: 'include without a file name' });
      else current().push({ type: 'include', pattern: value, line, file });
      return;
    }
    current().push({ type: 'directive', name, value, line, file });
  }
  for (const open of stack) {
    open.endLine = lines.length;
    errors.push({ line: open.line, message: `block <${open.name}${open.arg ? ' ' + open.arg : ''}> is never closed` });
  }
  return { nodes: root, errors };
}

/**
 * Directives named `name` (case-insensitive). Without blockPath only global ones; with a
 * path like [['domain', 'gmail.com']] the directives directly inside that (nested) block.
 * An arg of '*' in the path matches any block of that name.
 */
export function findDirectives(
  nodes: ConfigNode[],
  name: string,
  blockPath: Array<[string, string]> = [],
): DirectiveNode[] {
  let level: ConfigNode[][] = [nodes];
  for (const [blockName, arg] of blockPath) {
    const next: ConfigNode[][] = [];
    for (const list of level) {
      for (const node of list) {
        if (node.type === 'block' && node.name === blockName.toLowerCase() && (arg === '*' || sameArg(node.arg, arg))) {
          next.push(node.children);
        }
      }
    }
    level = next;
  }
  const wanted = name.toLowerCase();
  return level.flat().filter((n): n is DirectiveNode => n.type === 'directive' && n.name === wanted);
}

/** Blocks named `name` at any depth, in file order. */
export function findBlocks(nodes: ConfigNode[], name: string): BlockNode[] {
  const out: BlockNode[] = [];
  const walk = (list: ConfigNode[]): void => {
    for (const node of list) {
      if (node.type !== 'block') continue;
      if (node.name === name) out.push(node);
      walk(node.children);
    }
  };
  walk(nodes);
  return out;
}

function sameArg(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/**
 * Replace include nodes by the parsed nodes of the files they name. `files` maps a path
 * to its text; `expand` turns an include pattern into paths (the remote side resolved
 * wildcards already). Cycles and missing files become errors, not exceptions.
 */
export function resolveIncludes(
  nodes: ConfigNode[],
  files: Map<string, string>,
  /** Paths an include pattern names, relative patterns taken from the including file. */
  expand: (pattern: string, fromFile: string) => string[],
  errors: Array<ConfigParseError & { file: string }> = [],
  seen: Set<string> = new Set(),
  budget?: ParseBudget,
): { nodes: ConfigNode[]; errors: Array<ConfigParseError & { file: string }> } {
  const out: ConfigNode[] = [];
  for (const node of nodes) {
    if (node.type === 'block') {
      out.push({ ...node, children: resolveIncludes(node.children, files, expand, errors, seen, budget).nodes });
      continue;
    }
    if (node.type !== 'include') {
      out.push(node);
      continue;
    }
    const paths = expand(node.pattern, node.file);
    if (paths.length === 0 && !/[*?[]/.test(node.pattern)) {
      errors.push({ file: node.file, line: node.line, message: `included file ${node.pattern} not found` });
    }
    for (const path of paths) {
      const text = files.get(path);
      if (text === undefined || seen.has(path)) {
        if (seen.has(path)) errors.push({ file: node.file, line: node.line, message: `include cycle through ${path}` });
        else errors.push({ file: node.file, line: node.line, message: `included file ${path} not readable` });
        continue;
      }
      const parsed = parsePmtaConfig(text, path, budget);
      for (const e of parsed.errors) errors.push({ ...e, file: path });
      seen.add(path);
      out.push(...resolveIncludes(parsed.nodes, files, expand, errors, seen, budget).nodes);
      seen.delete(path);
    }
  }
  return { nodes: out, errors };
}
