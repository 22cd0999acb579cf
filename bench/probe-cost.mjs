#!/usr/bin/env node
/**
 * The probe batch's footprint on one quiet lab host (issue 17 target 4), medians of RUNS:
 *   - CPU (user + sys of the batch and every process it starts, bash `time`, ms precision) of
 *     each probe alone (the preamble's share taken off), of the preamble, and of the whole batch;
 *   - the `pmta` CLI's own share, measured by a PATH shim that times each pmta call (its own
 *     start-up cost calibrated and not counted as pmta), so "batch own" = batch - pmta;
 *   - the same for a repeated audit (the accounting cursor of the first one: only appended
 *     bytes are read, as every audit after the first);
 *   - the sampling window (the cpu probe's sampleSeconds: it stays one second);
 *   - whether anything the batch ran wrote outside its own temp dir or took a lock (strace).
 * Target: the batch's own CPU <= 120 ms per audit. Prints PASS/MISS and how busy the machine was.
 *   npm run build && node bench/probe-cost.mjs [SCENARIO] [--runs N]   (default: healthy, 5)
 */
import { cpus, loadavg } from 'node:os';
import { dist } from './lib/paths.mjs';
import { hostChanges, TRACE_ARGS } from './lib/host-writes.mjs';
import { benchLabName } from './lib/lab.mjs';

const { labUp, labDown, runInHost } = await import(dist('lab/index.js'));
const { ALL_PROBES, buildProbeScript, collectFacts } = await import(dist('probes/index.js'));
const { makeAccountingProbe } = await import(dist('probes/accounting.js'));
const { PREAMBLE } = await import(dist('probes/preamble.js'));
const { quote } = await import(dist('transport/quote.js'));

const TARGET_MS = 120;
const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const RUNS = runsAt >= 0 ? Number(args.splice(runsAt, 2)[1]) : 5;
const scenario = args[0] ?? 'healthy';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (x) => `${x.toFixed(0).padStart(5)} ms`;

const LAB = benchLabName('pcost');
const status = await labUp({ name: LAB, hosts: 1, scenarios: [scenario], usedDevices: 'none', quiet: true });
const host = status.hosts[0];
const inHost = async (text, timeoutMs = 120_000) => {
  const r = await runInHost(host.sshdPid, text, { timeoutMs });
  if (r.exitCode !== 0) throw new Error(`in ${host.name}: exit ${r.exitCode}: ${r.stderr.slice(0, 400)}`);
  return r.stdout;
};

let work;
try {
  console.log(`one quiet lab host, scenario ${scenario}; ${cpus().length} cores, load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  work = (await inHost('mktemp -d /tmp/mtaf-pcost.XXXXXX')).trim();
  const realPmta = (await inHost('command -v pmta || true')).trim();
  // The shim: bash `time` of the real pmta appended to a log (its stderr goes on as before).
  await inHost(`mkdir ${work}/shim ${work}/cal && cat >${work}/shim/pmta <<'EOF'
#!/bin/sh
exec bash -c 'TIMEFORMAT="%3U %3S"; { time "$0" "$@" 2>&3 3>&-; } 3>&2 2>>"${work}/pmta.log"' ${quote(realPmta || '/bin/false')} "$@"
EOF
sed 's|${realPmta || '/bin/false'}|/bin/true|' ${work}/shim/pmta >${work}/cal/pmta && chmod +x ${work}/shim/pmta ${work}/cal/pmta`);

  /** CPU ms of `text` under sh (and of the pmta calls inside it, and how many), in the host. */
  const cpuOf = async (text, shim = 'shim') => {
    const out = await inHost(
      `: >${work}/pmta.log; PATH=${work}/${shim}:$PATH TMPDIR=${work} bash -c 'TIMEFORMAT="%3U %3S"; { time sh -c "$1" >/dev/null 2>&1; } 2>&1' _ ${quote(text)}; echo; cat ${work}/pmta.log`,
    );
    const nums = out.trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number)).filter((f) => f.length === 2 && f.every(Number.isFinite));
    const [total, ...pmta] = nums.map(([u, s]) => (u + s) * 1000);
    return { total, pmta: pmta.reduce((a, b) => a + b, 0), calls: pmta.length };
  };
  const measure = async (text, shim) => {
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await cpuOf(text, shim));
    return { total: median(runs.map((r) => r.total)), pmta: median(runs.map((r) => r.pmta)), calls: median(runs.map((r) => r.calls)) };
  };

  // A pmta call through the shim, less the real pmta's own time: the shim's overhead per call.
  const shimCost = (await measure('pmta; pmta; pmta; pmta', 'cal')).total / 4;
  const preamble = await measure(`MTAF_CONFIG=/etc/pmta/config\n${PREAMBLE.text}`);
  console.log(`${'preamble'.padEnd(16)} cpu ${ms(preamble.total)}   (in every probe below, taken off)`);
  for (const probe of ALL_PROBES) {
    const m = await measure(buildProbeScript([probe], { nonce: 'x' }).text);
    const pmta = m.calls > 0 ? `, of which pmta ${ms(m.pmta)} (${m.calls} calls)` : '';
    console.log(`${probe.name.padEnd(16)} cpu ${ms(m.total - preamble.total - m.calls * shimCost)}${pmta}`);
  }

  // The whole batch: first audit, then a repeated one with the first one's accounting cursor.
  const first = buildProbeScript(ALL_PROBES, { nonce: 'x' }).text;
  const accounting = makeAccountingProbe();
  const probesOnce = ALL_PROBES.map((p) => (p.name === 'accounting' ? accounting.probe : p));
  const once = await inHost(`TMPDIR=${work} sh -c ${quote(buildProbeScript(probesOnce, { nonce: 'x' }).text)}`);
  const facts = collectFacts(once, probesOnce);
  const cursor = accounting.takeCursor();
  const repeatedProbes = ALL_PROBES.map((p) => (p.name === 'accounting' ? makeAccountingProbe(cursor).probe : p));
  const repeated = buildProbeScript(repeatedProbes, { nonce: 'x' }).text;
  const accRepeated = await measure(buildProbeScript([makeAccountingProbe(cursor).probe], { nonce: 'x' }).text);
  console.log(`${'accounting, repeated (cursor)'.padEnd(16)} cpu ${ms(accRepeated.total - preamble.total)}`);
  const results = [];
  for (const [label, text] of [['first audit', first], ['repeated audit', repeated]]) {
    const m = await measure(text);
    const own = m.total - m.pmta - m.calls * shimCost;
    results.push({ label, own });
    console.log(`${`whole batch, ${label}`.padEnd(32)} cpu ${ms(m.total)}: pmta CLI ${ms(m.pmta)} (${m.calls} calls), the batch's own ${ms(own)}`);
  }
  console.log(`shim overhead per pmta call (not counted as pmta nor as the batch's own): ${shimCost.toFixed(1)} ms${cursor ? '' : '; NOTE: no accounting cursor came back, the repeated audit read everything'}`);
  console.log(`sampling window (cpu probe sampleSeconds): ${facts.facts.cpu?.sampleSeconds ?? 'unknown'} s; probes without facts: ${Object.keys(facts.unavailable).join(', ') || 'none'}`);

  // Writes and locks: the whole batch under strace, its temp dir in $TMPDIR.
  const trace = `${work}/trace`;
  await inHost(`mkdir ${trace}.tmp && TMPDIR=${trace}.tmp strace ${TRACE_ARGS.map(quote).join(' ')} -o ${trace}.log sh -c ${quote(first)} >/dev/null 2>&1; true`);
  const log = await inHost(`cat ${trace}.log`);
  const changes = hostChanges(log, `${trace}.tmp`);
  for (const r of results) console.log(`${r.own <= TARGET_MS ? 'PASS' : 'MISS'}  the batch's own CPU, ${r.label}: ${r.own.toFixed(0)} ms vs ${TARGET_MS} ms`);
  console.log(`${changes.length === 0 ? 'PASS' : 'MISS'}  writes or locks outside the batch's temp dir: ${changes.length === 0 ? 'none' : changes.slice(0, 10).map((c) => c.what).join('\n      ')}`);
  console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
} finally {
  if (work) await runInHost(host.sshdPid, `rm -rf ${work}`).catch(() => undefined);
  await labDown({ name: LAB });
}
