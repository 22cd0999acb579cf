import { readFileSync } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { MtafleetError } from '../util/errors.js';
// The lab's modules are loaded when a lab command runs, not at start-up (issue 17).
const loadLab = () => import('../lab/index.js');

/** `mtafleet lab up | down | status | inventory`: the rehearsal fleet on this machine. */

interface LabTarget {
  name: string;
  labDir?: string;
}

class LabDownIncomplete extends MtafleetError {}

function hostCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a number of hosts (at least 1), got "${value}"`);
  return n;
}

function targetOptions(cmd: Command): Command {
  return cmd
    .option('--name <name>', 'lab name (1-6 of a-z0-9)', 'lab')
    .option('--lab-dir <dir>', 'lab directory (default /var/lib/mtafleet-lab/<name>)');
}

function formatOption(): Option {
  return new Option('--format <format>', 'output format').choices(['table', 'json']).default('table');
}

export function register(program: Command): void {
  const lab = program.command('lab').description('manage the rehearsal fleet (up | down | status | inventory)');

  targetOptions(lab.command('up'))
    .description('create N lab hosts (network + mount namespaces, sshd, loop disks, simulated PowerMTA)')
    .argument('[n]', 'number of hosts', hostCount, 4)
    .option('--scenarios <list>', 'comma-separated scenarios; host i gets the i-th, the last repeats', 'healthy')
    .addOption(new Option('--used-devices <which>', 'hosts given a disk that already holds XFS and data').choices(['first', 'all', 'none']).default('first'))
    .option('--quiet', 'simulators without background work (no inbound mail, no CPU burn): for large labs and benchmarks', false)
    .addOption(formatOption())
    .action(async (n: number, opts: LabTarget & { scenarios: string; usedDevices: 'first' | 'all' | 'none'; quiet: boolean; format: string }) => {
      const [{ labUp, renderStatusTable }, { parseScenarioList }] = await Promise.all([loadLab(), import('../lab/scenarios.js')]);
      const scenarios = parseScenarioList(opts.scenarios);
      const status = await labUp({ name: opts.name, labDir: opts.labDir, hosts: n, scenarios, usedDevices: opts.usedDevices, quiet: opts.quiet });
      process.stdout.write(opts.format === 'json' ? JSON.stringify(status, null, 2) + '\n' : renderStatusTable(status));
    });

  targetOptions(lab.command('down'))
    .description('remove the lab: processes, loop devices, namespaces, interfaces, lab directory (safe to repeat)')
    .action(async (opts: LabTarget) => {
      const { labDown } = await loadLab();
      const result = await labDown(opts);
      if (result.problems.length > 0) {
        throw new LabDownIncomplete(`lab "${result.name}" was not fully removed:\n  ${result.problems.join('\n  ')}`);
      }
      process.stdout.write(result.found ? `lab ${result.name} removed (${result.removed.hosts} hosts, ${result.removed.processes} processes stopped)\n` : `lab ${result.name} is not up; nothing to remove\n`);
    });

  targetOptions(lab.command('status'))
    .description('list the lab\'s hosts with address, scenario, devices and what is running')
    .addOption(formatOption())
    .action(async (opts: LabTarget & { format: string }) => {
      const { labStatus, renderStatusTable } = await loadLab();
      const status = await labStatus(opts);
      process.stdout.write(opts.format === 'json' ? JSON.stringify(status, null, 2) + '\n' : renderStatusTable(status));
    });

  targetOptions(lab.command('inventory'))
    .description('print the lab\'s Ansible YAML inventory (what -i takes)')
    .action(async (opts: LabTarget) => {
      const { labStatus } = await loadLab();
      const status = await labStatus(opts);
      process.stdout.write(readFileSync(status.inventoryFile, 'utf8'));
    });
}
