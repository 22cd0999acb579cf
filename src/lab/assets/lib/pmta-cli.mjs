// `pmta`: the command-line tool. Talks to pmtad over its control socket; `test config`,
// `show version` and `inject` (when the daemon is down) work without it.
import { hostPath, PATHS, VERSION_LINE } from './paths.mjs';
import { request } from './control.mjs';
import { parseShowArgs } from './listing.mjs';
// config.mjs, spool.mjs and world.mjs are imported only by the commands that need them: `pmta show`
// runs on every probe and should cost little more than node's own start.

const USAGE = 'usage: pmta show status|vmtas|domains|topdomains|queues|topqueues|version [options] | reload | test config | pause queue D/V | resume queue D/V | set queue --mode={normal|backoff} D/V | inject N [--domain D] [--size BYTES] | rotate acct\n';

async function daemon(cmd, args = {}) {
  try {
    return await request(hostPath(PATHS.socket), cmd, args);
  } catch (err) {
    const why = err.code === 'ENOENT' || err.code === 'ECONNREFUSED' ? 'Connection refused' : err.message;
    return { code: 1, out: '', err: `Error connecting to PowerMTA management service: ${why} (is pmtad running?)\n` };
  }
}

async function injectOffline(count, domain, sizeBytes) {
  const { loadConfig } = await import('./config.mjs');
  const { writeMessageSync, newMessageId, randomRcpt, pickDomain } = await import('./spool.mjs');
  const { DEFAULT_WORLD, loadWorld } = await import('./world.mjs');
  const model = loadConfig(PATHS.config);
  let world = DEFAULT_WORLD;
  try {
    world = loadWorld();
  } catch {
    /* default mix */
  }
  const spool = hostPath(model.spoolDir);
  for (let i = 0; i < count; i += 1) {
    const d = domain ?? pickDomain(world.mix);
    writeMessageSync(spool, { id: newMessageId(), rcpt: randomRcpt(d), domain: d, orig: 'bounce@news.example.org', vmta: '', queuedAt: Date.now(), jobId: 'inject' }, sizeBytes);
  }
  return { code: 0, out: `${count} messages injected.\n`, err: '' };
}

/** Runs one pmta command line; returns { code, out, err }. */
export async function runPmta(argv) {
  const json = argv.includes('--json');
  const args = argv.filter((a) => a !== '--json');
  const [verb, what, ...rest] = args;
  if (verb === 'show') {
    if (what === 'version') return { code: 0, out: `${VERSION_LINE}\n`, err: '' };
    if (what === 'status') return rest.length ? { code: 1, out: '', err: `pmta: show status takes no arguments\n${USAGE}` } : daemon(what, { json });
    if (['vmtas', 'domains', 'topdomains', 'queues', 'topqueues'].includes(what)) {
      const parsed = parseShowArgs(what, rest);
      if (parsed.error) return { code: 1, out: '', err: `pmta: ${parsed.error}\n${USAGE}` };
      return daemon(what, { json, opts: parsed.opts, name: parsed.name });
    }
    return { code: 1, out: '', err: `pmta: unknown object "${what ?? ''}" for show\n${USAGE}` };
  }
  if (verb === 'reload') return daemon('reload');
  // UG §6.3.11: set queue --mode={normal|backoff} domain[/vmta]
  if (verb === 'set' && what === 'queue') {
    const mode = /^--mode=(normal|backoff)$/.exec(rest[0] ?? '')?.[1];
    if (!mode || !rest[1] || rest.length > 2) return { code: 1, out: '', err: USAGE };
    return daemon('mode', { mode, queue: rest[1].toLowerCase() });
  }
  if (verb === 'test' && what === 'config') {
    const { loadConfig, ConfigError } = await import('./config.mjs');
    try {
      loadConfig(PATHS.config);
      return { code: 0, out: '', err: '' };
    } catch (err) {
      if (err instanceof ConfigError) return { code: 1, out: '', err: `${err.message}\n` };
      throw err;
    }
  }
  if ((verb === 'pause' || verb === 'resume') && what === 'queue' && rest[0]) return daemon(verb, { queue: rest[0] });
  if (verb === 'inject') {
    const count = Number(what);
    const i = rest.indexOf('--domain');
    const domain = i >= 0 ? rest[i + 1]?.toLowerCase() : undefined;
    // --size: bytes per message (default 4096), e.g. messages with attachments.
    const s = rest.indexOf('--size');
    const sizeBytes = s >= 0 ? Number(rest[s + 1]) : 4096;
    if (!Number.isInteger(count) || count < 1 || (i >= 0 && !domain)) return { code: 1, out: '', err: `pmta: inject needs a positive count\n${USAGE}` };
    if (!Number.isInteger(sizeBytes) || sizeBytes < 512 || sizeBytes > 64 * 1024 * 1024) return { code: 1, out: '', err: `pmta: inject --size needs a byte count from 512 to 67108864\n${USAGE}` };
    const reply = await daemon('inject', { count, domain, sizeBytes });
    if (reply.code !== 0 && /Connection refused/.test(reply.err)) return injectOffline(count, domain, sizeBytes);
    return reply;
  }
  if (verb === 'rotate' && what === 'acct') return daemon('rotate');
  return { code: 1, out: '', err: USAGE };
}

export async function main(argv) {
  const { code, out, err } = await runPmta(argv);
  process.stdout.write(out);
  process.stderr.write(err);
  process.exitCode = code;
}
