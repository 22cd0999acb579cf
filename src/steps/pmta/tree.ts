import path from 'node:path';
import { parsePmtaConfig, type BlockNode, type ConfigNode } from '../../pmta/config.js';

/**
 * A PowerMTA config as observed: the main file, every readable included file, and how each
 * wildcard include expanded on the host. Pure helpers resolve `include` nodes into the nodes
 * of the included files, so a directive is found (and edited) in the file where it lives.
 */
export interface ObservedConfig {
  mainFile: string;
  /** path -> text; null when the file could not be read. */
  files: Record<string, string | null>;
  /** Absolute include pattern -> files it matched on the host (sorted). */
  expansions: Record<string, string[]>;
}

/** The absolute pattern an include names (relative includes are relative to the including file). */
export function includeTarget(pattern: string, fromFile: string): string {
  const p = pattern.replace(/^"(.*)"$/, '$1');
  return path.isAbsolute(p) ? path.normalize(p) : path.join(path.dirname(fromFile), p);
}

export function hasWildcard(p: string): boolean {
  return /[*?[]/.test(path.basename(p));
}

export function wildcardMatches(pattern: string, names: string[]): string[] {
  const base = path.basename(pattern);
  const re = new RegExp(`^${base.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return names.filter((n) => re.test(n)).sort().map((n) => path.join(path.dirname(pattern), n));
}

/** Files an include node stands for, as observed. */
export function includedFiles(config: ObservedConfig, node: Extract<ConfigNode, { type: 'include' }>): string[] {
  const target = includeTarget(node.pattern, node.file);
  return config.expansions[target] ?? [target];
}

export class ConfigView {
  private readonly parsed = new Map<string, ConfigNode[]>();
  readonly errors: string[] = [];

  constructor(readonly config: ObservedConfig) {}

  /** Top-level nodes of one file (empty when unreadable). */
  nodesOf(file: string): ConfigNode[] {
    const cached = this.parsed.get(file);
    if (cached) return cached;
    const text = this.config.files[file];
    const result = text == null ? { nodes: [], errors: [] } : parsePmtaConfig(text, file);
    for (const e of result.errors) this.errors.push(`${file}:${e.line}: ${e.message}`);
    this.parsed.set(file, result.nodes);
    return result.nodes;
  }

  /** A node list with includes replaced by the included files' nodes (depth-limited). */
  expand(nodes: ConfigNode[], depth = 0): ConfigNode[] {
    if (depth > 10) return nodes;
    return nodes.flatMap((n) =>
      n.type === 'include' ? includedFiles(this.config, n).flatMap((f) => this.expand(this.nodesOf(f), depth + 1)) : [n],
    );
  }

  /** Global-level nodes of the whole config. */
  global(): ConfigNode[] {
    return this.expand(this.nodesOf(this.config.mainFile));
  }

  /** Global-level blocks of a type whose argument matches (case-insensitive, blanks normalised). */
  blocks(type: string, arg: string): BlockNode[] {
    const want = normaliseArg(arg);
    return this.global().filter((n): n is BlockNode => n.type === 'block' && n.name === type && normaliseArg(n.arg) === want);
  }
}

export function normaliseArg(arg: string): string {
  return arg.trim().replace(/\s+/g, ' ').toLowerCase();
}
