/**
 * `mtafleet history [--limit PAT] [--since 7d] [--format table|json|markdown|html]`: the fleet's
 * and each host's delivery rate, queue and findings over time, from the history store.
 * `--prune AGE` deletes what is older (the retention setting). Records still pending from a
 * time the store was down are written first, so they show.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { HistoryStore } from '../history/index.js';
import { InputError, MtafleetError } from '../util/errors.js';
import { safeJson } from '../util/sanitize.js';
import { defaultStateDir, inventoryLoadOptions, type VaultCliOptions } from './common.js';

interface HistoryCliOptions extends VaultCliOptions {
  stateDir: string;
  db?: string;
  limit?: string;
  inventory?: string;
  since?: number;
  format: 'table' | 'json' | 'markdown' | 'html';
  prune?: number;
}

export const HISTORY_FORMATS = ['table', 'json', 'markdown', 'html'] as const;

export function register(program: Command): void {
  program
    .command('history')
    .description("the fleet's and each host's delivery rate, queue and findings over time (first seen, resolved, how long open)")
    .option('-l, --limit <pattern>', 'only these hosts: names, globs, a:b, !x (groups too with -i)')
    .option('-i, --inventory <path>', 'inventory, to resolve group names in --limit')
    .option('--since <age>', 'how far back: 7d, 12h, 90m, 2w, or a date such as 2026-12-01 (default 7d)', ageArg)
    .addOption(new Option('--format <format>', 'output format').choices(HISTORY_FORMATS).default('table'))
    .option('--prune <age>', 'delete audits, resolved findings and runs older than AGE (e.g. 90d), then exit', ageArg)
    .option('--db <url>', 'history store: postgres://... or a SQLite file (default: $MTAFLEET_DB, else STATE_DIR/history.sqlite)')
    .option('--state-dir <dir>', 'journal and run history directory', defaultStateDir())
    .action(async (opts: HistoryCliOptions) => {
      process.exitCode = await runHistory(opts);
    });
}

export async function runHistory(opts: HistoryCliOptions): Promise<number> {
  // Loaded when the command runs, not at start-up (issue 17).
  const [{ HOST_POINTS_MAX, historyData, matchHostNames, openStore, flushPending, renderHistoryHtml, renderHistoryMarkdown, renderHistoryTable, storeError, storeTarget, writeItem }, { loadInventory, selectHosts }] = await Promise.all([
    import('../history/index.js'),
    import('../inventory/index.js'),
  ]);
  const names = opts.inventory !== undefined && opts.limit !== undefined ? selectHosts(await loadInventory(opts.inventory, await inventoryLoadOptions(opts)), opts.limit).map((h) => h.name) : undefined;
  const target = storeTarget(opts);
  let store: HistoryStore;
  try {
    store = await openStore(target);
  } catch (err) {
    throw new StoreUnavailableError(`history store unreachable: ${storeError(target, err)}`);
  }
  try {
    // Records kept while the store was down show too; one that cannot be written stays pending.
    await flushPending(opts.stateDir, (item) => writeItem(store, item)).catch((err: unknown) => {
      process.stderr.write(`mtafleet: history records pending in ${opts.stateDir} not written: ${storeError(target, err)}\n`);
    });
    if (opts.prune !== undefined) {
      const n = await store.prune(opts.prune);
      process.stdout.write(`pruned ${n.audits} audit(s) and ${n.runs} run(s) older than ${new Date(opts.prune).toISOString()}\n`);
      return 0;
    }
    const until = Date.now();
    const since = opts.since ?? parseAge('7d');
    const known = await store.hostNames();
    const hosts = names ? known.filter((n) => names.includes(n)) : opts.limit !== undefined ? matchHostNames(known, opts.limit) : known;
    const limited = opts.limit !== undefined;
    const data = historyData({
      sinceMs: since,
      untilMs: until,
      limit: opts.limit ?? null,
      store: target.backend,
      hosts,
      fleet: limited ? null : await store.fleetPoints(since),
      points: limited || hosts.length <= HOST_POINTS_MAX ? await store.hostPoints(hosts, since) : [],
      latest: await store.latestPoints(hosts),
      spans: await store.spans(since, limited ? hosts : undefined),
    });
    const render = { json: (d: typeof data) => safeJson(d, 2) + '\n', markdown: renderHistoryMarkdown, html: renderHistoryHtml, table: renderHistoryTable }[opts.format];
    process.stdout.write(render(data));
    return 0;
  } finally {
    await store.close();
  }
}

/** The store could not be opened: `history` has nothing to show (exit 1, the URL redacted). */
class StoreUnavailableError extends MtafleetError {}

/** "7d", "12h", "90m", "2w" back from now, or an ISO date: epoch ms. */
export function parseAge(value: string): number {
  const m = /^(\d+)\s*([mhdw])$/.exec(value.trim());
  if (m) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 'm' | 'h' | 'd' | 'w'];
    return Date.now() - Number(m[1]) * unit;
  }
  const t = Date.parse(value);
  if (/^\d{4}-\d{2}-\d{2}/.test(value) && Number.isFinite(t)) return t;
  throw new InputError(`expected an age such as 7d, 12h, 90m, 2w or a date such as 2026-12-01, got "${value}"`);
}

function ageArg(value: string): number {
  try {
    return parseAge(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}
