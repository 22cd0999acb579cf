import { spawn } from 'node:child_process';
import { MtafleetError } from '../util/errors.js';

/** Local command runner for the lab's own plumbing (ip, losetup, mkfs, nsenter). */
export interface ProcResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
}

export interface ProcOptions {
  stdin?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export class LabCommandError extends MtafleetError {
  constructor(readonly argv: string[], readonly result: ProcResult) {
    super(`${argv.join(' ')} failed (exit ${result.exitCode ?? 'signal'}): ${(result.stderr || result.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  }
}

export function run(file: string, args: string[], options: ProcOptions = {}): Promise<ProcResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    if (options.timeoutMs) {
      timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    }
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), exitCode: code });
    });
    child.stdin.on('error', () => undefined); // the command may exit without reading stdin
    child.stdin.end(options.stdin ?? '');
  });
}

/** run() that throws LabCommandError on a non-zero exit. */
export async function runOk(file: string, args: string[], options: ProcOptions = {}): Promise<ProcResult> {
  const result = await run(file, args, options);
  if (result.exitCode !== 0) throw new LabCommandError([file, ...args], result);
  return result;
}

/**
 * Map with at most `limit` calls in flight; results in input order. After the first failure
 * no new item is started; the calls in flight settle, then the first error is thrown.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  const errors: unknown[] = [];
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length && errors.length === 0) {
      const i = next++;
      try {
        results[i] = await fn(items[i] as T, i);
      } catch (e) {
        errors.push(e);
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (errors.length > 0) throw errors[0];
  return results;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
