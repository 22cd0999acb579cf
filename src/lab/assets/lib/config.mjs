// PowerMTA config parser: text -> tree -> validated model. Errors use PowerMTA's wording:
// `Error in line N of FILE: ...` (UG §3.1; `pmta test config`).
import fs from 'node:fs';
import path from 'node:path';
import { hostPath, PATHS } from './paths.mjs';

export class ConfigError extends Error {
  constructor(file, line, what) {
    super(`Error in line ${line} of ${file}: ${what}`);
    this.file = file;
    this.line = line;
  }
}

const INT = 'int';
const BOOL = 'bool';
const INTERVAL = 'interval';
const ANY = 'any';
const SIZE = 'size';

/** Directive name -> value kind, per context. The thread directives come from the article. */
const GLOBAL = {
  'http-mgmt-port': INT, 'http-access': ANY, 'http-api-key': ANY, 'http-redirect-to-https': BOOL,
  'run-as-root': BOOL, 'log-file': ANY, 'smtp-listener': ANY, postmaster: ANY, 'host-name': ANY,
  'total-max-smtp-out': INT, 'total-max-smtp-in': INT, 'smtp-source-host': ANY, spool: ANY,
  'queue-processing-threads': INT, 'smtp-service-threads': INT, 'num-hosts': INT,
  'sync-msg-create': BOOL, 'sync-msg-update': BOOL, 'iso-times': BOOL, 'log-rotate': INT,
  'log-connections': BOOL, 'log-commands': BOOL, 'admin-email': ANY, 'dkim-sign': BOOL,
  'domain-key': ANY, 'smtp-port': INT, 'relay-domain': ANY, 'max-message-size': SIZE,
  'domain-macro': ANY,
};
const DOMAIN = {
  'max-smtp-out': INT, 'max-msg-per-connection': INT, 'max-msg-rate': ANY, 'max-connect-rate': ANY,
  'retry-after': INTERVAL, 'bounce-after': INTERVAL, 'backoff-max-smtp-out': INT,
  'backoff-max-msg-rate': ANY, 'backoff-retry-after': INTERVAL, 'backoff-to-normal-after': INTERVAL,
  'backoff-notify': ANY, 'use-starttls': BOOL, 'require-starttls': BOOL, 'mx-rollup': ANY,
  'smtp-421-means-mx-unavailable': BOOL, 'dkim-sign': BOOL, 'max-rcpt-per-message': INT,
  route: ANY, 'smtp-pattern-list': ANY, 'bounce-upon-no-mx': BOOL, 'queue-to': ANY,
  'deliver-local-dsn': BOOL, 'smtp-hosts': ANY, 'type': ANY, 'max-cold-virtual-mta-msg': ANY,
  'connect-timeout': INTERVAL, 'data-response-timeout': INTERVAL, 'ignore-8bitmime': BOOL,
};
const VMTA = { 'smtp-source-host': ANY, 'host-name': ANY, 'dkim-sign': BOOL, 'domain-key': ANY, 'max-smtp-out': INT };
const POOL = { 'virtual-mta': ANY, 'max-smtp-out': INT };
/** UG §10.17: `mx PATTERN QUEUE [rollup-by-ip]`. */
const ROLLUP = { mx: ANY };
const SOURCE = {
  'always-allow-relaying': BOOL, 'process-x-virtual-mta': BOOL, 'max-message-size': SIZE,
  'smtp-service': BOOL, 'log-connections': BOOL, 'log-commands': BOOL, 'allow-unencrypted-plain-auth': BOOL,
  'default-virtual-mta': ANY, 'pattern-list': ANY, 'hide-message-source': BOOL, 'jobid-header': ANY,
  'add-received-header': BOOL, 'add-message-id-header': BOOL, 'add-date-header': BOOL, 'require-auth': BOOL,
  'remove-received-headers': BOOL, 'process-x-envid': BOOL, 'process-x-job': BOOL, 'always-allow-api-submission': BOOL,
};
const ACCT = {
  records: ANY, 'record-fields': ANY, 'max-size': SIZE, 'delete-after': INTERVAL, 'move-to': ANY,
  'move-interval': INTERVAL, 'world-readable': BOOL, sync: BOOL, 'map-header-to-field': ANY,
};
const SPOOL = { 'deliver-only': BOOL, 'delete-file-holders': BOOL, 'min-free-space': SIZE };

const BLOCKS = {
  top: { directives: GLOBAL, blocks: ['domain', 'virtual-mta', 'virtual-mta-pool', 'source', 'acct-file', 'spool', 'mx-rollup-list'] },
  'mx-rollup-list': { directives: ROLLUP, blocks: [], noArg: true },
  domain: { directives: DOMAIN, blocks: [] },
  'virtual-mta': { directives: VMTA, blocks: ['domain'] },
  'virtual-mta-pool': { directives: POOL, blocks: ['domain'] },
  source: { directives: SOURCE, blocks: [] },
  'acct-file': { directives: ACCT, blocks: [] },
  spool: { directives: SPOOL, blocks: [] },
};
const ALL_DIRECTIVES = new Set(Object.values(BLOCKS).flatMap((b) => Object.keys(b.directives)));

/**
 * The PowerMTA build being simulated (/etc/pmta-sim/build.json, absent = defaults):
 * `unknownDirectives` are directives this build does not know (answered `unknown directive`,
 * as for any name it does not know: the thread directives are the article's, not the Guide's),
 * `processingThreads` the queue-processing threads it runs when the config sets none.
 */
export const DEFAULT_BUILD = Object.freeze({ unknownDirectives: [], processingThreads: null });

export function loadBuild(read = (p) => fs.readFileSync(hostPath(p), 'utf8')) {
  let text;
  try {
    text = read(PATHS.build);
  } catch {
    return DEFAULT_BUILD;
  }
  const b = JSON.parse(text);
  return { unknownDirectives: (b.unknownDirectives ?? []).map((d) => String(d).toLowerCase()), processingThreads: b.processingThreads ?? null };
}

/** Default file access: in-host paths mapped through PMTA_SIM_ROOT. */
export const hostFs = {
  read: (p) => fs.readFileSync(hostPath(p), 'utf8'),
  list: (dir) => fs.readdirSync(hostPath(dir)),
  exists: (p) => fs.existsSync(hostPath(p)),
};

function wildcardToRegExp(pattern) {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

function expandInclude(arg, fromFile, io, line) {
  const target = path.isAbsolute(arg) ? arg : path.join(path.dirname(fromFile), arg);
  const base = path.basename(target);
  if (!/[*?]/.test(base)) {
    if (!io.exists(target)) throw new ConfigError(fromFile, line, `cannot open include file "${arg}"`);
    return [target];
  }
  const dir = path.dirname(target);
  if (!io.exists(dir)) return [];
  const re = wildcardToRegExp(base);
  return io.list(dir).filter((n) => re.test(n)).sort().map((n) => path.join(dir, n));
}

/** Parses FILE (and its includes) into a tree of { kind:'directive'|'block', ... } nodes. */
export function parseTree(file, io = hostFs, depth = 0, ctx = { kind: 'top', node: null }, build = { unknownDirectives: [] }) {
  if (depth > 10) throw new ConfigError(file, 1, 'include nesting too deep');
  let text;
  try {
    text = io.read(file);
  } catch (err) {
    throw new ConfigError(file, 0, `cannot read file (${err.code ?? err.message})`);
  }
  const root = ctx.node ?? { kind: 'block', type: 'top', arg: '', children: [], file, line: 0 };
  const stack = [root];
  const lines = text.split(/\r?\n/);
  let lastLine = 1;
  for (let i = 0; i < lines.length; i += 1) {
    const lineNo = i + 1;
    const raw = lines[i].replace(/(^|\s)#.*$/, '').trim();
    if (raw === '') continue;
    lastLine = lineNo;
    const current = stack[stack.length - 1];
    const close = /^<\/([a-z-]+)\s*>$/i.exec(raw);
    if (close) {
      const name = close[1].toLowerCase();
      if (stack.length === 1 || current.type !== name) throw new ConfigError(file, lineNo, `unexpected "</${name}>"`);
      stack.pop();
      continue;
    }
    const open = /^<([a-z-]+)(?:\s+([^>]*))?>$/i.exec(raw);
    if (open) {
      const type = open[1].toLowerCase();
      const arg = (open[2] ?? '').trim();
      if (!BLOCKS[type]) throw new ConfigError(file, lineNo, `unknown block "<${type}>"`);
      if (!BLOCKS[current.type].blocks.includes(type)) throw new ConfigError(file, lineNo, `block "<${type}>" not allowed here`);
      if (arg === '' && !BLOCKS[type].noArg) throw new ConfigError(file, lineNo, 'argument missing');
      const block = { kind: 'block', type, arg, children: [], file, line: lineNo };
      current.children.push(block);
      stack.push(block);
      continue;
    }
    if (raw.startsWith('<')) throw new ConfigError(file, lineNo, `syntax error "${raw}"`);
    const m = /^(\S+)(?:\s+(.*))?$/.exec(raw);
    const key = m[1].toLowerCase();
    const value = (m[2] ?? '').trim();
    if (key === 'include') {
      if (value === '') throw new ConfigError(file, lineNo, 'argument missing');
      for (const inc of expandInclude(value, file, io, lineNo)) {
        parseTree(inc, io, depth + 1, { kind: current.type, node: current }, build);
      }
      continue;
    }
    const allowed = BLOCKS[current.type].directives;
    if (build.unknownDirectives.includes(key)) throw new ConfigError(file, lineNo, `unknown directive "${key}"`);
    if (!(key in allowed)) {
      if (ALL_DIRECTIVES.has(key)) throw new ConfigError(file, lineNo, `directive "${key}" not allowed here`);
      throw new ConfigError(file, lineNo, `unknown directive "${key}"`);
    }
    if (value === '') throw new ConfigError(file, lineNo, 'argument missing');
    checkValue(allowed[key], key, value, file, lineNo);
    current.children.push({ kind: 'directive', key, value, file, line: lineNo });
  }
  if (stack.length > 1) {
    const open = stack[stack.length - 1];
    throw new ConfigError(file, lastLine, `missing "</${open.type}>" for block opened in line ${open.line}`);
  }
  return root;
}

function checkValue(kind, key, value, file, line) {
  const ok = {
    [INT]: () => /^\d+$/.test(value),
    [BOOL]: () => /^(yes|no|true|false)$/i.test(value),
    [INTERVAL]: () => /^(\d+[wdhms]?)+$/i.test(value) || /^never$/i.test(value),
    [SIZE]: () => /^\d+(\.\d+)?[kmgt]?b?$/i.test(value),
    [ANY]: () => true,
  }[kind]();
  if (!ok) throw new ConfigError(file, line, `invalid value "${value}" for "${key}"`);
}

/** `1w2d12h` / `10m` / `30` (seconds) -> seconds. */
export function parseInterval(text) {
  if (/^never$/i.test(text)) return Infinity;
  let total = 0;
  const unit = { w: 604800, d: 86400, h: 3600, m: 60, s: 1, '': 1 };
  for (const [, n, u] of text.matchAll(/(\d+)([wdhms]?)/gi)) total += Number(n) * unit[u.toLowerCase()];
  return total;
}

function directivesOf(block) {
  const out = {};
  for (const c of block.children) if (c.kind === 'directive') out[c.key] = c.value;
  return out;
}
function domainsOf(block) {
  const out = {};
  for (const c of block.children) {
    if (c.kind === 'block' && c.type === 'domain') {
      for (const name of c.arg.split(/[\s,]+/).filter(Boolean)) out[name.toLowerCase()] = { ...(out[name.toLowerCase()] ?? {}), ...directivesOf(c) };
    }
  }
  return out;
}

/** Turns the tree into the model the daemon uses. */
export function buildModel(tree) {
  const g = {};
  const httpAccess = [];
  for (const c of tree.children) {
    if (c.kind !== 'directive') continue;
    if (c.key === 'http-access') {
      const [cidr, level = 'monitor'] = c.value.split(/\s+/);
      httpAccess.push({ cidr, level: level.toLowerCase() });
    } else g[c.key] = c.value;
  }
  const blocks = (type) => tree.children.filter((c) => c.kind === 'block' && c.type === type);
  const vmtas = blocks('virtual-mta').map((b) => {
    const d = directivesOf(b);
    return { name: b.arg, sourceIp: (d['smtp-source-host'] ?? '').split(/\s+/)[0] || null, hostName: (d['smtp-source-host'] ?? '').split(/\s+/)[1] ?? null, domains: domainsOf(b), maxSmtpOut: d['max-smtp-out'] ? Number(d['max-smtp-out']) : null };
  });
  const pools = blocks('virtual-mta-pool').map((b) => ({
    name: b.arg,
    vmtas: b.children.filter((c) => c.kind === 'directive' && c.key === 'virtual-mta').map((c) => c.value),
    domains: domainsOf(b),
    maxSmtpOut: directivesOf(b)['max-smtp-out'] ? Number(directivesOf(b)['max-smtp-out']) : null,
  }));
  // UG §3.3.13.2: a vmta may not be in two pools that both hold <domain> blocks.
  const poolOf = new Map();
  for (const b of blocks('virtual-mta-pool')) {
    if (!b.children.some((c) => c.kind === 'block' && c.type === 'domain')) continue;
    for (const c of b.children.filter((x) => x.kind === 'directive' && x.key === 'virtual-mta')) {
      if (poolOf.has(c.value) && poolOf.get(c.value) !== b.arg) throw new ConfigError(c.file, c.line, `virtual MTA "${c.value}" is in two pools with domain definitions`);
      poolOf.set(c.value, b.arg);
    }
  }
  const macros = domainMacros(tree);
  const domainBlocks = [];
  const collect = (parent, scope) => {
    for (const c of parent.children) if (c.kind === 'block' && c.type === 'domain') domainBlocks.push(...domainBlock(c, scope, macros));
  };
  collect(tree, {});
  for (const b of blocks('virtual-mta')) collect(b, { vmta: b.arg });
  for (const b of blocks('virtual-mta-pool')) collect(b, { pool: b.arg });
  const rollups = blocks('mx-rollup-list').flatMap((b) =>
    b.children.filter((c) => c.kind === 'directive').map((c) => {
      const [mx, queue] = c.value.split(/\s+/);
      if (!queue) throw new ConfigError(c.file, c.line, 'queue name missing');
      if (!/\.rollup$/i.test(queue)) throw new ConfigError(c.file, c.line, `rollup queue name "${queue}" must end in ".rollup"`);
      return { mx: mx.toLowerCase(), queue: queue.toLowerCase() };
    }),
  );
  const acctFiles = blocks('acct-file').map((b) => {
    const d = directivesOf(b);
    const acct = { path: b.arg, records: (d.records ?? 'd,b').split(/[\s,]+/).filter(Boolean), recordFields: d['record-fields'] ?? null };
    // move-to / move-interval only when set (UG §3.3: the file is moved every interval).
    if (d['move-to']) acct.moveTo = d['move-to'].replace(/^"(.*)"$/, '$1');
    if (d['move-interval']) acct.moveInterval = d['move-interval'];
    return acct;
  });
  const spools = blocks('spool').map((b) => ({ path: b.arg, ...directivesOf(b) }));
  if (spools.length === 0 && g.spool) spools.push({ path: g.spool });
  const num = (k, dflt) => (g[k] !== undefined ? Number(g[k]) : dflt);
  return {
    httpMgmtPort: num('http-mgmt-port', 8080),
    httpAccess,
    httpApiKey: g['http-api-key'] ?? null,
    logFile: g['log-file'] ?? '/var/log/pmta/pmta.log',
    hostName: g['host-name'] ?? null,
    queueProcessingThreads: num('queue-processing-threads', null),
    smtpServiceThreads: num('smtp-service-threads', null),
    numHosts: num('num-hosts', null),
    totalMaxSmtpOut: num('total-max-smtp-out', 10000),
    globalSourceHost: g['smtp-source-host']?.split(/\s+/)[0] ?? null,
    domains: domainsOf(tree),
    domainBlocks,
    rollups,
    vmtas,
    pools,
    acctFiles,
    spoolDir: spools[0]?.path ?? '/var/spool/pmta',
  };
}

/** Reads, parses and validates the config file; throws ConfigError. */
export function loadConfig(file, io = hostFs, build = io === hostFs ? loadBuild() : DEFAULT_BUILD) {
  const model = buildModel(parseTree(file, io, 0, undefined, build));
  model.defaultProcessingThreads = build.processingThreads;
  return model;
}

const DOMAIN_DEFAULTS = { 'max-smtp-out': '20', 'max-msg-per-connection': '0', 'retry-after': '10m', 'bounce-after': '4d12h' };

/** domain-macro definitions; a member `$other` expands that macro, a loop is a load error (UG §3.3.10). */
function domainMacros(tree) {
  const defs = new Map();
  for (const c of tree.children) {
    if (c.kind !== 'directive' || c.key !== 'domain-macro') continue;
    const [name, ...rest] = c.value.split(/\s+/);
    defs.set(name.toLowerCase(), { c, members: rest.join(' ').split(/[\s,]+/).filter(Boolean).map((d) => d.toLowerCase()) });
  }
  const flat = (name, seen) => {
    const def = defs.get(name);
    if (!def) return null;
    if (seen.includes(name)) throw new ConfigError(def.c.file, def.c.line, `domain macro loop: ${[...seen, name].join(' -> ')}`);
    return def.members.flatMap((m) => (m.startsWith('$') ? flat(m.slice(1), [...seen, name]) ?? [] : [m]));
  };
  return new Map([...defs.keys()].map((name) => [name, flat(name, [])]));
}

/** `<domain ARG>`: each name of the argument, `$macro` expanded (UG §3.3.1.33.4), checked against the UG forms. */
function domainBlock(block, scope, macros) {
  const out = [];
  for (const written of block.arg.split(/[\s,]+/).filter(Boolean)) {
    let names = [written.toLowerCase()];
    for (const [, m] of written.matchAll(/\$([\w-]+)/g)) {
      const members = macros.get(m.toLowerCase());
      if (!members) throw new ConfigError(block.file, block.line, `unknown domain macro "$${m}"`);
      names = names.flatMap((n) => members.map((v) => n.replace(`$${m.toLowerCase()}`, v)));
    }
    for (const name of names) {
      if (!/^(\*|\{[\w.-]+\}|(\[\*\.\]|\*\.)?[a-z0-9_-]+(\.[a-z0-9_-]+)*)$/.test(name)) throw new ConfigError(block.file, block.line, `invalid domain name "${name}"`);
      out.push({ name, ...scope, listed: !written.includes('$'), settings: directivesOf(block) });
    }
  }
  return out;
}

/** How closely NAME matches DOMAIN: -1 none, 0 `*`, suffix length for `*.x`/`[*.]x`, above all for the name itself. */
function closeness(name, domain) {
  if (name === '*') return 0;
  if (name === domain) return 1e6;
  const wild = /^(\[\*\.\]|\*\.)(.*)$/.exec(name);
  if (!wild) return -1;
  if (domain.endsWith(`.${wild[2]}`) || (wild[1] === '[*.]' && domain === wild[2])) return wild[2].length;
  return -1;
}

/** The queue mail to DOMAIN goes to: a rollup queue by MX (UG §10.17), else queue-to (§10.9), else its own. */
export function queueOf(model, domain, vmtaName, mxHost) {
  const mx = (mxHost ?? '').toLowerCase();
  const rollups = model.rollups ?? [];
  for (const r of rollups) {
    // A queue naming more MXs than the domain has (it has one here) does not match.
    const named = rollups.filter((o) => o.queue === r.queue && !o.mx.startsWith('*.'));
    if (named.length > 1 || (named.length === 1 && named[0].mx !== mx)) continue;
    if (r.mx === mx || (r.mx.startsWith('*.') && mx.endsWith(r.mx.slice(1)))) return r.queue;
  }
  const to = layered(model, domain, vmtaName)['queue-to'];
  return to ? to.replace(/^"|"$/g, '').toLowerCase() : domain;
}

/**
 * Directives for queue DOMAIN through VMTA, layered from the least to the most specific block:
 * closeness first, then global < pool < the vmta's own block, then macro-expanded < listed, then file order.
 */
function layered(model, domain, vmtaName) {
  const d = domain.toLowerCase();
  const pools = new Set(model.pools.filter((p) => p.vmtas.includes(vmtaName)).map((p) => p.name));
  const scopeOf = (b) => (b.vmta !== undefined ? (b.vmta === vmtaName ? 2 : -1) : b.pool !== undefined ? (pools.has(b.pool) ? 1 : -1) : 0);
  const matching = (model.domainBlocks ?? [])
    .map((b, order) => ({ b, order, close: closeness(b.name, d), scope: scopeOf(b), listed: b.listed ? 1 : 0 }))
    .filter((m) => m.close >= 0 && m.scope >= 0)
    // A name listed as such outranks the same name from a macro (UG §3.3.10, the aol.com example).
    .sort((x, y) => x.close - y.close || x.scope - y.scope || x.listed - y.listed || x.order - y.order);
  return Object.assign({}, DOMAIN_DEFAULTS, ...matching.map((m) => m.b.settings));
}

/** Effective settings for queue DOMAIN sent through VMTA (most specific wins). */
export function domainSettings(model, domain, vmtaName) {
  const s = layered(model, domain, vmtaName);
  return {
    maxSmtpOut: Number(s['max-smtp-out']),
    maxMsgPerConnection: Number(s['max-msg-per-connection']),
    retryAfterSec: parseInterval(s['retry-after']),
    bounceAfterSec: parseInterval(s['bounce-after']),
  };
}
