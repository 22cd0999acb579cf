/**
 * startup (issue 17): wall time of short mtafleet commands, each a new process as an operator
 * or a script runs them — `--version`, `--help`, `inventory --graph -i inventory.example.yaml`
 * — against bare `node -e 0`, measured in the same run, interleaved (one of each in turn, so
 * load drift touches every side alike). Target: each <= 2x node.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { busyMeter, busyOver, percent } from './lib/busy.mjs';
import { mtafleetArgs, repoRoot } from './lib/paths.mjs';
import { compare, measure } from './lib/stats.mjs';

const TARGET = 2.0;
// Processes per side per run: start-up is short, so many samples make a steady median.
const PER_RUN = { tiny: 3, full: 20 };

export default async function startup({ size, runs, log }) {
  const inventory = join(repoRoot, 'inventory.example.yaml');
  const sides = [
    { key: 'node', label: 'node -e 0 (bare node)', args: ['-e', '0'], check: () => true },
    { key: 'version', label: 'mtafleet --version', args: [...mtafleetArgs, '--version'], check: (r) => r.stdout.trim() === versionOf() },
    { key: 'help', label: 'mtafleet --help', args: [...mtafleetArgs, '--help'], check: (r) => r.stdout.startsWith('Usage: mtafleet ') && r.stdout.includes('inventory [options]') },
    { key: 'graph', label: 'mtafleet inventory --graph (example inventory)', args: [...mtafleetArgs, 'inventory', '--graph', '-i', inventory], check: (r) => r.stdout.startsWith('@all:') },
  ];
  const before = await busyOver(2000);
  log(`machine ${percent(before)} busy before measuring`);
  // One untimed round: the files are in the page cache for every side alike.
  for (const side of sides) once(side);
  const samples = Object.fromEntries(sides.map((s) => [s.key, []]));
  const meter = busyMeter();
  const n = PER_RUN[size] * runs;
  for (let i = 0; i < n; i++) {
    // Rotate the order as well, so no side always follows the same one.
    for (let k = 0; k < sides.length; k++) {
      const side = sides[(k + i) % sides.length];
      samples[side.key].push(once(side));
    }
  }
  const during = meter.stop();
  const measures = sides.map((s) => measure(s.label, 'ms', samples[s.key]));
  const node = measures[0].median;
  const comparisons = sides.slice(1).map((s, i) => compare(`${s.label} vs node -e 0`, measures[i + 1].median, node, TARGET));
  // The fastest of many runs is the least disturbed by other work on a shared machine.
  const fastest = Object.fromEntries(sides.slice(1).map((s, i) => [`${s.label}: fastest vs fastest node`, `${(measures[i + 1].min / measures[0].min).toFixed(2)}x`]));
  return {
    status: 'ok',
    measures,
    comparisons,
    figures: {
      ...fastest,
      'processes per side': n,
      'CLI entry': bundleFresh() ? 'dist/cjs/mtafleet.cjs (esbuild bundle, V8 code cache)' : 'dist/cli/main.js (not bundled: run `npm run build`)',
      'machine busy before measuring (2 s)': percent(before),
      'machine busy while measuring (this benchmark keeps about one CPU busy)': percent(during),
    },
    notes: ['wall time of each process from spawn to exit, medians; the ratio is against bare node measured in the same run'],
  };
}

function once(side) {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, side.args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0 || !side.check(r)) throw new Error(`${side.label} exited ${r.status} with unexpected output: ${(r.stderr || r.stdout).slice(0, 400)}`);
  return ms;
}

function versionOf() {
  return JSON.parse(spawnSync(process.execPath, ['-p', 'JSON.stringify(require("./package.json").version)'], { cwd: repoRoot, encoding: 'utf8' }).stdout);
}

function bundleFresh() {
  const bundle = join(repoRoot, 'dist', 'cjs', 'mtafleet.cjs');
  return existsSync(bundle) && statSync(bundle).mtimeMs >= statSync(join(repoRoot, 'dist', 'cli', 'main.js')).mtimeMs;
}
