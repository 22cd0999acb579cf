/**
 * One runner at a time per host: a lock directory created atomically with mkdir, holding an
 * `owner` file (run id, time, user). A held lock refuses the host with its owner and age; it
 * is never broken silently. Only the rollback of the owning run may take it over.
 */
import { sh } from '../transport/quote.js';
import type { HostConnection } from '../transport/types.js';
import { RefusedError, StepError } from '../util/errors.js';

export const DEFAULT_LOCK_PATH = '/var/lock/mtafleet.lock';
const HELD = 75;

export interface LockOwner {
  run: string;
  time: string;
  user: string;
}

export interface HostLock {
  acquire(conn: HostConnection, path: string, owner: LockOwner, opts?: { takeOverFrom?: string }): Promise<void>;
  release(conn: HostConnection, path: string, runId: string): Promise<void>;
}

export function parseOwner(text: string): Partial<LockOwner> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^(run|time|user)=(.*)$/.exec(line.trim());
    if (m) out[m[1]] = m[2];
  }
  return out;
}

export function describeAge(since: string | undefined, now = Date.now()): string {
  const t = since ? Date.parse(since) : NaN;
  if (Number.isNaN(t)) return 'unknown age';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 120) return `${s}s old`;
  if (s < 7200) return `${Math.round(s / 60)}m old`;
  return `${Math.round(s / 3600)}h old`;
}

export const remoteLock: HostLock = {
  async acquire(conn, path, owner, opts = {}) {
    const info = `run=${owner.run}\ntime=${owner.time}\nuser=${owner.user}\n`;
    const ownerFile = `${path}/owner`;
    const takeOver = opts.takeOverFrom ? `run=${opts.takeOverFrom}` : `run=${owner.run}`;
    // mkdir is atomic: exactly one runner creates the directory. Re-entry by the same run
    // (or the rollback of the run holding it) rewrites the owner file.
    const r = await conn.exec(
      sh`if mkdir -m 700 ${path} 2>/dev/null || grep -qx ${takeOver} ${ownerFile} 2>/dev/null; then printf %s ${info} > ${ownerFile}; else cat ${ownerFile} 2>/dev/null; exit ${HELD}; fi`,
    );
    if (r.exitCode === 0) return;
    if (r.exitCode === HELD) {
      const o = parseOwner(r.stdout);
      throw new RefusedError(
        `${conn.name}: locked by run ${o.run ?? '(unknown)'} of ${o.user ?? 'unknown user'} since ${o.time ?? '?'} (${describeAge(o.time)}); ` +
          `if that run is dead, roll it back (mtafleet rollback ${o.run ?? 'RUN_ID'}) or remove ${path} on the host after checking`,
      );
    }
    throw new StepError(`${conn.name}: cannot take the lock ${path}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
  },
  async release(conn, path, runId) {
    const r = await conn.exec(sh`if grep -qx ${`run=${runId}`} ${`${path}/owner`} 2>/dev/null; then rm -rf -- ${path}; fi`);
    if (r.exitCode !== 0) throw new StepError(`${conn.name}: cannot release the lock ${path}: ${r.stderr.trim()}`);
  },
};
