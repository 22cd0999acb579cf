// PowerMTA config parser: text -> tree -> validated model. Errors use PowerMTA's wording:
// `Error in line N of FILE: ...` (UG §3.1; `pmta test config`).
import fs from 'node:fs';
import path from 'node:path';
import { hostPath } from './paths.mjs';

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
const POOL = { 'virtual-mta': ANY };
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
  top: { directives: GLOBAL, blocks: ['domain', 'virtual-mta', 'virtual-mta-pool', 'source', 'acct-file', 'spool'] },
  domain: { directives: DOMAIN, blocks: [] },
  'virtual-mta': { directives: VMTA, blocks: ['domain'] },
  'virtual-mta-pool': { directives: POOL, blocks: ['domain'] },
  source: { directives: SOURCE, blocks: [] },
  'acct-file': { directives: ACCT, blocks: [] },
  spool: { directives: SPOOL, blocks: [] },
};
const ALL_DIRECTIVES = new Set(Object.values(BLOCKS).flatMap((b) => Object.keys(b.directives)));

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
export function parseTree(file, io = hostFs, depth = 0, ctx = { kind: 'top', node: null }) {
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
      if (arg === '') throw new ConfigError(file, lineNo, 'argument missing');
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
        parseTree(inc, io, depth + 1, { kind: current.type, node: current });
      }
      continue;
    }
    const allowed = BLOCKS[current.type].directives;
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
  }));
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
    vmtas,
    pools,
    acctFiles,
    spoolDir: spools[0]?.path ?? '/var/spool/pmta',
  };
}

/** Reads, parses and validates the config file; throws ConfigError. */
export function loadConfig(file, io = hostFs) {
  return buildModel(parseTree(file, io));
}

const DOMAIN_DEFAULTS = { 'max-smtp-out': '20', 'max-msg-per-connection': '0', 'retry-after': '10m', 'bounce-after': '4d12h' };

/** Effective settings for mail to DOMAIN sent through VMTA (most specific wins). */
export function domainSettings(model, domain, vmtaName) {
  const vmta = model.vmtas.find((v) => v.name === vmtaName);
  const pools = model.pools.filter((p) => p.vmtas.includes(vmtaName));
  const layers = [DOMAIN_DEFAULTS, model.domains['*'], ...pools.map((p) => p.domains['*']), model.domains[domain], ...pools.map((p) => p.domains[domain]), vmta?.domains['*'], vmta?.domains[domain]];
  const s = Object.assign({}, ...layers.filter(Boolean));
  return {
    maxSmtpOut: Number(s['max-smtp-out']),
    maxMsgPerConnection: Number(s['max-msg-per-connection']),
    retryAfterSec: parseInterval(s['retry-after']),
    bounceAfterSec: parseInterval(s['bounce-after']),
  };
}
