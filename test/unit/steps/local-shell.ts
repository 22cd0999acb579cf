import { spawnSync } from 'node:child_process';

/** Runs a command text under the local `sh` (for checking remote helper scripts), with optional PATH prefix. */
export function runLocal(text: string, options: { stdin?: string; pathPrefix?: string } = {}) {
  const env = { ...process.env, LC_ALL: 'C' };
  if (options.pathPrefix) env.PATH = `${options.pathPrefix}:${env.PATH}`;
  const r = spawnSync('sh', ['-c', text], { input: options.stdin ?? '', encoding: 'utf8', env, timeout: 30_000 });
  return { exitCode: r.status, stdout: r.stdout, stderr: r.stderr };
}
