/**
 * A lab fleet for a benchmark (src/lab through dist/): brought up with mixed scenarios,
 * always taken down again. Every benchmark names its lab "bench" (namespaces mtaf-bench-NN),
 * one at a time: a lab left by a crashed benchmark is removed first, so do not run two
 * lab benchmarks at once.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { dist } from './paths.mjs';

/** Every scenario in turn, so a fleet of N mixes them all. */
export async function mixedScenarios(count) {
  const { SCENARIO_NAMES } = await import(dist('lab/scenarios.js'));
  return Array.from({ length: count }, (_, i) => SCENARIO_NAMES[i % SCENARIO_NAMES.length]);
}

/**
 * Benchmark labs are brought up quiet (ScenarioContext.quiet: no inbound mail, no deliberate
 * CPU burn): on one 2-core machine, 50 busy simulators keep both cores saturated (seen: 99 %
 * busy, load 24, 5 minutes after start, and simulators timing out at start), whereas real
 * hosts carry their load on their own CPUs. Every host keeps its scenario's configuration,
 * limits, sysctls, spool, backlog and accounting history, so each probe has the same work.
 * MTAF_BENCH_LIVE_LAB=1 brings the simulators up live instead.
 */
export const LIVE_LAB = process.env.MTAF_BENCH_LIVE_LAB === '1';

/**
 * MTAF_LAB_TAG (one of a-z), as in the tests (test/helpers/lab.ts): benchmarks run from several
 * checkouts at once get distinct labs instead of taking each other's "bench" down.
 */
export function benchLabName(name, tag = process.env.MTAF_LAB_TAG) {
  if (!tag) return name;
  if (!/^[a-z]$/.test(tag)) throw new Error(`MTAF_LAB_TAG must be one letter a-z, not ${JSON.stringify(tag)}`);
  return tag + createHash('sha256').update(name).digest('hex').slice(0, 5);
}

/** `quiet`: see LIVE_LAB (the migration benchmark keeps mail arriving: live). */
export async function withLab(given, hosts, log, work, { quiet = !LIVE_LAB } = {}) {
  const { labUp, labDown } = await import(dist('lab/index.js'));
  const name = benchLabName(given);
  await labDown({ name });
  const started = Date.now();
  log(`bringing up lab ${name} with ${hosts} hosts (mixed scenarios${quiet ? ', quiet' : ''})`);
  let status;
  try {
    status = await labUp({ name, hosts, scenarios: await mixedScenarios(hosts), usedDevices: 'none', quiet });
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

/** Waits until the machine is quiet (below 25 % busy over 2 s, at most 2 minutes); returns a note for the output. */
export async function settleLab(log) {
  const busy = await waitQuiet(0.25, 120_000);
  log(`machine ${(busy * 100).toFixed(0)} % busy before measuring`);
  return LIVE_LAB
    ? `lab simulators live (MTAF_BENCH_LIVE_LAB=1); machine ${(busy * 100).toFixed(0)} % busy before measuring`
    : `lab brought up quiet (no inbound mail, no deliberate CPU burn: 50 busy simulators saturate the 2 cores every tool shares); machine ${(busy * 100).toFixed(0)} % busy before measuring; every probe still runs in full on each host's scenario setup`;
}

/** Busy share of all CPUs over `ms` (from /proc/stat). */
async function busyShare(ms) {
  const read = () => readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const a = read();
  await new Promise((r) => setTimeout(r, ms));
  const b = read();
  const d = b.map((v, i) => v - a[i]);
  const total = d.reduce((x, y) => x + y, 0);
  return total > 0 ? 1 - (d[3] + d[4]) / total : 0;
}

/** Waits until the machine is below `share` busy over 2 s (or `timeoutMs` passed); returns the last share. */
async function waitQuiet(share, timeoutMs) {
  const end = Date.now() + timeoutMs;
  let busy = await busyShare(2000);
  while (busy > share && Date.now() < end) busy = await busyShare(2000);
  return busy;
}
