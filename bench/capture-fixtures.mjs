#!/usr/bin/env node
/**
 * Records real probe-batch outputs from lab hosts for the `scale` benchmark's ssh2 server:
 * brings up a small lab (one host per scenario), runs the real probe batch over ssh on each
 * host, stores {command, stdout, stderr, exitCode} under bench/fixtures/, removes the lab.
 * Run after a build: `npm run build && node bench/capture-fixtures.mjs`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dist } from './lib/paths.mjs';
import { currentProbeStamp, fixturesDir } from './lib/fixtures.mjs';

const { labUp, labDown } = await import(dist('lab/index.js'));
const { loadInventory, selectHosts } = await import(dist('inventory/index.js'));
const { connect, resolveConnectionSpec } = await import(dist('transport/index.js'));
const { ALL_PROBES, buildProbeScript } = await import(dist('probes/index.js'));

const SCENARIOS = ['healthy', 'spool-io', 'fd-limit', 'ip-reputation'];
// Each capture carries a stamp of the probe batch it came from, so `scale` can tell a stale one.
const stamp = await currentProbeStamp();
const LAB = 'bench';

await labDown({ name: LAB });
try {
  const status = await labUp({ name: LAB, hosts: SCENARIOS.length, scenarios: SCENARIOS, usedDevices: 'none' });
  // Let the simulator write some traffic into the accounting file and counters.
  await new Promise((r) => setTimeout(r, 5000));
  const inventory = await loadInventory(status.inventoryFile);
  for (const host of selectHosts(inventory, undefined)) {
    const spec = resolveConnectionSpec(host, { inventory });
    const conn = await connect(spec);
    try {
      const command = buildProbeScript(ALL_PROBES, {});
      const r = await conn.exec(command, { timeoutMs: 120_000 });
      const scenario = status.hosts.find((h) => h.name === host.name)?.scenario ?? 'unknown';
      const file = join(fixturesDir, `probe-batch-${scenario}.json`);
      const record = {
        capturedAt: new Date().toISOString(),
        source: `lab host ${host.name} (scenario ${scenario}), probe batch over ssh`,
        probeBatch: stamp,
        stdout: r.stdout,
        stderr: r.stderr,
        exitCode: r.exitCode,
      };
      writeFileSync(file, JSON.stringify(record, null, 1) + '\n');
      process.stdout.write(`${file}: ${r.stdout.length} bytes stdout, exit ${r.exitCode}\n`);
    } finally {
      await conn.close();
    }
  }
} finally {
  const left = await labDown({ name: LAB });
  if (left.problems.length > 0) process.stderr.write(`lab ${LAB} not fully removed: ${left.problems.join('; ')}\n`);
}
