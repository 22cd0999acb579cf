/**
 * `mtafleet rollback RUN_ID [-i INV] [--limit PAT]`: undo a run from its journal, newest change
 * first. The undo records come from, in this order: the local journal; the history store's copy
 * of the run's journal (a store named with --db / $MTAFLEET_DB); the hosts' own copies (-i).
 */
import { Option, type Command } from 'commander';
import type { RollbackResult } from '../engine/index.js';
import { InputError } from '../util/errors.js';
import { exitCodeFor } from '../util/outcome.js';
import { safeLine } from '../util/sanitize.js';
import { addCommonOptions, addHistoryOptions, type HistoryCliOptions, addVaultOptions, connectionOptionsFrom, forksOption, type CommonOptions, inventoryLoadOptions, type VaultCliOptions } from './common.js';

interface RollbackCliOptions extends CommonOptions, VaultCliOptions, HistoryCliOptions {
  inventory?: string;
  limit?: string;
  forks: number;
  format: 'text' | 'json';
}

export function register(program: Command): void {
  const cmd = program
    .command('rollback')
    .description("undo a run's changes from its journal (or the hosts' own undo records), newest first, per host")
    .argument('<run-id>', 'run id (see `mtafleet runs`)')
    .option('-i, --inventory <file>', "inventory (default: the run's own); without a local journal of the run, its hosts' own undo records are read")
    .option('-l, --limit <pattern>', 'only these hosts')
    .addOption(forksOption())
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'));
  addHistoryOptions(cmd);
  addCommonOptions(cmd);
  addVaultOptions(cmd);
  cmd.action(async (runId: string, opts: RollbackCliOptions) => {
    const startedAt = Date.now();
    // Loaded when the command runs, not at start-up (issue 17).
    const [{ findRunRecord, rollbackFromHosts, rollbackRun }, { runsDir }, { withProgress, renderRunText, runJson }, { loadInventory }, { recordRun, storeJournal }] = await Promise.all([
      import('../engine/index.js'),
      import('../engine/journal.js'),
      import('../report/index.js'),
      import('../inventory/index.js'),
      import('./history-record.js'),
    ]);
    // The local journal when there is one; else the hosts' own records (a run this machine
    // only knows from an earlier rollback from the hosts is read from the hosts again).
    const record = findRunRecord(opts.stateDir, runId);
    const local = record !== undefined && record.source === undefined;
    const stored = local ? undefined : await storeJournal(opts, runId);
    const inventoryFile = opts.inventory ?? record?.inventory ?? stored?.inventory;
    if (!inventoryFile) {
      throw new InputError(
        record
          ? `run ${runId} has no inventory recorded; give one with -i`
          : `no run "${runId}" in ${runsDir(opts.stateDir)}${stored ? '' : ' nor in a history store'}; to roll it back from the undo records the hosts keep, give the inventory with -i`,
      );
    }
    const inventory = await loadInventory(inventoryFile, await inventoryLoadOptions(opts));
    const options = { runId, stateDir: opts.stateDir, inventory, limit: opts.limit, forks: opts.forks, resolve: connectionOptionsFrom(opts) };
    const result = await withProgress('rollback', opts.format, (emit) =>
      local ? rollbackRun(options, emit ? { emit } : {}) : rollbackFromHosts(options, emit ? { emit } : {}, stored?.journal),
    );
    if (opts.format === 'json') {
      process.stdout.write(runJson(result));
    } else {
      process.stdout.write(`${sourceLine(result, runsDir(opts.stateDir), stored?.where)}\n`);
      process.stdout.write(renderRunText(result) + renderProblems(result.problems));
      if (result.noRecords?.length) process.stdout.write(safeLine(`no undo records of run ${runId} on: ${result.noRecords.join(', ')}`) + '\n');
      if (result.hosts.length === 0) process.stdout.write(`nothing to undo in run ${safeLine(runId)}\n`);
    }
    process.exitCode = exitCodeFor(result.hosts.map((h) => h.status));
    await recordRun(opts, result, { command: 'rollback', startedAt, playbook: record?.playbook ?? null, inventory: inventoryFile });
  });
}

/** What could not be restored, and how to by hand. Reasons hold host text: one sanitised line each. */
export function renderProblems(problems: RollbackResult['problems']): string {
  const out: string[] = [];
  for (const p of problems) {
    const what = p.kind === 'failed' ? 'NOT RESTORED' : 'not reversible (left as it is)';
    out.push(`${what} on ${p.host}: ${p.change}: ${p.reason}`, ...p.manual.map((m) => `  to restore by hand: ${m}`));
  }
  return out.map((l) => `${safeLine(l)}\n`).join('');
}

/** Which undo records the rollback used: said first, so the operator knows what was trusted. */
export function sourceLine(result: RollbackResult, runs: string, store = 'the history store'): string {
  return safeLine(
    result.source === 'local'
      ? `undo records: the local journal (${runs}/${result.runId})`
      : result.source === 'store'
        ? `undo records: read from the history store ${store} (this machine had no journal of run ${result.runId}), kept in ${runs}/${result.runId}`
        : `undo records: read from the hosts' own copies (this machine had no journal of run ${result.runId}), kept in ${runs}/${result.runId}`,
  );
}
