/**
 * `mtafleet plan PLAYBOOK -i INV [--out PLANFILE]`: observe + plan, print, optionally write a plan file.
 * `mtafleet plan --from-audit AUDIT.json -i INV`: the same for the remedies an audit names (plan-from-audit.ts).
 */
import { Option, type Command } from 'commander';
import { exitCodeFor } from '../util/outcome.js';
import { safeJson } from '../util/sanitize.js';
import { InputError } from '../util/errors.js';
import { addCommonOptions, addPlaybookOptions, loadSelectedPlaybook, type PlaybookSelectionOptions, addInventoryOptions, connectionOptionsFrom, forksOption, type CommonOptions, inventoryLoadOptions, type VaultCliOptions } from './common.js';

interface PlanCliOptions extends CommonOptions, PlaybookSelectionOptions, VaultCliOptions {
  inventory: string;
  limit?: string;
  out?: string;
  format: 'text' | 'markdown' | 'json';
  forks: number;
  fromAudit?: string;
}

export function register(program: Command): void {
  const cmd = program
    .command('plan')
    .description('observe hosts (read-only) and show or write the plan of changes, for approval')
    .argument('[playbook]', 'playbook file (YAML); not with --from-audit');
  addInventoryOptions(cmd);
  addPlaybookOptions(cmd);
  cmd
    .option('--from-audit <audit.json>', 'plan the remedies of `mtafleet audit --format json` output: each finding\'s playbook with the variables the audit computed (-e overrides them)')
    .option('-o, --out <planfile>', 'write the plan file (mode 0600) for `mtafleet apply`')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'markdown', 'json']).default('text'))
    .addOption(forksOption());
  addCommonOptions(cmd);
  cmd.action(async (playbookFile: string | undefined, opts: PlanCliOptions) => {
    if (opts.fromAudit !== undefined) {
      if (playbookFile !== undefined) throw new InputError(`give a playbook or --from-audit, not both (got ${playbookFile} and --from-audit ${opts.fromAudit})`);
      const { planFromAuditCommand } = await import('./plan-from-audit.js');
      await planFromAuditCommand({ ...opts, fromAudit: opts.fromAudit });
      return;
    }
    if (playbookFile === undefined) throw new InputError('give a playbook to plan, or --from-audit AUDIT.json');
    // Loaded when the command runs, not at start-up (issue 17).
    const [{ outcomesOfPlan, planPlaybook, writePlanFile, planDigest }, { renderPlanMarkdown, renderPlanText }, { loadInventory }, { withConnectionPool }] = await Promise.all([
      import('../engine/index.js'),
      import('../report/index.js'),
      import('../inventory/index.js'),
      import('../transport/index.js'),
    ]);
    const playbook = await loadSelectedPlaybook(playbookFile, opts);
    const inventory = await loadInventory(opts.inventory, await inventoryLoadOptions(opts));
    // Plays on the same hosts (and gather_facts) share one connection per host.
    const body = await withConnectionPool((connect) =>
      planPlaybook({ playbook, inventory, limit: opts.limit, extraVars: opts.extraVars, forks: opts.forks, resolve: connectionOptionsFrom(opts) }, { connect }),
    );
    const digest = opts.out ? writePlanFile(opts.out, body) : planDigest(body);
    if (opts.format === 'json') process.stdout.write(safeJson({ ...body, digest }, 2) + '\n');
    else if (opts.format === 'markdown') process.stdout.write(renderPlanMarkdown(body, digest));
    else process.stdout.write(renderPlanText(body, { diff: true }));
    if (opts.out) {
      const note = `plan written to ${opts.out}\nplan digest (sha256): ${digest}\napply it with: mtafleet apply ${opts.out}\n`;
      (opts.format === 'json' ? process.stderr : process.stdout).write(note);
    }
    process.exitCode = exitCodeFor(outcomesOfPlan(body).map((o) => o.status));
  });
}
