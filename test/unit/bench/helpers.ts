/** Runs bench/run.mjs (over the built dist/) and reads the JSON it writes. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface Measure {
  label: string;
  unit: string;
  samples: number[];
  min: number;
  median: number;
  max: number;
}
export interface Comparison {
  label: string;
  measured: number | null;
  baseline: number | null;
  ratio: number | null;
  target: number;
  pass: boolean | null;
}
export interface BenchResult {
  name: string;
  status: 'ok' | 'not-runnable' | 'error';
  reason?: string;
  size: string;
  runs: number;
  measures?: Measure[];
  comparisons?: Comparison[];
  figures?: Record<string, unknown>;
  [key: string]: unknown;
}

export function assertBuilt(): void {
  if (!existsSync(join(repoRoot, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` before the bench smoke tests');
}

/** Our temp dirs (/tmp/mtaf-bench-*) present now, to check that a run leaves none behind. */
export function benchTempDirs(): Set<string> {
  return new Set(readdirSync(tmpdir()).filter((f) => f.startsWith('mtaf-bench-')));
}

export function runBench(names: string[], timeoutMs: number): { results: BenchResult[]; stdout: string; stderr: string; status: number | null } {
  const dir = mkdtempSync(join(tmpdir(), 'mtaf-bench-smoke-'));
  try {
    const out = join(dir, 'latest.json');
    const r = spawnSync(process.execPath, [join(repoRoot, 'bench', 'run.mjs'), ...names, '--size', 'tiny', '--runs', '1', '--out', out], {
      encoding: 'utf8',
      timeout: timeoutMs,
      killSignal: 'SIGTERM',
    });
    if (!existsSync(out)) throw new Error(`bench wrote no results (exit ${r.status}, signal ${r.signal}): ${r.stderr}`);
    const doc = JSON.parse(readFileSync(out, 'utf8')) as { benchmarks: BenchResult[] };
    return { results: doc.benchmarks, stdout: r.stdout, stderr: r.stderr, status: r.status };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function byName(results: BenchResult[], name: string): BenchResult {
  const r = results.find((b) => b.name === name);
  if (!r) throw new Error(`no result for ${name}`);
  if (r.status === 'error') throw new Error(`${name} failed: ${r.reason}`);
  return r;
}

export function measureOf(r: BenchResult, label: string): Measure {
  const m = r.measures?.find((x) => x.label === label);
  if (!m) throw new Error(`${r.name}: no measure "${label}" (have: ${r.measures?.map((x) => x.label).join(', ')})`);
  return m;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
