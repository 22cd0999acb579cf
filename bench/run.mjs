#!/usr/bin/env node
/**
 * mtafleet benchmarks (issue 7). Each benchmark measures itself and its baseline(s) in the
 * same run, at least 3 runs, and compares medians against its target.
 *
 *   npm run bench                                   all benchmarks, full size, 3 runs
 *   npm run bench -- accounting scale --size tiny   a subset
 *   node bench/run.mjs NAME [--size tiny|full] [--runs N] [--out FILE]
 *
 * Prints a table and writes bench/results/latest.json (results of benchmarks not run this
 * time are kept from the previous file, each with its own timestamp).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { resultsDir } from './lib/paths.mjs';
import { renderResult } from './lib/table.mjs';

const BENCHMARKS = ['startup', 'accounting', 'probe-cost', 'scale', 'fleet-audit', 'plan-apply', 'migration-downtime', 'history'];

function parseArgs(argv) {
  const opts = { names: [], size: 'full', runs: 3, out: join(resultsDir, 'latest.json') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--size') opts.size = value();
    else if (a === '--runs') opts.runs = Number(value());
    else if (a === '--out') opts.out = value();
    else if (a === '-h' || a === '--help') opts.help = true;
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else opts.names.push(a);
  }
  if (!['tiny', 'full'].includes(opts.size)) throw new Error(`--size must be tiny or full, got ${opts.size}`);
  if (!Number.isInteger(opts.runs) || opts.runs < 1) throw new Error('--runs must be a whole number >= 1');
  for (const n of opts.names) if (!BENCHMARKS.includes(n)) throw new Error(`unknown benchmark ${n} (known: ${BENCHMARKS.join(', ')})`);
  if (opts.names.length === 0) opts.names = [...BENCHMARKS];
  return opts;
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`bench: ${err.message}\n`);
    return 1;
  }
  if (opts.help) {
    process.stdout.write(`usage: node bench/run.mjs [${BENCHMARKS.join('|')} ...] [--size tiny|full] [--runs N] [--out FILE]\n`);
    return 0;
  }
  if (opts.runs < 3) process.stderr.write(`bench: --runs ${opts.runs}: fewer than 3 runs is a smoke test, not a measurement\n`);
  const machine = { cpus: cpus().length, memMb: Math.round(totalmem() / 2 ** 20), loadavg: loadavg(), node: process.version };
  const results = [];
  for (const name of opts.names) {
    const log = (msg) => process.stderr.write(`[${name}] ${msg}\n`);
    const started = Date.now();
    let result;
    try {
      const mod = await import(`./${name}.mjs`);
      // `results`: this run's earlier results (history compares against scale's audit wall).
      result = await mod.default({ size: opts.size, runs: opts.runs, log, results });
    } catch (err) {
      result = { status: 'error', reason: err?.stack ?? String(err) };
    }
    result = { name, size: opts.size, runs: opts.runs, generatedAt: new Date().toISOString(), durationMs: Date.now() - started, loadavgAfter: loadavg(), ...result };
    results.push(result);
    process.stdout.write(renderResult(result));
  }
  const doc = mergeResults(opts.out, { generatedAt: new Date().toISOString(), machine, benchmarks: results });
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, JSON.stringify(doc, null, 2) + '\n');
  process.stdout.write(`\nresults: ${opts.out}\n`);
  return results.some((r) => r.status === 'error') ? 1 : 0;
}

/** Keep the previous results of benchmarks not run now (each carries its own generatedAt). */
function mergeResults(file, doc) {
  if (!existsSync(file)) return doc;
  try {
    const old = JSON.parse(readFileSync(file, 'utf8'));
    const fresh = new Set(doc.benchmarks.map((b) => b.name));
    const kept = (old.benchmarks ?? []).filter((b) => !fresh.has(b.name));
    return { ...doc, benchmarks: [...doc.benchmarks, ...kept].sort((a, b) => BENCHMARKS.indexOf(a.name) - BENCHMARKS.indexOf(b.name)) };
  } catch {
    return doc;
  }
}

process.exitCode = await main();
