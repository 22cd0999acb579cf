import type { Command } from 'commander';
import { NotImplementedError } from '../util/errors.js';

type Register = (program: Command) => void;

/**
 * The command table. Each command lives in its own file (src/cli/<name>.ts) exporting
 * register(program). To add one: import it here, put it in BUILT, and remove its PENDING line.
 */
const BUILT: Register[] = [
];

const PENDING: Array<[string, string]> = [
  ['audit', 'probe hosts, find the layer that caps each host\'s delivery rate'],
  ['plan', 'observe hosts and write a plan file for approval'],
  ['apply', 'apply an approved plan file'],
  ['run', 'plan and apply a playbook (--check for a dry-run)'],
  ['rollback', 'undo a run from its journal'],
  ['runs', 'list runs, or show one'],
  ['inventory', 'show the resolved inventory (--list | --graph)'],
  ['exec', 'run an ad-hoc command on hosts'],
  ['lab', 'manage the rehearsal fleet (up | down | status | inventory)'],
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
