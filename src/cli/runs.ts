/**
 * `mtafleet runs [RUN_ID]`: the run history, or one run's details. Records hold host text
 * (errors with remote stderr, lock owners): text lines go through the sanitiser.
 * `mtafleet runs --from-hosts -i INV`: the runs whose undo records the hosts keep.
 */
import { Option, type Command } from 'commander';
import type { HostRuns, RunRecord } from '../engine/index.js';
import { InputError } from '../util/errors.js';
import { exitCodeFor } from '../util/outcome.js';
import { safeJson, safeLine } from '../util/sanitize.js';
import { addCommonOptions, addVaultOptions, connectionOptionsFrom, forksOption, inventoryLoadOptions, type CommonOptions, type VaultCliOptions } from './common.js';

interface RunsCliOptions extends CommonOptions, VaultCliOptions {
  db?: string;
  format: 'text' | 'json';
  fromHosts: boolean;
  inventory?: string;
  limit?: string;
  forks: number;
}

export function register(program: Command): void {
  const cmd = program
    .command('runs')
    .description("list runs (when, who, playbook, outcome), or show one; --from-hosts: the runs the hosts keep undo records of")
    .argument('[run-id]', 'show this run')
    .option('--from-hosts', "list the runs whose undo records the inventory's hosts keep (needs -i)", false)
    .option('-i, --inventory <file>', 'inventory (with --from-hosts)')
    .option('-l, --limit <pattern>', 'only these hosts (with --from-hosts)')
    .addOption(forksOption())
    .option('--db <url>', "list the runs of this history store (the team's, with a shared PostgreSQL; default: $MTAFLEET_DB, else this state dir's runs)")
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'));
  addCommonOptions(cmd);
  addVaultOptions(cmd);
  cmd.action(async (runId: string | undefined, opts: RunsCliOptions) => {
    // Loaded when the command runs, not at start-up (issue 17).
    const { listRuns, readRunRecord } = await import('../engine/run-record.js');
    if (opts.fromHosts) {
      const [{ listHostRuns }, { loadInventory }] = await Promise.all([import('../engine/index.js'), import('../inventory/index.js')]);
      if (!opts.inventory) throw new InputError('runs --from-hosts needs the inventory: -i INV');
      if (runId) throw new InputError('runs --from-hosts lists every run the hosts know; give no run id');
      const inventory = await loadInventory(opts.inventory, await inventoryLoadOptions(opts));
      const hosts = await listHostRuns({ inventory, limit: opts.limit, forks: opts.forks, resolve: connectionOptionsFrom(opts) });
      process.stdout.write(opts.format === 'json' ? safeJson(hosts, 2) + '\n' : renderHostRuns(hosts));
      process.exitCode = exitCodeFor(hosts.map((h) => h.status));
      return;
    }
    // A store named with --db / $MTAFLEET_DB lists the team's runs; else this state dir's.
    const named = (opts.db ?? process.env.MTAFLEET_DB ?? '') !== '';
    const fromStore = named ? await import('./runs-store.js') : undefined;
    if (runId) {
      if (fromStore && (await fromStore.printStoreRun(opts.db, opts.stateDir, runId, opts.format))) return;
      const r = readRunRecord(opts.stateDir, runId);
      process.stdout.write(opts.format === 'json' ? safeJson(r, 2) + '\n' : renderRunRecord(r));
      return;
    }
    if (fromStore && (await fromStore.printStoreRuns(opts.db, opts.stateDir, opts.format))) return;
    const runs = listRuns(opts.stateDir);
    if (opts.format === 'json') {
      process.stdout.write(safeJson(runs, 2) + '\n');
      return;
    }
    if (runs.length === 0) process.stdout.write(`no runs in ${safeLine(opts.stateDir)}\n`);
    for (const r of runs) process.stdout.write(`${runListLine(r)}\n`);
  });
}

/** One line per run the hosts know (newest first): on how many hosts, changes recorded and undone. */
export function renderHostRuns(hosts: HostRuns[]): string {
  const runs = new Map<string, { hosts: string[]; intents: number; undone: number; modified: number }>();
  for (const h of hosts) {
    for (const r of h.runs) {
      const e = runs.get(r.runId) ?? { hosts: [], intents: 0, undone: 0, modified: 0 };
      e.hosts.push(h.host);
      e.intents += r.intents;
      e.undone += r.undone;
      e.modified = Math.max(e.modified, r.modified);
      runs.set(r.runId, e);
    }
  }
  const out: string[] = [];
  const sorted = [...runs].sort((a, b) => b[1].modified - a[1].modified || (a[0] < b[0] ? 1 : -1));
  for (const [id, e] of sorted) {
    const at = new Date(e.modified * 1000).toISOString().replace(/\.000Z$/, 'Z');
    out.push(`${id}  last written ${at}  ${e.hosts.length} host(s)  ${e.intents} change(s) recorded, ${e.undone} undone  [${e.hosts.join(', ')}]`);
  }
  if (sorted.length === 0) out.push('no host keeps undo records of any run');
  for (const h of hosts) if (h.error !== null) out.push(`${h.host}: could not list: ${h.error}`);
  return out.map((l) => `${safeLine(l)}\n`).join('');
}

function outcome(r: RunRecord): string {
  if (r.finishedAt === null) return 'UNFINISHED (runner stopped or killed; see `mtafleet rollback`)';
  return Object.entries(r.summary)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k}=${n}`)
    .join(' ');
}

export function runListLine(r: RunRecord): string {
  const from = r.source === 'hosts' ? "  (known from the hosts' undo records)" : r.source === 'store' ? "  (known from the history store's records)" : '';
  const approved = r.signers && r.signers.length > 0 ? `  approved by ${r.signers.map((s) => s.principal).join(', ')}` : '';
  return safeLine(`${r.runId}  ${r.startedAt}  ${r.user}  ${r.command}  ${r.playbook ?? '-'}  ${r.hosts.length} host(s)  ${outcome(r)}${approved}${from}`);
}

export function renderRunRecord(r: RunRecord): string {
  const out = [
    `run ${r.runId} (${r.command})`,
    `  started  ${r.startedAt} by ${r.user}`,
    `  finished ${r.finishedAt ?? '(never: the runner stopped or was killed)'}`,
    `  playbook ${r.playbook ?? '-'}`,
    `  inventory ${r.inventory ?? '-'}`,
    ...(r.planFile ? [`  plan file ${r.planFile}`] : []),
    ...(r.signers ?? []).map((s) => `  approved by ${s.principal} (${s.keyType} ${s.key})`),
    `  outcome  ${outcome(r)}`,
  ];
  for (const h of r.hosts) out.push(`    ${h.name.padEnd(20)} ${h.status.padEnd(11)} ${h.changes} change(s)${h.error ? `  ${h.error}` : ''}`);
  if (r.notRun.length > 0) out.push(`  not run: ${r.notRun.join(', ')}`);
  if (r.stopped) out.push(`  stopped: ${r.stopped}`);
  const rb = r.rollbacks ?? [];
  for (const x of rb) out.push(`  rolled back ${x.at} by ${x.user}: ${x.hosts.map((h) => `${h.name} ${h.status}`).join(', ')}`);
  return out.map(safeLine).join('\n') + '\n';
}
