/** `mtafleet inventory -i INV [--limit PAT] (--list | --graph) [--vars]`, like ansible-inventory. */
import type { Command } from 'commander';
import { InputError } from '../util/errors.js';
import { addInventoryOptions, inventoryLoadOptions, type VaultCliOptions } from './common.js';

interface InventoryCommandOptions extends VaultCliOptions {
  inventory: string;
  limit?: string;
  list?: boolean;
  graph?: boolean;
  vars?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('inventory')
    .description('show the resolved inventory (--list | --graph), like ansible-inventory')
    .option('--list', 'print JSON like ansible-inventory --list')
    .option('--graph', 'print the group tree like ansible-inventory --graph')
    .option('--vars', 'with --graph: show variables');
  addInventoryOptions(cmd).action(async (opts: InventoryCommandOptions) => {
    if (Boolean(opts.list) === Boolean(opts.graph)) {
      throw new InputError('inventory needs exactly one of --list or --graph');
    }
    const { inventoryGraph, inventoryToAnsibleList, loadInventory, selectHosts } = await import('../inventory/index.js');
    const inv = await loadInventory(opts.inventory, await inventoryLoadOptions(opts));
    const hosts = selectHosts(inv, opts.limit);
    if (opts.list) process.stdout.write(`${JSON.stringify(inventoryToAnsibleList(inv, hosts), null, 4)}\n`);
    else process.stdout.write(inventoryGraph(inv, hosts, { vars: opts.vars }));
  });
}
