// Options of `pmta show domains|topdomains|queues|topqueues|vmtas` (UG §6.3.12, §6.3.13, §6.3.17,
// §6.3.18, §6.3.20) and the row selection they make: filter, sort, then cut at --maxitems.
// Pure; shared by the CLI (parsing) and the daemon (selection).

/** Options each show command accepts (the UG's syntax lines). */
const ACCEPTS = {
  domains: ['vmta', 'connected', 'maxitems', 'errors', 'sort'],
  topdomains: ['vmta', 'connected', 'maxitems', 'errors'],
  queues: ['connected', 'paused', 'mode', 'maxitems', 'errors', 'sort', 'no-rcpt-events', 'mode-events'],
  topqueues: ['connected', 'paused', 'mode', 'maxitems', 'errors', 'no-rcpt-events'],
  vmtas: ['maxitems'],
};
const CHOICES = { connected: ['yes', 'no'], paused: ['yes', 'no'], mode: ['normal', 'backoff'], sort: ['name', 'rcpt', 'size'] };
const FLAGS = new Set(['errors', 'no-rcpt-events', 'mode-events']);

/** argv after `show WHAT` -> { opts, name } or { error }. */
export function parseShowArgs(what, argv) {
  const accepts = ACCEPTS[what] ?? [];
  const opts = {};
  let name;
  for (const arg of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) {
      if (name !== undefined) return { error: `unexpected argument "${arg}"` };
      name = arg.toLowerCase();
      continue;
    }
    const [, key, value] = m;
    if (!accepts.includes(key)) return { error: `unknown option "--${key}" for show ${what}` };
    if (FLAGS.has(key)) {
      if (value !== undefined) return { error: `option "--${key}" takes no value` };
      opts[key] = true;
    } else if (key === 'maxitems') {
      if (!/^\d+$/.test(value ?? '') || Number(value) < 1) return { error: '--maxitems needs a positive number' };
      opts.maxitems = Number(value);
    } else if (CHOICES[key]) {
      if (!CHOICES[key].includes(value)) return { error: `--${key} must be one of ${CHOICES[key].join(', ')}` };
      opts[key] = value;
    } else {
      if (!value) return { error: `--${key} needs a value` };
      opts[key] = value;
    }
  }
  return { opts, name };
}

/** Shell-style pattern (`*`, `?`) -> matcher; undefined/`*` matches everything. */
export function nameMatcher(pattern) {
  if (!pattern || pattern === '*') return () => true;
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return (s) => re.test(s);
}

/** Byte order, as the UG sample lists test1, test10 ... test19, test2 (not a numeric or locale order). */
const byName = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
const SORTS = {
  name: (key) => (a, b) => byName(key(a), key(b)),
  rcpt: (key) => (a, b) => b.rcpt - a.rcpt || byName(key(a), key(b)),
  size: (key) => (a, b) => b.kb - a.kb || byName(key(a), key(b)),
};

/**
 * rows: [{ rcpt, kb, conn, ... }]; key(row) is the row's name. Returns { rows, total }: the
 * matching rows sorted and cut at maxitems (default 20, UG §6.3.12), and how many matched.
 */
export function selectRows(rows, key, { sort = 'name', maxitems = 20, connected, filter = () => true } = {}) {
  const matching = rows.filter((r) => filter(r) && (connected === undefined || (connected === 'yes') === r.conn > 0));
  matching.sort(SORTS[sort](key));
  return { rows: matching.slice(0, maxitems), total: matching.length };
}
