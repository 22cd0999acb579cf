#!/usr/bin/env node
/**
 * CPU and wall time of each probe of the audit batch, alone and all together, on one quiet
 * lab host (median of 3, /usr/bin/time: user + sys of the probe and its children). Not a
 * benchmark with a target: it shows where the fleet-audit floor comes from.
 *   npm run build && node bench/probe-cost.mjs [SCENARIO]   (default: healthy)
 */
import { dist } from './lib/paths.mjs';

const { labUp, labDown, runInHost } = await import(dist('lab/index.js'));
const { ALL_PROBES, buildProbeScript } = await import(dist('probes/index.js'));
const { quote } = await import(dist('transport/quote.js'));

const scenario = process.argv[2] ?? 'healthy';
const status = await labUp({ name: 'pcost', hosts: 1, scenarios: [scenario], usedDevices: 'none', quiet: true });
const host = status.hosts[0];

/** Runs `text` with sh inside the host under /usr/bin/time, 3 times; prints the median by CPU. */
async function measure(label, text) {
  const runs = [];
  for (let i = 0; i < 3; i++) {
    const timed = `t=$(mktemp) && /usr/bin/time -o "$t" -f '%U %S %e' sh -c ${quote(text)} >/dev/null 2>&1; cat "$t"; rm -f "$t"`;
    const r = await runInHost(host.sshdPid, timed, { timeoutMs: 60_000 });
    const [user, sys, wall] = r.stdout.trim().split(/\s+/).map(Number);
    if (!Number.isFinite(wall)) throw new Error(`${label}: no timing (${r.stderr.trim()})`);
    runs.push({ user, sys, wall });
  }
  runs.sort((a, b) => a.user + a.sys - (b.user + b.sys));
  const { user, sys, wall } = runs[1];
  console.log(`${label.padEnd(14)} cpu ${((user + sys) * 1000).toFixed(0).padStart(5)} ms (user ${user}, sys ${sys}) wall ${wall} s`);
}

try {
  console.log(`one quiet lab host, scenario ${scenario}`);
  for (const probe of ALL_PROBES) await measure(probe.name, buildProbeScript([probe], { nonce: 'x' }).text);
  await measure('whole batch', buildProbeScript(ALL_PROBES, { nonce: 'x' }).text);
  await measure('pmta show', 'pmta show status');
  await measure('node -e 0', 'node -e 0');
} finally {
  await labDown({ name: 'pcost' });
}
