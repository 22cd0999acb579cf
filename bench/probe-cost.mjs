#!/usr/bin/env node
/**
 * probe-cost: the probe batch's footprint on one quiet lab host (issue 17 target 4), medians of
 * 5 timed runs per benchmark run (tiny: 1):
 *   - CPU (user + sys of the batch and every process it starts, bash `time`, ms precision) of
 *     each probe alone (the preamble's share taken off), of the preamble, and of the whole batch;
 *   - the `pmta` CLI's own share, measured by a PATH shim that times each pmta call (its own
 *     start-up cost calibrated and not counted as pmta), so "batch own" = batch - pmta;
 *   - the same for a repeated audit (the accounting cursor of the first one: only appended
 *     bytes are read, as every audit after the first);
 *   - the sampling window (the cpu probe's sampleSeconds: it stays one second);
 *   - whether anything the batch ran wrote outside its own temp dir or took a lock (strace).
 * Target: the batch's own CPU <= 120 ms per audit.
 *   npm run bench -- probe-cost          (part of the whole `npm run bench`)
 *   npm run build && node bench/probe-cost.mjs [SCENARIO] [--runs N]   (default: healthy, 1 run of 5)
 */
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { busyMeter, percent } from './lib/busy.mjs';
import { dist } from './lib/paths.mjs';
import { hostChanges, TRACE_ARGS } from './lib/host-writes.mjs';
import { benchLabName } from './lib/lab.mjs';
import { limit, measure as summary } from './lib/stats.mjs';
import { renderResult } from './lib/table.mjs';

const TARGET_MS = 120;
// Timed repetitions of each script per benchmark run: CPU times have ms precision, so a few.
const REPEAT = { tiny: 1, full: 5 };

export default async function probeCost({ size = 'full', runs = 1, log = () => undefined, scenario = 'healthy' }) {
  const { labUp, labDown, runInHost } = await import(dist('lab/index.js'));
  const { ALL_PROBES, buildProbeScript, collectFacts } = await import(dist('probes/index.js'));
  const { makeAccountingProbe } = await import(dist('probes/accounting.js'));
  const { PREAMBLE } = await import(dist('probes/preamble.js'));
  const { quote } = await import(dist('transport/quote.js'));
  const n = REPEAT[size] * runs;

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
    log(`one quiet lab host, scenario ${scenario}; ${cpus().length} cores, load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    work = (await inHost('mktemp -d /tmp/mtaf-pcost.XXXXXX')).trim();
    const realPmta = (await inHost('command -v pmta || true')).trim();
    // The shim: bash `time` of the real pmta appended to a log (its stderr goes on as before).
    await inHost(`mkdir ${work}/shim ${work}/cal && cat >${work}/shim/pmta <<'EOF2'
#!/bin/sh
exec bash -c 'TIMEFORMAT="%3U %3S"; { time "$0" "$@" 2>&3 3>&-; } 3>&2 2>>"${work}/pmta.log"' ${quote(realPmta || '/bin/false')} "$@"
EOF2
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
    const repeat = async (text, shim) => {
      const samples = [];
      for (let i = 0; i < n; i++) samples.push(await cpuOf(text, shim));
      return samples;
    };
    const med = (samples, key) => summary('', '', samples.map((s) => s[key])).median;

    const meter = busyMeter();
    // A pmta call through the shim, less the real pmta's own time: the shim's overhead per call.
    const shimCost = med(await repeat('pmta; pmta; pmta; pmta', 'cal'), 'total') / 4;
    const preamble = med(await repeat(`MTAF_CONFIG=/etc/pmta/config\n${PREAMBLE.text}`), 'total');
    const perProbe = { 'preamble (in every probe below, taken off)': preamble };
    for (const probe of ALL_PROBES) {
      const s = await repeat(buildProbeScript([probe], { nonce: 'x' }).text);
      const calls = med(s, 'calls');
      perProbe[`${probe.name}${calls > 0 ? ` (pmta CLI ${med(s, 'pmta').toFixed(0)} ms in ${calls} calls, not counted)` : ''}`] =
        med(s, 'total') - preamble - med(s, 'pmta') - calls * shimCost;
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
    perProbe['accounting, repeated audit (cursor)'] = med(await repeat(buildProbeScript([makeAccountingProbe(cursor).probe], { nonce: 'x' }).text), 'total') - preamble;
    const measures = [];
    const comparisons = [];
    const figures = {};
    for (const [label, text] of [['first audit', first], ['repeated audit', repeated]]) {
      const s = await repeat(text);
      const own = s.map((x) => x.total - x.pmta - x.calls * shimCost);
      const m = summary(`whole batch, ${label}: the batch's own CPU`, 'ms', own);
      measures.push(summary(`whole batch, ${label}: all CPU`, 'ms', s.map((x) => x.total)), summary(`whole batch, ${label}: pmta CLI`, 'ms', s.map((x) => x.pmta)), m);
      comparisons.push(limit(`probe batch's own CPU, ${label} (ms) vs ${TARGET_MS} ms`, m.median, TARGET_MS, 'ms'));
    }
    const during = meter.stop();

    // Writes and locks: the whole batch under strace, its temp dir in $TMPDIR.
    const trace = `${work}/trace`;
    await inHost(`mkdir ${trace}.tmp && TMPDIR=${trace}.tmp strace ${TRACE_ARGS.map(quote).join(' ')} -o ${trace}.log sh -c ${quote(first)} >/dev/null 2>&1; true`);
    const changes = hostChanges(await inHost(`cat ${trace}.log`), `${trace}.tmp`);
    const sampleSeconds = facts.facts.cpu?.sampleSeconds;
    comparisons.push(limit('writes or locks outside the batch temp dir (count) vs 0', changes.length, 0, ''));
    comparisons.push(limit('sampling window (s) vs 1 s', sampleSeconds ?? null, 1, 's'));
    Object.assign(figures, {
      'CPU per probe, median (ms; the pmta CLI and the preamble not counted)': Object.entries(perProbe).map(([k, v]) => ({ probe: k.padEnd(64), ms: v.toFixed(0) })),
      'shim overhead per pmta call (ms; not counted as pmta nor as the batch own)': shimCost,
      'writes or locks outside the batch temp dir': changes.length === 0 ? 'none' : changes.slice(0, 10).map((c) => c.what).join('; '),
      'probes without facts': Object.keys(facts.unavailable).join(', ') || 'none',
      'machine busy while measuring': percent(during),
    });
    const notes = [`scenario ${scenario}, ${n} timed runs of each script; CPU is user + sys of sh and every process it starts (bash time)`];
    if (!cursor) notes.push('no accounting cursor came back: the repeated audit read everything');
    return { status: 'ok', measures, comparisons, figures, notes };
  } finally {
    if (work) await runInHost(host.sshdPid, `rm -rf ${work}`).catch(() => undefined);
    await labDown({ name: LAB });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const runsAt = args.indexOf('--runs');
  const runs = runsAt >= 0 ? Number(args.splice(runsAt, 2)[1]) : 1;
  const result = await probeCost({ size: 'full', runs, scenario: args[0] ?? 'healthy', log: (m) => process.stderr.write(`[probe-cost] ${m}\n`) });
  process.stdout.write(renderResult({ name: 'probe-cost', size: 'full', runs, ...result }));
}
