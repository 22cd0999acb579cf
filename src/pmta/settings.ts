/**
 * The settings the audit needs from a parsed, include-resolved PowerMTA config: virtual MTAs and
 * pools, acct files, macros and every `<domain>` block as a rule (UG §3.3). `effective.ts`
 * resolves these rules for one queue the way PowerMTA does.
 */
import { dict, own } from '../util/dict.js';
import { findBlocks, findDirectives, type BlockNode, type ConfigNode, type DirectiveNode } from './config.js';
import { validPattern } from './effective.js';

export interface DomainSettings {
  maxSmtpOut?: number;
  maxMsgPerConnection?: number;
  maxMsgRate?: string;
  maxConnectRate?: string;
  retryAfter?: string;
  bounceAfter?: string;
  backoffMaxSmtpOut?: number;
  /** Every directive of the block, last one wins (null-prototype: names are host text). */
  raw: Record<string, string>;
}

/** The records below are keyed by host text (paths, domain, pool names): null-prototype (util/dict). */
export interface EffectiveSettings {
  threads: { queueProcessingThreads?: number; smtpServiceThreads?: number; numHosts?: number };
  /** From `<spool DIR>` blocks, the deprecated `spool DIR`, and the article's non-UG `spool-dir`. */
  spoolDirs: string[];
  /** From `<acct-file PATH>` blocks (empty when the config names none: PowerMTA's default applies). */
  acctFiles: string[];
  /** `records` of each acct file, e.g. { "/var/log/pmta/acct.csv": ["d","b","t"] }. */
  acctRecords: Record<string, string[]>;
  /** `<acct-file |cmd>` blocks: pipes (UG §11.3), not files. */
  acctPipes: string[];
  logFile?: string;
  httpMgmtPort?: number;
  totalMaxSmtpOut?: number;
  /** Global `<domain NAME>` blocks by lower-cased name (`*` included). */
  domains: Record<string, DomainSettings>;
  /** `file:line` of the total-max-smtp-out in force. */
  totalMaxSmtpOutAt?: string;
  virtualMtas: Array<{
    name: string;
    sourceIp?: string;
    sourceHost?: string;
    domains: Record<string, DomainSettings>;
    /** `max-smtp-out` directly in the `<virtual-mta>`: all its queues together. */
    maxSmtpOut?: { value: number; at: string; source: string };
  }>;
  pools: Record<string, { virtualMtas: string[]; domains: Record<string, DomainSettings>; maxSmtpOut?: { value: number; at: string; source: string } }>;
  /** Every `<domain>` block, macros expanded, one rule per pattern, in file order (see pmta/effective.ts). */
  rules: DomainRule[];
  /** `<mx-rollup-list>` entries (UG §10.17): mail to domains whose MX matches is queued as `queue`. */
  rollups: Array<{ mx: string; queue: string; at: string }>;
  warnings: string[];
}

export interface DomainRule {
  /** Lower-cased pattern after macro expansion: `gmail.com`, `*`, `*.example.com`, `[*.]example.com`. */
  pattern: string;
  /** The block's argument as written (`$google`, `yahoo.$topLevel`). */
  written: string;
  vmta?: string;
  pool?: string;
  at: string;
  /** Directive -> value and `file:line` (null-prototype: names are host text). */
  directives: Record<string, { value: string; at: string }>;
}

/** Expanded rules kept at most (a macro of 1,000 names used in 1,000 blocks is a million). */
export const MAX_RULES = 20_000;
const MAX_RULE_WARNINGS = 100;

function toInt(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*(\d+)\b/.exec(value);
  return m ? Number(m[1]) : undefined;
}

function domainSettings(block: BlockNode): DomainSettings {
  const raw = dict<string>();
  for (const child of block.children) if (child.type === 'directive') raw[child.name] = child.value;
  return {
    maxSmtpOut: toInt(raw['max-smtp-out']),
    maxMsgPerConnection: toInt(raw['max-msg-per-connection']),
    maxMsgRate: raw['max-msg-rate'],
    maxConnectRate: raw['max-connect-rate'],
    retryAfter: raw['retry-after'],
    bounceAfter: raw['bounce-after'],
    backoffMaxSmtpOut: toInt(raw['backoff-max-smtp-out']),
    raw,
  };
}

function domainsIn(children: ConfigNode[]): Record<string, DomainSettings> {
  const out = dict<DomainSettings>();
  for (const node of children) {
    if (node.type === 'block' && node.name === 'domain') out[node.arg.toLowerCase()] = domainSettings(node);
  }
  return out;
}

function lastValue(nodes: ConfigNode[], name: string): DirectiveNode | undefined {
  const found = findDirectives(nodes, name);
  return found[found.length - 1];
}

/** The settings the audit needs, from an already include-resolved node list. */
export function effectiveSettings(nodes: ConfigNode[]): EffectiveSettings {
  const warnings: string[] = [];
  const spoolDirs: string[] = [];
  for (const block of nodes) {
    if (block.type === 'block' && block.name === 'spool' && block.arg) spoolDirs.push(block.arg);
  }
  for (const d of findDirectives(nodes, 'spool')) {
    spoolDirs.push(d.value);
    warnings.push(`${d.file}:${d.line}: one-line "spool ${d.value}" is deprecated; use a <spool ${d.value}> block`);
  }
  for (const d of findDirectives(nodes, 'spool-dir')) {
    // The source article writes `spool-dir`; the UG has no such directive. Read it so the
    // audit can see where the operator meant the spool to be, and say it is not real.
    spoolDirs.push(d.value);
    warnings.push(`${d.file}:${d.line}: "spool-dir" is not a PowerMTA directive (the UG uses <spool ${d.value}>); PowerMTA will reject or ignore it`);
  }
  const acctFiles: string[] = [];
  const acctRecords = dict<string[]>();
  const acctPipes: string[] = [];
  for (const block of nodes) {
    if (block.type !== 'block' || block.name !== 'acct-file' || !block.arg) continue;
    // UG §11.3: the path may be quoted; "|cmd" pipes the records to a program.
    const path = /^".*"$/.test(block.arg) ? block.arg.slice(1, -1) : block.arg;
    if (path.startsWith('|')) {
      acctPipes.push(path);
      continue;
    }
    acctFiles.push(path);
    const records = findDirectives(block.children, 'records').pop();
    if (records) acctRecords[path] = records.value.split(/[\s,]+/).filter(Boolean);
  }
  const virtualMtas: EffectiveSettings['virtualMtas'] = [];
  for (const block of findBlocks(nodes, 'virtual-mta')) {
    const source = findDirectives(block.children, 'smtp-source-host').pop();
    const [ip, host] = source ? source.value.split(/\s+/) : [];
    virtualMtas.push({ name: block.arg, sourceIp: ip, sourceHost: host, domains: domainsIn(block.children) });
  }
  const pools: EffectiveSettings['pools'] = dict();
  for (const block of findBlocks(nodes, 'virtual-mta-pool')) {
    pools[block.arg] = {
      virtualMtas: findDirectives(block.children, 'virtual-mta').map((d) => d.value.split(/\s+/)[0]),
      domains: domainsIn(block.children),
    };
  }
  const { rules, rollups } = domainRules(nodes, warnings);
  poolConflicts(nodes, warnings);
  for (const v of virtualMtas) v.maxSmtpOut = blockCap(findBlocks(nodes, 'virtual-mta').find((b) => b.arg === v.name), warnings);
  for (const block of findBlocks(nodes, 'virtual-mta-pool')) {
    const pool = own(pools, block.arg);
    if (pool) pool.maxSmtpOut = blockCap(block, warnings);
  }
  const total = lastValue(nodes, 'total-max-smtp-out');
  const port = lastValue(nodes, 'http-mgmt-port');
  // A global number we cannot read is said, never taken as "not set" (issue #12 item 7).
  for (const name of ['total-max-smtp-out', 'http-mgmt-port', 'queue-processing-threads', 'smtp-service-threads', 'num-hosts']) {
    const d = lastValue(nodes, name);
    if (d && !/^\s*\d+\s*$/.test(d.value)) warnings.push(`${at(d)}: ${name} "${d.value.slice(0, 40)}" is not a number: ignored`);
  }
  return {
    threads: {
      queueProcessingThreads: toInt(lastValue(nodes, 'queue-processing-threads')?.value),
      smtpServiceThreads: toInt(lastValue(nodes, 'smtp-service-threads')?.value),
      numHosts: toInt(lastValue(nodes, 'num-hosts')?.value),
    },
    spoolDirs,
    acctFiles,
    acctRecords,
    acctPipes,
    logFile: lastValue(nodes, 'log-file')?.value,
    httpMgmtPort: port ? toInt(port.value) : undefined,
    totalMaxSmtpOut: toInt(total?.value),
    totalMaxSmtpOutAt: total ? at(total) : undefined,
    domains: domainsIn(nodes),
    virtualMtas,
    pools,
    rules,
    rollups,
    warnings,
  };
}

const at = (n: { file: string; line: number }): string => `${n.file}:${n.line}`;

/** `max-smtp-out` written directly in a vmta or pool block (the last one wins). */
function blockCap(block: BlockNode | undefined, warnings: string[]): { value: number; at: string; source: string } | undefined {
  const d = block ? findDirectives(block.children, 'max-smtp-out').pop() : undefined;
  if (!d || !block) return undefined;
  const value = /^\d+$/.test(d.value) ? Number(d.value) : undefined;
  if (value === undefined) {
    warnings.push(`${at(d)}: max-smtp-out "${d.value.slice(0, 40)}" is not a number: ignored`);
    return undefined;
  }
  return { value, at: at(d), source: `<${block.name} ${block.arg}> max-smtp-out` };
}

/** UG §3.3.13.2: a vmta in two pools that both hold <domain> blocks is a configuration error. */
function poolConflicts(nodes: ConfigNode[], warnings: string[]): void {
  const owner = new Map<string, BlockNode>();
  for (const pool of findBlocks(nodes, 'virtual-mta-pool')) {
    if (!pool.children.some((c) => c.type === 'block' && c.name === 'domain')) continue;
    for (const d of findDirectives(pool.children, 'virtual-mta')) {
      const vmta = d.value.split(/\s+/)[0] ?? '';
      const first = owner.get(vmta);
      if (first && first !== pool && warnings.length < MAX_RULE_WARNINGS) {
        warnings.push(`${at(d)}: virtual-mta ${vmta.slice(0, 80)} is in <virtual-mta-pool ${first.arg.slice(0, 80)}> (${at(first)}) too, and both hold <domain> blocks: PowerMTA refuses this (UG §3.3.13.2)`);
      } else owner.set(vmta, pool);
    }
  }
}

/**
 * `domain-macro NAME a, b, c` (UG §3.3.1.33.4); the last definition of a name wins. A member may
 * itself be `$macro` (UG §3.3.10: "macros within macros"); PowerMTA refuses loops, so they
 * are warned and the macro left undefined.
 */
function macros(nodes: ConfigNode[], warnings: string[]): Map<string, string[]> {
  const raw = new Map<string, { members: string[]; at: string }>();
  for (const d of findDirectives(nodes, 'domain-macro')) {
    const m = /^([A-Za-z0-9_-]+)\s+(.+)$/.exec(d.value);
    if (!m) {
      warnings.push(`${at(d)}: domain-macro "${d.value.slice(0, 60)}" not understood (expected: domain-macro NAME domain, domain, ...)`);
      continue;
    }
    raw.set(m[1].toLowerCase(), { members: m[2].split(/[\s,]+/).filter(Boolean).map((x) => x.toLowerCase()), at: at(d) });
  }
  const out = new Map<string, string[]>();
  const expand = (name: string, path: string[]): string[] | undefined => {
    const done = out.get(name);
    if (done) return done;
    const def = raw.get(name);
    if (!def) return undefined;
    if (path.includes(name)) {
      warnings.push(`${def.at}: domain-macro ${[...path, name].join(' -> ')} is a loop (PowerMTA refuses to load it)`);
      return undefined;
    }
    const members: string[] = [];
    for (const member of def.members) {
      if (!member.startsWith('$')) members.push(member);
      else members.push(...(expand(member.slice(1), [...path, name]) ?? []));
      if (members.length > MAX_RULES) break;
    }
    out.set(name, members);
    return members;
  };
  for (const name of raw.keys()) expand(name, []);
  return out;
}

/** Expand every `$name` in a pattern (`yahoo.$topLevel` -> yahoo.com, yahoo.de, ...). */
function expandMacros(written: string, defs: Map<string, string[]>): { patterns: string[]; unknown?: string } {
  let patterns = [written.toLowerCase()];
  for (const [, name] of written.matchAll(/\$([A-Za-z0-9_-]+)/g)) {
    const values = defs.get(name.toLowerCase());
    if (!values) return { patterns: [], unknown: name };
    patterns = patterns.flatMap((p) => values.map((v) => p.replace(`$${name.toLowerCase()}`, v)));
    if (patterns.length > MAX_RULES) break;
  }
  return { patterns };
}

/** Every `<domain>` block (global, in a vmta, in a pool) as rules, plus the `<mx-rollup-list>`. */
function domainRules(nodes: ConfigNode[], warnings: string[]): Pick<EffectiveSettings, 'rules' | 'rollups'> {
  const defs = macros(nodes, warnings);
  // Host text: a config of 25,000 bad blocks is not 25,000 warnings.
  let unlisted = 0;
  const warn = (text: string): void => void (warnings.length < MAX_RULE_WARNINGS ? warnings.push(text) : (unlisted += 1));
  const rules: DomainRule[] = [];
  const seen = new Map<string, DomainRule>();
  let dropped = 0;
  const add = (block: BlockNode, scope: { vmta?: string; pool?: string }): void => {
    const directives = dict<{ value: string; at: string }>();
    for (const c of block.children) if (c.type === 'directive') directives[c.name] = { value: c.value, at: at(c) };
    for (const name of ['max-smtp-out', 'max-msg-per-connection', 'backoff-max-smtp-out']) {
      const d = own(directives, name);
      if (d && !/^\d+$/.test(d.value)) warn(`${d.at}: ${name} "${d.value.slice(0, 40)}" is not a number: the default applies`);
    }
    // `<domain a.com, b.com>` is read as a list, as `<domain $macro>` is.
    for (const written of block.arg.split(/[\s,]+/).filter(Boolean)) {
      const { patterns, unknown } = expandMacros(written, defs);
      if (unknown !== undefined) warn(`${at(block)}: <domain ${written}> uses macro $${unknown}, which no domain-macro defines: block ignored`);
      for (const pattern of patterns) {
        if (!validPattern(pattern)) {
          warn(`${at(block)}: <domain ${written}> pattern "${pattern.slice(0, 80)}" not understood (UG forms: name, *, *.name, [*.]name): block ignored`);
          continue;
        }
        // The same pattern in the same scope again (both listed, or both from macros): one rule,
        // the later directives win (as the resolver would pick them), so repeated blocks cost nothing.
        const key = `${scope.vmta ?? ''}\0${scope.pool ?? ''}\0${written.includes('$')}\0${pattern}`;
        const same = seen.get(key);
        if (same) {
          same.directives = dict([...Object.entries(same.directives), ...Object.entries(directives)]);
          same.written = written;
          same.at = at(block);
        } else if (rules.length >= MAX_RULES) dropped += 1;
        else {
          const rule: DomainRule = { pattern, written, ...scope, at: at(block), directives };
          seen.set(key, rule);
          rules.push(rule);
        }
      }
    }
  };
  for (const node of nodes) {
    if (node.type !== 'block') continue;
    if (node.name === 'domain') add(node, {});
    if (node.name === 'virtual-mta' || node.name === 'virtual-mta-pool') {
      const scope = node.name === 'virtual-mta' ? { vmta: node.arg } : { pool: node.arg };
      for (const child of node.children) if (child.type === 'block' && child.name === 'domain') add(child, scope);
    }
  }
  if (unlisted > 0) warnings.push(`${unlisted} more <domain> warnings not listed`);
  if (dropped > 0) warnings.push(`${dropped} <domain> patterns beyond the first ${MAX_RULES} not resolved`);
  const rollups: EffectiveSettings['rollups'] = [];
  for (const block of findBlocks(nodes, 'mx-rollup-list')) {
    for (const c of block.children) {
      const m = c.type === 'directive' && c.name === 'mx' ? /^(\S+)\s+(\S+)/.exec(c.value) : null;
      if (m && !m[2].toLowerCase().endsWith('.rollup')) warn(`${at(c)}: rollup queue "${m[2].slice(0, 80)}" does not end in ".rollup", which UG §10.17 requires: ignored`);
      else if (m) rollups.push({ mx: m[1].toLowerCase(), queue: m[2].toLowerCase(), at: at(c) });
      else warn(`${at(c)}: <mx-rollup-list> entry not understood (expected: mx PATTERN QUEUE): ignored`);
    }
  }
  return { rules, rollups };
}
