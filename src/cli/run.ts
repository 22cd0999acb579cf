/** `mtafleet run PLAYBOOK -i INV [--check [--diff]]`: plan and apply (or, with --check, only plan). */
import { Option, type Command } from 'commander';
import type { EngineListener, RunResult } from '../engine/index.js';
import { exitCodeFor } from '../util/outcome.js';
import { addCommonOptions, addHistoryOptions, type HistoryCliOptions, addPlaybookOptions, loadSelectedPlaybook, type PlaybookSelectionOptions, addInventoryOptions, connectionOptionsFrom, forksOption, type CommonOptions, inventoryLoadOptions, type VaultCliOptions } from './common.js';

interface RunCliOptions extends CommonOptions, PlaybookSelectionOptions, VaultCliOptions, HistoryCliOptions {
  inventory: string;
  limit?: string;
  check: boolean;
  diff: boolean;
  forks: number;
  format: 'text' | 'json';
  autoRollback: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('run')
    .description('plan and apply a playbook, rolling in batches (--check: observe and plan only, change nothing)')
    .argument('<playbook>', 'playbook file (YAML)');
  addInventoryOptions(cmd);
  addPlaybookOptions(cmd);
  cmd
    .option('-C, --check', 'dry-run: observe and plan, print each change, change nothing', false)
    .option('-D, --diff', 'show the diff of each change', false)
    .addOption(forksOption())
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--no-auto-rollback', 'leave a failed host as it is instead of undoing its changes of this run');
  addHistoryOptions(cmd);
  addCommonOptions(cmd);
  cmd.action(async (playbookFile: string, opts: RunCliOptions) => {
    // Loaded when the command runs, not at start-up (issue 17).
    const [{ outcomesOfPlan, planPlaybook, runPlaybook }, { withProgress, renderPlanText, renderChangesText, renderRunText, runJson }, { summarize, newRunId }, { loadInventory }, { recordRun }] = await Promise.all([
      import('../engine/index.js'),
      import('../report/index.js'),
      import('../engine/run-record.js'),
      import('../inventory/index.js'),
      import('./history-record.js'),
    ]);
    const playbook = await loadSelectedPlaybook(playbookFile, opts);
    const inventory = await loadInventory(opts.inventory, await inventoryLoadOptions(opts));
    const startedAt = Date.now();
    const base = { playbook, inventory, limit: opts.limit, extraVars: opts.extraVars, forks: opts.forks, resolve: connectionOptionsFrom(opts) };
    let result: RunResult;
    if (opts.check) {
      const body = await planPlaybook(base, {});
      const hosts = outcomesOfPlan(body);
      result = { runId: newRunId(), check: true, hosts, summary: summarize(hosts), notRun: [] };
      if (opts.format === 'text') process.stdout.write(renderPlanText(body, { diff: opts.diff }));
    } else {
      result = await withProgress('run', opts.format, (emit) => {
        // --diff: print each planned change's diff as it is about to be applied.
        const listener: EngineListener | undefined =
          opts.diff && opts.format === 'text'
            ? (e) => {
                emit?.(e);
                if (e.type === 'task-planned' && e.plan.kind === 'changes') process.stdout.write(renderChangesText(e.host, e.task, e.plan.changes));
              }
            : emit;
        return runPlaybook({ ...base, stateDir: opts.stateDir, autoRollback: opts.autoRollback }, listener ? { emit: listener } : {});
      });
    }
    process.stdout.write(opts.format === 'json' ? runJson(result) : renderRunText(result));
    process.exitCode = exitCodeFor(result.hosts.map((h) => h.status));
    await recordRun(opts, result, { command: 'run', startedAt, playbook: playbookFile, inventory: opts.inventory });
  });
}
