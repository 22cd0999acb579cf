/**
 * Each host keeps its own copy of the undo records of the runs that changed it, so a run can be
 * rolled back from any control node even when the runner that started it is gone (README
 * "Rollback from another machine"). The copy lives next to the host's lock: by default
 * /var/lib/mtafleet/runs/<RUN_ID>.jsonl as root (~/.local/state/mtafleet/runs without root),
 * directory 0700 and file 0600, refused when the directory is foreign or writable by others.
 *
 * Writes are atomic (temp file in the directory, fsync, rename): the file holds the lines
 * already there plus the new ones, so only the new lines cross the network. Retention: when a
 * run's copy is first written, copies older than RETENTION_DAYS and all but the newest
 * RETENTION_RUNS are removed.
 */
import { script, sh, type Command } from '../transport/quote.js';
import type { HostConnection } from '../transport/types.js';
import { RefusedError, StepError } from '../util/errors.js';
import { DEFAULT_LOCK_PATH } from './lock.js';
import { MAX_HOST_RECORD_BYTES, hostRecordLine } from './host-undo-record.js';
import type { JournalEntry, JournalWriter } from './journal.js';

export const RETENTION_RUNS = 20;
export const RETENTION_DAYS = 90;
const MISSING = 44;
const TOO_BIG = 78;
const UNSAFE = 77;

/** Where a host keeps its records: derived from its lock path, taken with the same become. */
export interface RecordPlace {
  lockPath: string;
  become: boolean;
}

export interface HostRunSummary {
  runId: string;
  bytes: number;
  /** Last written (seconds since the epoch, the host's clock). */
  modified: number;
  intents: number;
  undone: number;
}

/** What the engine needs of the host copies; tests of engine logic may pass an in-memory one. */
export interface HostUndoStore {
  /** Adds lines to the run's copy; with `existingOnly`, only to a copy the host already has. */
  append(conn: HostConnection, place: RecordPlace, runId: string, lines: string[], opts?: { existingOnly?: boolean }): Promise<void>;
  /** The copy's bytes, or null when the host has none for this run. */
  read(conn: HostConnection, place: RecordPlace, runId: string): Promise<Buffer | null>;
  list(conn: HostConnection, place: RecordPlace): Promise<HostRunSummary[]>;
}

/**
 * Shell setting $R to the records directory (as lock.ts resolves the lock) and checking it.
 * A missing directory is created, reported (exit MISSING), or ends the script quietly (exit 0).
 */
function recordsDir(lockPath: string, missing: 'create' | 'report' | 'skip'): Command {
  const make = { create: 'mkdir -p -m 700 -- "$R" || exit 1', report: `exit ${MISSING}`, skip: 'exit 0' }[missing];
  return sh`L=${lockPath}
if [ "$L" = ${DEFAULT_LOCK_PATH} ] && [ "$(id -u)" != 0 ]; then L="\${HOME:?no HOME}/.local/state/mtafleet/run.lock"; fi
R=\${L%/*}/runs
[ -d "$R" ] || ${script(make)}
if [ -L "$R" ] || [ ! -d "$R" ]; then echo "$R is not a directory" >&2; exit ${UNSAFE}; fi
S=$(stat -c '%u %a' -- "$R") || exit 1
set -- $S
if [ "$1" != "$(id -u)" ]; then echo "$R belongs to uid $1" >&2; exit ${UNSAFE}; fi
case "$2" in *[1-7]? | *[1-7]) echo "$R is open to other users (mode $2)" >&2; exit ${UNSAFE}; esac
`;
}

function fail(conn: HostConnection, what: string, r: { exitCode: number | null; stderr: string }): Error {
  const why = r.stderr.trim().split('\n').slice(-2).join('; ') || `exit ${r.exitCode}`;
  if (r.exitCode === UNSAFE) return new RefusedError(`${conn.name}: refusing the undo records directory: ${why}; anyone who can write it could forge undo commands`);
  return new StepError(`${conn.name}: cannot ${what}: ${why}`);
}

function checkRunId(runId: string): void {
  if (!/^[A-Za-z0-9._-]+$/.test(runId) || /^\.+$/.test(runId)) throw new TypeError(`not a run id: ${runId}`);
}

export const remoteUndoStore: HostUndoStore = {
  async append(conn, place, runId, lines, opts = {}) {
    checkRunId(runId);
    if (lines.length === 0) return;
    const name = `${runId}.jsonl`;
    const r = await conn.exec(
      sh`umask 077
${recordsDir(place.lockPath, opts.existingOnly ? 'skip' : 'create')}F="$R"/${name}
${script(opts.existingOnly ? '[ -e "$F" ] || exit 0' : ':')}
if [ ! -e "$F" ]; then
  find "$R" -maxdepth 1 -type f -name '*.jsonl' -mtime +${RETENTION_DAYS} -exec rm -f -- {} + 2>/dev/null
  ls -t -- "$R" | grep '\\.jsonl$' | tail -n +${RETENTION_RUNS} | while IFS= read -r f; do rm -f -- "$R/$f"; done
fi
tmp=$(mktemp "$R/.mtafleet.XXXXXX") || exit 1
trap 'rm -f -- "$tmp"' EXIT
{ if [ -e "$F" ]; then cat -- "$F" || exit 1; fi; cat; } > "$tmp" || exit 1
chmod 600 -- "$tmp" && sync -- "$tmp" && mv -f -- "$tmp" "$F" || exit 1
sync -- "$R" 2>/dev/null || true`,
      { become: place.become, stdin: lines.join('\n') + '\n' },
    );
    if (r.exitCode !== 0) throw fail(conn, `write its copy of the undo records of run ${runId}`, r);
  },

  async read(conn, place, runId) {
    checkRunId(runId);
    const r = await conn.exec(
      sh`${recordsDir(place.lockPath, 'report')}F="$R"/${`${runId}.jsonl`}
[ -e "$F" ] || exit ${MISSING}
if [ -L "$F" ] || [ ! -f "$F" ]; then echo "$F is not a regular file" >&2; exit ${UNSAFE}; fi
N=$(stat -c %s -- "$F") || exit 1
if [ "$N" -gt ${MAX_HOST_RECORD_BYTES} ]; then echo "$N" >&2; exit ${TOO_BIG}; fi
exec cat -- "$F"`,
      // Within the default output cap (8 MiB); a lower mtafleet_max_output fails a larger copy.
      { become: place.become, label: 'the undo records' },
    );
    if (r.exitCode === MISSING) return null;
    if (r.exitCode === TOO_BIG) {
      const size = /^\d{1,20}/.exec(r.stderr)?.[0] ?? 'too many';
      throw new RefusedError(`${conn.name}: refusing its undo records of run ${runId}: the file is ${size} bytes, more than the ${MAX_HOST_RECORD_BYTES} allowed; nothing was undone on this host`);
    }
    if (r.exitCode !== 0) throw fail(conn, `read its undo records of run ${runId}`, r);
    return Buffer.from(r.stdout, 'utf8');
  },

  async list(conn, place) {
    // Only numbers and run-id file names leave the host; the records themselves stay there.
    const r = await conn.exec(
      sh`${recordsDir(place.lockPath, 'report')}for F in "$R"/*.jsonl; do
  [ -f "$F" ] && [ ! -L "$F" ] || continue
  printf '%s %s %s %s\\n' "$(stat -c '%s %Y' -- "$F")" "$(grep -c '"type":"intent"' -- "$F")" "$(grep -c '"type":"undone"' -- "$F")" "\${F##*/}"
done`,
      { become: place.become, partialOutput: true, label: 'the undo records listing' },
    );
    if (r.exitCode === MISSING) return [];
    if (r.exitCode !== 0) throw fail(conn, 'list its undo records', r);
    return parseListing(r.stdout);
  },
};

/** `bytes mtime intents undone RUN_ID.jsonl` lines; anything else (host text) is skipped. */
export function parseListing(stdout: string): HostRunSummary[] {
  const out: HostRunSummary[] = [];
  for (const line of stdout.split('\n').slice(0, 10_000)) {
    const m = /^(\d{1,15}) (\d{1,15}) (\d{1,9}) (\d{1,9}) ([A-Za-z0-9._-]{1,200})\.jsonl$/.exec(line);
    if (!m || /^\.+$/.test(m[5]!)) continue;
    out.push({ bytes: Number(m[1]), modified: Number(m[2]), intents: Number(m[3]), undone: Number(m[4]), runId: m[5]! });
  }
  return out.sort((a, b) => b.modified - a.modified || (a.runId < b.runId ? 1 : -1));
}

/**
 * A run's (or rollback's) records for one host, kept on that host: `add` queues a line, `flush`
 * appends the queued lines in one command. The applier flushes each intent before its change
 * runs (the host copy is then as fresh as the local journal for every change made); the
 * records that follow (done, failed, undone) ride along with the next intent or the flush at the
 * end of the host's work, since an undo of a change recorded as not yet undone is harmless.
 */
export class HostUndoCopy {
  readonly #queued: string[] = [];
  constructor(
    private readonly conn: HostConnection,
    private readonly place: RecordPlace,
    private readonly runId: string,
    private readonly user: string,
    private readonly store: HostUndoStore = remoteUndoStore,
    /** A rollback only adds to a copy the host has (none: an older mtafleet's run, or pruned). */
    private readonly existingOnly = false,
  ) {}

  add(entry: JournalEntry): void {
    this.#queued.push(hostRecordLine(this.runId, entry, new Date().toISOString(), this.user));
  }

  async flush(): Promise<void> {
    if (this.#queued.length === 0) return;
    const lines = this.#queued.splice(0);
    try {
      await this.store.append(this.conn, this.place, this.runId, lines, { existingOnly: this.existingOnly });
    } catch (err) {
      this.#queued.unshift(...lines); // kept for the next flush
      throw err;
    }
  }
}

/** A journal writer that also queues each record for the host's own copy. */
export function teeJournal(journal: JournalWriter, copy: HostUndoCopy | undefined): JournalWriter {
  if (!copy) return journal;
  return {
    write(entry) {
      journal.write(entry);
      copy.add(entry);
    },
  };
}
