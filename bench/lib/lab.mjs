/**
 * A lab fleet for a benchmark (src/lab through dist/): brought up with mixed scenarios,
 * always taken down again. Every benchmark names its lab "bench" (namespaces mtaf-bench-NN),
 * one at a time: a lab left by a crashed benchmark is removed first, so do not run two
 * lab benchmarks at once.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { readFileSync } from 'node:fs';
import { dist } from './paths.mjs';

/** Every scenario in turn, so a fleet of N mixes them all. */
export async function mixedScenarios(count) {
  const { SCENARIO_NAMES } = await import(dist('lab/scenarios.js'));
  return Array.from({ length: count }, (_, i) => SCENARIO_NAMES[i % SCENARIO_NAMES.length]);
}

export async function withLab(name, hosts, log, work) {
  const { labUp, labDown } = await import(dist('lab/index.js'));
  await labDown({ name });
  const started = Date.now();
  log(`bringing up lab ${name} with ${hosts} hosts (mixed scenarios)`);
  let status;
  try {
    status = await labUp({ name, hosts, scenarios: await mixedScenarios(hosts), usedDevices: 'none' });
    log(`lab ${name} up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return await work(status);
  } finally {
    const left = await labDown({ name });
    if (left.problems.length > 0) log(`lab ${name} not fully removed: ${left.problems.join('; ')}`);
  }
}

/** An inventory with the first `count` hosts of the lab's inventory (same vars). */
export function subInventory(status, count, dir) {
  const doc = parse(readFileSync(status.inventoryFile, 'utf8'));
  const all = doc.all.children.mta.hosts;
  const names = status.hosts.slice(0, count).map((h) => h.name);
  const hosts = Object.fromEntries(names.map((n) => [n, all[n]]));
  const file = join(dir, `inventory-${count}.yaml`);
  writeFileSync(file, stringify({ all: { children: { mta: { hosts } } } }));
  return { file, hosts: status.hosts.slice(0, count) };
}
