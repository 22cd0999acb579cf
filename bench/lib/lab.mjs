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

/**
 * Stops the simulated background work on every host of a lab (inbound mail, the CPU the
 * thread-contention world burns on purpose) and restarts each simulator, then waits until the
 * machine is quiet. On one 2-core machine, 50 busy simulators keep both cores saturated (seen:
 * 99 % busy, load 24, 5 minutes after start); real hosts carry their own load on their own CPUs.
 * Every host keeps its scenario's configuration, limits, sysctls, spool, backlog and accounting
 * history, so each probe has the same work to do. Returns a note for the benchmark's output.
 * MTAF_BENCH_LIVE_LAB=1 measures with the simulators running as brought up instead.
 */
export async function quiesceLab(status, log, { concurrency = 4 } = {}) {
  if (process.env.MTAF_BENCH_LIVE_LAB === '1') {
    const busy = await busyShare(2000);
    return `lab simulators live (MTAF_BENCH_LIVE_LAB=1): machine ${(busy * 100).toFixed(0)} % busy before measuring`;
  }
  const { runInHost } = await import(dist('lab/index.js'));
  const script = `node -e 'const fs = require("fs"), f = "/etc/pmta-sim/world.json";
const w = fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, "utf8")) : {};
w.inbound = { ...(w.inbound || {}), perMinute: 0 }; w.maxBusySeconds = 0;
fs.writeFileSync(f, JSON.stringify(w, null, 2))' && systemctl restart pmta &&
i=0; until pmta show status >/dev/null 2>&1; do i=$((i + 1)); [ $i -ge 900 ] && exit 1; sleep 0.2; done`;
  const started = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < status.hosts.length) {
        const host = status.hosts[next++];
        const r = await runInHost(host.sshdPid, script, { timeoutMs: 240_000 });
        if (r.exitCode !== 0) throw new Error(`quiescing ${host.name}: exit ${r.exitCode}: ${r.stderr.slice(0, 400)}`);
      }
    }),
  );
  const busy = await waitQuiet(0.25, 120_000);
  log(`simulators quiesced in ${((Date.now() - started) / 1000).toFixed(1)} s; machine ${(busy * 100).toFixed(0)} % busy`);
  return `lab simulators quiesced for the measure (no inbound mail, no deliberate CPU burn: 50 busy simulators saturate the 2 cores every tool shares); machine ${(busy * 100).toFixed(0)} % busy before measuring; every probe still runs in full on each host's scenario setup`;
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
