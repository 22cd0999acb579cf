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
const scen = process.argv[2] ?? 'healthy';
const st = await labUp({ name: 'pcpu', hosts: 1, scenarios: [scen], usedDevices: 'none', quiet: true });
try {
  const h = st.hosts[0];
  const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`;
  const timeIt = async (label, text) => {
    const rs = [];
    for (let i = 0; i < 3; i++) {
      const r = await runInHost(h.sshdPid, `/usr/bin/time -f '%U %S %e' sh -c ${q(text)} >/dev/null 2>/tmp/pcpu.err; tail -n 1 /tmp/pcpu.err`, { timeoutMs: 60000 });
      rs.push(r.stdout.trim().split(' ').map(Number));
    }
    rs.sort((a, b) => a[0] + a[1] - b[0] - b[1]);
    const [u, s, e] = rs[1];
    console.log(`${label.padEnd(14)} cpu ${((u + s) * 1000).toFixed(0).padStart(5)} ms (user ${u}, sys ${s}) wall ${e}`);
  };
  for (const p of ALL_PROBES) await timeIt(p.name, buildProbeScript([p], { nonce: 'x' }).text);
  await timeIt('ALL', buildProbeScript(ALL_PROBES, { nonce: 'x' }).text);
  await timeIt('pmta show', 'pmta show status');
  await timeIt('node -e 0', 'node -e 0');
} finally {
  await labDown({ name: 'pcpu' });
}
