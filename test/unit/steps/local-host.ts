import { readFile } from 'node:fs/promises';
import type { Command } from '../../../src/transport/quote.js';
import type { ExecResult, HostConnection } from '../../../src/transport/types.js';
import { runLocal } from './local-shell.js';

/** A HostConnection on this machine for read-only observe() checks (no writes offered). */
export function localHost(): HostConnection {
  return {
    name: 'local',
    async exec(command: Command, options = {}): Promise<ExecResult> {
      const started = Date.now();
      const r = runLocal(command.text, { stdin: options.stdin?.toString() });
      return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode, signal: null, durationMs: Date.now() - started };
    },
    async readFile(path: string) {
      try {
        return await readFile(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
    },
    async writeFileAtomic() {
      throw new Error('observe must not write');
    },
    async close() {},
  };
}
