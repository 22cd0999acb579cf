/**
 * The CLI as tests run it: `node bin/mtafleet.js ARGS` from the compiled dist/, built when a
 * source file is newer than it (so a suite run after `npm run build` never compiles again).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    const st = statSync(p);
    newest = Math.max(newest, st.isDirectory() ? newestMtime(p) : st.mtimeMs);
  }
  return newest;
}

let checked = false;
/** Builds dist/ when src/ has a newer file than the compiled CLI (tsc still emits on type errors elsewhere). */
export function buildOnce(): void {
  if (checked) return;
  const main = join(ROOT, 'dist/cli/main.js');
  if (!existsSync(main) || statSync(main).mtimeMs < newestMtime(join(ROOT, 'src'))) {
    spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.json')], { stdio: 'ignore' });
    if (!existsSync(main)) throw new Error('build produced no dist/cli/main.js');
  }
  checked = true;
}

/**
 * Runs the CLI to completion without blocking the event loop (a blocking spawnSync would stop
 * draining the pipes of a test's sshd and hang it); killed after `timeoutMs` (default 240 s).
 */
export function runCli(args: string[], env: NodeJS.ProcessEnv, stdin = '', timeoutMs = 240_000): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/mtafleet.js'), ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.on('error', () => {}); // a CLI that exits before reading stdin
    child.stdin.end(stdin);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', fail);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      done({ code: code ?? (signal === 'SIGKILL' ? 137 : -1), stdout, stderr });
    });
  });
}
