/** `mtafleet apply PLANFILE [--yes]`: verify the plan, confirm, refuse drifted hosts, apply the rest. */
import { Option, type Command } from 'commander';
import { InputError } from '../util/errors.js';
import { exitCodeFor } from '../util/outcome.js';
import { addCommonOptions, addHistoryOptions, type HistoryCliOptions, addVaultOptions, connectionOptionsFrom, forksOption, parsePositiveInt, type CommonOptions, inventoryLoadOptions, type VaultCliOptions } from './common.js';

interface ApplyCliOptions extends CommonOptions, VaultCliOptions, HistoryCliOptions {
  yes: boolean;
  forks: number;
  format: 'text' | 'json';
  autoRollback: boolean;
  requireApproval?: string;
  minApprovals?: number;
}

export function register(program: Command): void {
  const cmd = program
    .command('apply')
    .description('apply an approved plan file: hosts that drifted since the plan are refused (exit 3)')
    .argument('<planfile>', 'plan file written by `mtafleet plan --out`')
    .option('-y, --yes', 'do not ask for confirmation', false)
    .addOption(forksOption())
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--no-auto-rollback', 'leave a failed host as it is instead of undoing its changes of this run')
    .option('--require-approval <allowed_signers>', 'refuse (exit 3) unless the plan is signed (`mtafleet approve`) by a key of this OpenSSH allowed_signers file')
    .option('--min-approvals <n>', 'with --require-approval: distinct approvers needed (default 1)', parsePositiveInt);
  addHistoryOptions(cmd);
  addCommonOptions(cmd);
  addVaultOptions(cmd);
  cmd.action(async (planFile: string, opts: ApplyCliOptions) => {
    const startedAt = Date.now();
    if (opts.minApprovals !== undefined && opts.requireApproval === undefined) throw new InputError('--min-approvals needs --require-approval ALLOWED_SIGNERS');
    // Approvals are judged as the plan is read: before any connection and before confirming.
    // Loaded when the command runs, not at start-up (issue 17).
    const [{ applyPlan, checkPlanSources, readPlanFile }, { countChanges, withProgress, renderRunText, runJson }, { loadInventory }, { approvalGate }, { planHeadline }, { recordRun }] = await Promise.all([
      import('../engine/index.js'),
      import('../report/index.js'),
      import('../inventory/index.js'),
      import('./approval-gate.js'),
      import('./plan-headline.js'),
      import('./history-record.js'),
    ]);
    const gate = opts.requireApproval !== undefined ? approvalGate(opts.requireApproval, planFile, opts.minApprovals ?? 1) : undefined;
    const doc = readPlanFile(planFile, gate?.check);
    const inventory = await loadInventory(doc.inventory.path, await inventoryLoadOptions(opts));
    // Checked before asking: the operator confirms a plan known to be what its playbook gives.
    await checkPlanSources(doc, inventory, planFile);
    const n = countChanges(doc);
    process.stderr.write(planHeadline(planFile, doc));
    if (!opts.yes) await confirm(`Apply ${n.changes} change(s) on ${n.hostsChanging} host(s)? [y/N] `);
    const result = await withProgress('apply', opts.format, (emit) =>
      applyPlan(
        doc,
        { planFile, inventory, forks: opts.forks, stateDir: opts.stateDir, autoRollback: opts.autoRollback, resolve: connectionOptionsFrom(opts), ...(gate ? { signers: gate.signers() } : {}) },
        emit ? { emit } : {},
      ),
    );
    process.stdout.write(opts.format === 'json' ? runJson(result) : renderRunText(result));
    process.exitCode = exitCodeFor(result.hosts.map((h) => h.status));
    await recordRun(opts, result, { command: 'apply', startedAt, playbook: doc.playbook.path, planFile, inventory: doc.inventory.path });
  });
}

/** What is about to be applied. The plan file may come from someone else: its fields are text. */
async function confirm(question: string): Promise<void> {
  if (!process.stdin.isTTY) {
    throw new InputError('refusing to apply without confirmation: no terminal to ask on; review the plan and pass --yes');
  }
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await rl.question(question)).trim().toLowerCase();
    if (answer !== 'y' && answer !== 'yes') throw new InputError('not applied: the plan was not confirmed');
  } finally {
    rl.close();
  }
}
