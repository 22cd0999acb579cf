/** A fake host (in-memory files, scripted exec) and a fake step kind for engine unit tests. */
import { z } from 'zod';
import type { HostConnection, ExecResult } from '../../../src/transport/types.js';
import type { Command } from '../../../src/transport/quote.js';
import { script } from '../../../src/transport/quote.js';
import type { StepKind } from '../../../src/steps/types.js';
import { execAction, restoreFileAction, writeFileAction, valueDiff } from '../../../src/steps/actions.js';
import type { HostLock } from '../../../src/engine/lock.js';

export class FakeHost implements HostConnection {
  readonly files = new Map<string, string>();
  readonly log: string[] = [];
  /** Paths whose writes fail (to test failed undo). */
  readonly failWrites = new Set<string>();
  constructor(readonly name: string) {}
  async exec(command: Command): Promise<ExecResult> {
    this.log.push(`exec ${command.text}`);
    const rm = /^rm -f -- (\S+)$/.exec(command.text);
    if (rm) this.files.delete(rm[1]);
    const fail = /^fail/.test(command.text);
    return { stdout: '', stderr: fail ? 'boom' : '', exitCode: fail ? 1 : 0, signal: null, durationMs: 1 };
  }
  async readFile(path: string): Promise<Buffer | null> {
    const v = this.files.get(path);
    return v === undefined ? null : Buffer.from(v);
  }
  async writeFileAtomic(path: string, data: string | Buffer): Promise<void> {
    this.log.push(`write ${path}=${data.toString()}`);
    if (this.failWrites.has(path)) {
      const { ExecError } = await import('../../../src/util/errors.js');
      throw new ExecError(`${this.name}: cannot write ${path}: Read-only file system (exit 1)`);
    }
    this.files.set(path, data.toString());
  }
  async close(): Promise<void> {}
}

export const fakeParams = z.strictObject({ key: z.string(), value: z.string(), then: z.string().optional() });
type P = z.infer<typeof fakeParams>;

/** "fake": sets file `key` to `value`; `then` adds an exec action (a command starting with "fail" fails). */
export const fakeKind: StepKind<P, Record<string, unknown>> = {
  kind: 'fake',
  params: fakeParams,
  async observe(host, p) {
    const b = await host.readFile(p.key);
    return { [`fake ${p.key}`]: b === null ? null : b.toString() };
  },
  plan(state, p) {
    const before = state[`fake ${p.key}`] as string | null;
    if (before === p.value && !p.then) return { kind: 'noop', reason: `${p.key} is ${p.value}` };
    return {
      kind: 'changes',
      changes: [
        {
          summary: `set ${p.key}`,
          label: 'exact',
          diff: valueDiff(p.key, before, p.value),
          do: [writeFileAction(p.key, p.value), ...(p.then ? [execAction(script(p.then))] : [])],
          undo: [restoreFileAction(p.key, before)],
        },
      ],
    };
  },
};

export const KINDS = { fake: fakeKind };

export function memoryLock(): HostLock & { held: Map<string, string> } {
  const held = new Map<string, string>();
  return {
    held,
    async acquire(conn, path, owner, opts = {}) {
      const key = `${conn.name}:${path}`;
      const cur = held.get(key);
      if (cur && cur !== owner.run && cur !== opts.takeOverFrom) {
        const { RefusedError } = await import('../../../src/util/errors.js');
        throw new RefusedError(`${conn.name}: locked by run ${cur}`);
      }
      held.set(key, owner.run);
    },
    async release(conn, path, runId) {
      const key = `${conn.name}:${path}`;
      if (held.get(key) === runId) held.delete(key);
    },
  };
}
