/**
 * Shared pieces of the fault-injection and load tests: the CLI (`node bin/mtafleet.js`, built
 * when src/ is newer than dist/), a private state dir per test file (temp dir `mtaf-fault-*`),
 * and the host-state snapshot every fault case compares (test/helpers/host-state.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildOnce, ROOT, type CliResult } from '../helpers/cli.js';
import { hostState } from '../helpers/host-state.js';
import type { LabHandle } from '../helpers/lab.js';

export { ROOT, type CliResult };
export const FIXTURES = join(ROOT, 'test/fixtures/reliability');

/** Builds dist/ when a source file is newer than the compiled CLI (the shared test helper). */
export const buildIfStale = buildOnce;

export interface Workspace {
  dir: string;
  stateDir: string;
  env: NodeJS.ProcessEnv;
  /** Runs the CLI to completion (killed after `timeoutMs`, default 120 s). */
  cli(args: string[], timeoutMs?: number): Promise<CliResult>;
  /** Starts the CLI and returns the child plus a promise of its result. */
  start(args: string[]): { child: ChildProcess; done: Promise<CliResult> };
  cleanup(): void;
}

export function workspace(tag: string): Workspace {
  buildIfStale();
  const dir = mkdtempSync(join(tmpdir(), `mtaf-fault-${tag}-`));
  const stateDir = join(dir, 'state');
  const env = { ...process.env, HOME: dir, NO_COLOR: '1', MTAFLEET_STATE_DIR: stateDir };
  const start = (args: string[]) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/mtafleet.js'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const done = new Promise<CliResult>((ok, fail) => {
      child.once('error', fail);
      child.once('close', (code, signal) => ok({ code: code ?? (signal === 'SIGKILL' ? 137 : -1), stdout, stderr }));
    });
    return { child, done };
  };
  return {
    dir,
    stateDir,
    env,
    start,
    async cli(args, timeoutMs = 120_000) {
      const { child, done } = start(args);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await done;
      } finally {
        clearTimeout(timer);
      }
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The run id of a `--format json` result (stdout carries only JSON). */
export function runIdOf(r: CliResult): string {
  try {
    return (JSON.parse(r.stdout) as { runId: string }).runId;
  } catch {
    throw new Error(`no run JSON on stdout (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
}

export interface RunJson {
  runId: string;
  hosts: Array<{ name: string; status: string; changes: number; error: string | null }>;
  summary: Record<'ok' | 'changed' | 'failed' | 'unreachable' | 'refused', number>;
  notRun?: string[];
  stopped?: string;
}

export function runJsonOf(r: CliResult): RunJson {
  try {
    return JSON.parse(r.stdout) as RunJson;
  } catch {
    throw new Error(`no run JSON on stdout (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
}

/** The newest run dir in the state dir (the run a killed runner left behind). */
export function newestRunId(stateDir: string): string | undefined {
  const runs = join(stateDir, 'runs');
  if (!existsSync(runs)) return undefined;
  const ids = readdirSync(runs).map((id) => ({ id, t: statSync(join(runs, id)).mtimeMs }));
  ids.sort((a, b) => b.t - a.t);
  return ids[0]?.id;
}

export function journalLines(stateDir: string, runId: string): string[] {
  const file = join(stateDir, 'runs', runId, 'journal.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
}

/** The host-state snapshot every fault case compares (test/helpers/host-state.ts). */
export const snapshot = hostState;

export function labStateFile(lab: LabHandle): { hosts: Array<{ name: string; veth: string; dir: string }> } {
  return JSON.parse(readFileSync(join(lab.labDir, 'state.json'), 'utf8')) as { hosts: Array<{ name: string; veth: string; dir: string }> };
}

export { prng } from '../helpers/prng.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 20 ms until it holds or `timeoutMs` passes; returns whether it held. */
export async function waitFor(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return true;
    await sleep(20);
  }
  return cond();
}
