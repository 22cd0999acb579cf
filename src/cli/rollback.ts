/** `mtafleet rollback RUN_ID [--limit PAT]`: undo a run from its journal, newest change first. */
import { Option, type Command } from 'commander';
import type { RollbackResult } from '../engine/index.js';
import { InputError } from '../util/errors.js';
import { exitCodeFor } from '../util/outcome.js';
import { safeLine } from '../util/sanitize.js';
import { addCommonOptions, addVaultOptions, connectionOptionsFrom, forksOption, type CommonOptions, inventoryLoadOptions, type VaultCliOptions } from './common.js';

interface RollbackCliOptions extends CommonOptions, VaultCliOptions {
  inventory?: string;
  limit?: string;
  forks: number;
  format: 'text' | 'json';
}

export function register(program: Command): void {
  const cmd = program
    .command('rollback')
    .description("undo a run's changes from its journal, newest first, per host")
    .argument('<run-id>', 'run id (see `mtafleet runs`)')
    .option('-i, --inventory <file>', "inventory (default: the run's own)")
    .option('-l, --limit <pattern>', 'only these hosts')
    .addOption(forksOption())
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'));
  addCommonOptions(cmd);
  addVaultOptions(cmd);
  cmd.action(async (runId: string, opts: RollbackCliOptions) => {
    // Loaded when the command runs, not at start-up (issue 17).
    const [{ readRunRecord, rollbackRun }, { withProgress, renderRunText, runJson }, { loadInventory }] = await Promise.all([
      import('../engine/index.js'),
      import('../report/index.js'),
      import('../inventory/index.js'),
    ]);
    const record = readRunRecord(opts.stateDir, runId);
    const inventoryFile = opts.inventory ?? record.inventory;
    if (!inventoryFile) throw new InputError(`run ${runId} has no inventory recorded; give one with -i`);
    const inventory = await loadInventory(inventoryFile, await inventoryLoadOptions(opts));
    const result = await withProgress('rollback', opts.format, (emit) =>
      rollbackRun({ runId, stateDir: opts.stateDir, inventory, limit: opts.limit, forks: opts.forks, resolve: connectionOptionsFrom(opts) }, emit ? { emit } : {}),
    );
    if (opts.format === 'json') {
      process.stdout.write(runJson(result));
    } else {
      process.stdout.write(renderRunText(result) + renderProblems(result.problems));
      if (result.hosts.length === 0) process.stdout.write(`nothing to undo in run ${safeLine(runId)}\n`);
    }
    process.exitCode = exitCodeFor(result.hosts.map((h) => h.status));
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
