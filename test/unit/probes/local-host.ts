import { spawn } from 'node:child_process';
import type { Command } from '../../../src/transport/quote.js';
import type { ExecOptions, ExecResult, HostConnection } from '../../../src/transport/types.js';

/**
 * A HostConnection that runs commands locally through `shell -c` (dash or bash). The real
 * ssh transport is tested elsewhere; this proves the probe scripts run under POSIX shells.
 */
export function localHost(
  shell: string,
  env: Record<string, string> = {},
  hostOptions: { prefix?: string; netns?: boolean; mountns?: boolean } = {},
): HostConnection {
  return {
    name: `local-${shell}`,
    exec(command: Command, options?: ExecOptions): Promise<ExecResult> {
      const started = Date.now();
      return new Promise((resolve, reject) => {
        const text = `${hostOptions.prefix ?? ''}${command.text}`;
        // unshare -n: a fresh network namespace, so the fake pmtad started by `prefix` is the
        // only one the probes can match (they pick pmtad in their own namespace).
        // unshare -m: a private mount namespace for test mounts, gone when the command ends.
        const flags = [...(hostOptions.netns ? ['-n'] : []), ...(hostOptions.mountns ? ['-m'] : [])];
        const [bin, args] = flags.length > 0 ? ['unshare', [...flags, shell, '-c', text]] : [shell, ['-c', text]];
        const child = spawn(bin, args, { env: { ...process.env, ...env } });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
        const timer = setTimeout(() => child.kill('SIGKILL'), options?.timeoutMs ?? 60_000);
        child.on('error', reject);
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          resolve({ stdout, stderr, exitCode: code, signal, durationMs: Date.now() - started });
        });
        if (options?.stdin !== undefined) child.stdin.end(options.stdin);
        else child.stdin.end();
      });
    },
    readFile: () => Promise.reject(new Error('not used by probes')),
    writeFileAtomic: () => Promise.reject(new Error('not used by probes')),
    close: () => Promise.resolve(),
  };
}
