/** A fake host (in-memory files, scripted exec) and a fake step kind for engine unit tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { z } from 'zod';
import { STEP_KINDS } from '../../../src/steps/registry.js';
import { fingerprint } from '../../../src/engine/canonical.js';
import type { PlanBody } from '../../../src/engine/planfile.js';
import type { HostConnection, ExecResult } from '../../../src/transport/types.js';
import type { Command } from '../../../src/transport/quote.js';
import { script } from '../../../src/transport/quote.js';
import type { StepKind } from '../../../src/steps/types.js';
import { execAction, restoreFileAction, writeFileAction, valueDiff } from '../../../src/steps/actions.js';
import type { HostLock } from '../../../src/engine/lock.js';
import type { HostUndoStore } from '../../../src/engine/host-undo.js';

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

export const fakeParams = z.strictObject({ key: z.string(), value: z.string(), then: z.string().optional(), refuse: z.string().optional(), opaque: z.boolean().optional() });
type P = z.infer<typeof fakeParams>;

/**
 * "fake": sets file `key` to `value`; `then` adds an exec action (a command starting with "fail"
 * fails); `refuse` makes its plan a refusal; `opaque` leaves what it writes unknown (as a kind
 * without project() does).
 */
export const fakeKind: StepKind<P, Record<string, unknown>> = {
  kind: 'fake',
  params: fakeParams,
  resources: (p) => [`fake ${p.key}`],
  async observe(host, p) {
    const b = await host.readFile(p.key);
    return { [`fake ${p.key}`]: b === null ? null : b.toString() };
  },
  plan(state, p) {
    if (p.refuse) return { kind: 'refused', reason: p.refuse };
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
  project(state, p, plan) {
    if (plan.kind !== 'changes') return { state, unknown: [] };
    if (p.opaque) return { state, unknown: [`fake ${p.key}`] };
    return { state: { ...state, [`fake ${p.key}`]: p.value }, unknown: [] };
  },
};

export const KINDS = { fake: fakeKind };

/** For one test file: the fake kind registered (playbooks name `fake`) and a temp dir, given by the getter. */
export function useFakeKind(): () => string {
  let dir = '';
  beforeAll(() => {
    STEP_KINDS.fake = fakeKind;
    dir = mkdtempSync(join(tmpdir(), 'mtaf-eng-unit-'));
  });
  afterAll(() => {
    delete STEP_KINDS.fake;
    rmSync(dir, { recursive: true, force: true });
  });
  return () => dir;
}

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

/**
 * Hosts' own undo records in memory (the real store, on hosts, is tested in the lab:
 * test/integration/engine/host-undo-lab.test.ts). `appends` logs each append as
 * "host run: types", with the host's files at that moment when `snapshot` is given.
 */
export function memoryUndoStore(snapshot?: (conn: FakeHost) => string): HostUndoStore & { files: Map<string, string>; appends: string[] } {
  const files = new Map<string, string>();
  const appends: string[] = [];
  const key = (host: string, place: { lockPath: string }, runId: string) => `${host}:${place.lockPath}:${runId}`;
  return {
    files,
    appends,
    async append(conn, place, runId, lines, opts = {}) {
      if (opts.existingOnly && !files.has(key(conn.name, place, runId))) return;
      const types = lines.map((l) => (JSON.parse(l) as { type: string }).type).join(',');
      appends.push(`${conn.name} ${runId}: ${types}${snapshot ? ` [${snapshot(conn as FakeHost)}]` : ''}`);
      const k = key(conn.name, place, runId);
      files.set(k, (files.get(k) ?? '') + lines.join('\n') + '\n');
    },
    async read(conn, place, runId) {
      const v = files.get(key(conn.name, place, runId));
      return v === undefined ? null : Buffer.from(v);
    },
    async list() {
      return [];
    },
  };
}

/** A small valid plan body: one play, one host, one task with nothing to change. */
export function samplePlanBody(): PlanBody {
  return {
    format: 'mtafleet-plan',
    version: 1,
    created: '2026-11-28T10:00:00.000Z',
    user: 'ops',
    playbook: { path: '/pb.yaml', sha256: 'a'.repeat(64) },
    inventory: { path: '/inv.yaml', sha256: 'b'.repeat(64) },
    limit: null,
    extraVars: { threads: '8' },
    plays: [
      {
        index: 0,
        name: 'p',
        rolling: { serial: [{ count: 1 }] },
        unreachable: [],
        hosts: [
          {
            host: 'h1',
            fingerprint: fingerprint({ 'file /etc/x': { exists: true } }),
            observations: { 'file /etc/x': { exists: true } },
            lockPath: '/var/lock/mtafleet.lock',
            become: false,
            tasks: [
              {
                name: 't',
                kind: 'file',
                handler: false,
                params: { path: '/etc/x', content: 'y' },
                notify: [],
                observations: { 'file /etc/x': { exists: true } },
                plan: { kind: 'noop', reason: 'same' },
              },
            ],
          },
        ],
      },
    ],
  };
}
