import type { Command } from 'commander';
import { NotImplementedError } from '../util/errors.js';
import { register as registerAudit } from './audit.js';
import { register as registerExec } from './exec.js';
import { register as registerInventory } from './inventory.js';
import { register as registerLab } from './lab.js';
import { register as registerPlan } from './plan.js';
import { register as registerApply } from './apply.js';
import { register as registerApprove } from './approve.js';
import { register as registerRun } from './run.js';
import { register as registerRollback } from './rollback.js';
import { register as registerRuns } from './runs.js';
import { register as registerHistory } from './history.js';

type Register = (program: Command) => void;

/**
 * The command table. Each command lives in its own file (src/cli/<name>.ts) exporting
 * register(program). To add one: import it here, put it in BUILT, and remove its PENDING line.
 * Every command's options are built at each start (--help needs them): a command file imports
 * only light modules at its top and loads the rest with import() when its action runs
 * (issue 17; test/unit/cli/startup-modules.test.ts keeps zod, ssh2, the engine... out).
 */
const BUILT: Register[] = [
  registerAudit,
  registerPlan,
  registerApprove,
  registerApply,
  registerRun,
  registerRollback,
  registerRuns,
  registerHistory,
  registerExec,
  registerInventory,
  registerLab,
];

const PENDING: Array<[string, string]> = [
];

export function registerCommands(program: Command): void {
  for (const register of BUILT) register(program);
  for (const [name, summary] of PENDING) {
    program
      .command(name)
      .description(`${summary} (not built yet)`)
      .allowUnknownOption(true)
      .allowExcessArguments(true)
      .action(() => {
        throw new NotImplementedError(`"${name}" is not built yet in this version of mtafleet`);
      });
  }
}
