/**
 * One runner at a time per host: a lock directory created atomically with mkdir, holding an
 * `owner` file (run id, time, user). A held lock refuses the host with its owner and age; it
 * is never broken silently. Only the rollback of the owning run may take it over.
 *
 * The lock lives in a directory no other user can write (by default /var/lib/mtafleet, made
 * 0700 if missing), taken as root when the play uses become: in a world-writable dir such as
 * /var/lock any local user could create the lock first and block every run. A session that is
 * not root (no become) locks in its own ~/.local/state/mtafleet instead. A lock dir whose
 * parent is missing, foreign or group/other-writable is an error naming it.
 */
import { sh, script, type Command } from '../transport/quote.js';
import type { HostConnection } from '../transport/types.js';
import { RefusedError, StepError } from '../util/errors.js';

export const DEFAULT_LOCK_PATH = '/var/lib/mtafleet/run.lock';
const HELD = 75;
const CANNOT = 76;
const UNSAFE = 77;

export interface LockOwner {
  run: string;
  time: string;
  user: string;
}

export interface HostLock {
  acquire(conn: HostConnection, path: string, owner: LockOwner, opts?: { takeOverFrom?: string; become?: boolean }): Promise<void>;
  release(conn: HostConnection, path: string, runId: string, opts?: { become?: boolean }): Promise<void>;
}

/**
 * Host text (the owner file may have been written by anyone who could write the lock): only
 * `key=value` lines of the known keys, the first of each, at most 200 characters each.
 */
export function parseOwner(text: string): Partial<LockOwner & { lock: string }> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^(run|time|user|lock)=(.{0,200})$/.exec(line.trim());
    if (m && !(m[1] in out)) out[m[1]] = m[2];
  }
  return out;
}

/**
 * Shell that sets $L to the lock dir to use and checks its parent: the default moves to the
 * login user's state dir when not root; the default parent is created 0700 if missing.
 */
function resolveLock(path: string): Command {
  return sh`L=${path}
if [ "$L" = ${DEFAULT_LOCK_PATH} ]; then
  [ "$(id -u)" = 0 ] || L="\${HOME:?no HOME}/.local/state/mtafleet/run.lock"
  mkdir -p -m 700 -- "\${L%/*}" 2>/dev/null
fi
D=\${L%/*}; D=\${D:-/}
printf 'lock=%s\n' "$L"
`;
}

const CHECK_PARENT = script(`if [ ! -d "$D" ]; then echo "the lock's parent directory $D does not exist" >&2; exit ${CANNOT}; fi
S=$(stat -L -c '%u %a' -- "$D") || exit ${CANNOT}
set -- $S
if [ "$1" != 0 ] && [ "$1" != "$(id -u)" ]; then echo "the lock's parent directory $D belongs to uid $1" >&2; exit ${UNSAFE}; fi
case "$2" in *[2367]? | *[2367]) echo "the lock's parent directory $D is writable by other users (mode $2)" >&2; exit ${UNSAFE}; esac
`);

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
    const takeOver = opts.takeOverFrom ? `run=${opts.takeOverFrom}` : `run=${owner.run}`;
    // mkdir is atomic: exactly one runner creates the directory. Re-entry by the same run
    // (or the rollback of the run holding it) rewrites the owner file. Any other mkdir
    // failure (no parent, no permission, a file in the way) is reported as it is.
    const r = await conn.exec(
      sh`${resolveLock(path)}${CHECK_PARENT}if E=$(mkdir -m 700 -- "$L" 2>&1); then printf %s ${info} > "$L/owner"; exit 0; fi
if [ -d "$L" ] && [ ! -L "$L" ]; then
  if grep -qx ${takeOver} "$L/owner" 2>/dev/null; then printf %s ${info} > "$L/owner"; exit 0; fi
  head -c 1024 "$L/owner" 2>/dev/null; exit ${HELD}
fi
printf '%s\n' "$E" >&2; exit ${CANNOT}`,
      { become: opts.become },
    );
    if (r.exitCode === 0) return;
    const o = parseOwner(r.stdout);
    const at = o.lock ?? path;
    if (r.exitCode === HELD) {
      throw new RefusedError(
        `${conn.name}: locked by run ${o.run ?? '(unknown)'} of ${o.user ?? 'unknown user'} since ${o.time ?? '?'} (${describeAge(o.time)}); ` +
          `if that run is dead, roll it back (mtafleet rollback ${o.run ?? 'RUN_ID'}) or remove ${at} on the host after checking`,
      );
    }
    const why = r.stderr.trim() || `exit ${r.exitCode}`;
    if (r.exitCode === UNSAFE) {
      throw new RefusedError(`${conn.name}: refusing the lock ${at}: ${why}; any such user could block or fake it (set mtafleet_lock_path under a directory only root or the login user can write)`);
    }
    throw new StepError(`${conn.name}: cannot create the lock directory ${at}: ${why}`);
  },
  async release(conn, path, runId, opts = {}) {
    const r = await conn.exec(sh`${resolveLock(path)}if grep -qx ${`run=${runId}`} "$L/owner" 2>/dev/null; then rm -rf -- "$L"; fi`, { become: opts.become });
    if (r.exitCode !== 0) throw new StepError(`${conn.name}: cannot release the lock ${path}: ${r.stderr.trim()}`);
  },
};
