/**
 * Pieces of the spool-migration fault tests (fault-spool.test.ts): the host state a migration
 * may touch, manifests of the held messages taken by the test itself, a run driven through
 * its journal (pause / fault at a given change), and fault switches inside the lab host.
 */
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabHandle } from '../helpers/lab.js';
import { journalLines, newestRunId, snapshot, waitFor, type CliResult, type Workspace } from './fault-support.js';

export const SPOOL = '/var/spool/pmta';
export const MP = '/mnt/pmta-nvme';
export const STATE_DIR = '/var/lib/mtafleet/spool-migrate';
/** A directory bind-mounted over /usr/local/sbin inside the lab host only: wrappers there come before /usr/bin. */
export const WRAPPER_DIR = '/root/mtaf-sf-bin';
/** While this file exists inside the host, the `mount` wrapper fails for MP (like a bad superblock). */
export const MOUNT_FAILS = '/root/mtaf-sf-mount-fails';

const MOUNT_WRAPPER = `#!/bin/sh
# mtaf-sf: fails mounting ${MP} while ${MOUNT_FAILS} exists, else the real mount.
if [ -e ${MOUNT_FAILS} ]; then
  for a in "$@"; do
    if [ "$a" = ${MP} ]; then echo "mount: ${MP}: can't read superblock." >&2; exit 32; fi
  done
fi
exec /usr/bin/mount "$@"
`;

/** While this file exists inside the host, hashing inside MP takes 5 s longer (a large spool's copy takes minutes). */
export const SLOW_HASH = '/root/mtaf-sf-slow-hash';

const SHA256SUM_WRAPPER = `#!/bin/sh
# mtaf-sf: stands in for hashing a large spool: 5 s longer inside ${MP} while ${SLOW_HASH} exists.
if [ -e ${SLOW_HASH} ]; then
  case "$(pwd -P)" in ${MP}|${MP}/*) sleep 5 ;; esac
fi
exec /usr/bin/sha256sum "$@"
`;

export async function sh(lab: LabHandle, host: string, text: string): Promise<string> {
  const r = await lab.run(host, text);
  if (r.exitCode !== 0) throw new Error(`${text}\nexit ${r.exitCode}: ${r.stderr}`);
  return r.stdout;
}

/** Installs the wrapper directory over /usr/local/sbin in the host's own mount namespace. */
export async function installWrappers(lab: LabHandle, host: string, dir: string): Promise<void> {
  const mount = join(dir, 'mount-wrapper');
  const sha = join(dir, 'sha256sum-wrapper');
  writeFileSync(mount, MOUNT_WRAPPER, { mode: 0o755 });
  writeFileSync(sha, SHA256SUM_WRAPPER, { mode: 0o755 });
  await sh(lab, host, `mkdir -p ${WRAPPER_DIR} && install -m 755 ${mount} ${WRAPPER_DIR}/mount && install -m 755 ${sha} ${WRAPPER_DIR}/sha256sum && mount --bind ${WRAPPER_DIR} /usr/local/sbin && [ "$(sh -c 'command -v mount')" = /usr/local/sbin/mount ]`);
}

export async function removeWrappers(lab: LabHandle, host: string): Promise<void> {
  await lab.run(host, `rm -f ${MOUNT_FAILS} ${SLOW_HASH}; umount /usr/local/sbin 2>/dev/null; rm -rf ${WRAPPER_DIR}`);
}

/**
 * Everything a spool migration changes, as one text: config, fstab, sysctls, service state and
 * mounts (fault-support's snapshot), plus the device's signatures, what lies in /var/spool, the
 * mountpoint, what the migration left in its state dir (manifests, records, work files; the
 * directory itself is the runner's bookkeeping and may stay) and the lock.
 */
export async function spoolSnapshot(lab: LabHandle, host: string, device: string): Promise<string> {
  const extra = await sh(
    lab,
    host,
    `blkid -p -o export ${device} || echo "${device}: no signature"
ls -a /var/spool
echo "in ${STATE_DIR}:"; ls -A ${STATE_DIR} 2>/dev/null
ls -d ${MP} 2>/dev/null || echo "no ${MP}"
grep -E '^<spool ' /etc/pmta/config
ls -d /var/lib/mtafleet/run.lock 2>/dev/null || echo lock-free
true`,
  );
  return (await snapshot(lab, host)) + extra;
}

/** The held (hold.test, never delivered) messages of a spool as "sha256  ./sub/id.msg" lines. */
export async function heldManifest(lab: LabHandle, host: string, spool: string): Promise<string> {
  return sh(lab, host, `cd ${spool} && grep -rl --include='*.msg' '^X-Sim-Rcpt: .*@hold\\.test' . | LC_ALL=C sort | xargs -r sha256sum`);
}

export const lineCount = (manifest: string) => manifest.split('\n').filter(Boolean).length;

/** Checks that every file of `manifest` is in `spool`, byte-identical; returns sha256sum's complaints ('' when all there). */
export async function missingFrom(lab: LabHandle, host: string, spool: string, manifest: string, dir: string): Promise<string> {
  const file = join(dir, `manifest-${Date.now()}.sha256`); // the lab host sees the machine's /tmp
  writeFileSync(file, manifest);
  const r = await lab.run(host, `cd ${spool} && sha256sum --quiet --strict -c ${file}`);
  return r.exitCode === 0 ? '' : `${r.stdout.slice(0, 2000)}${r.stderr.slice(0, 500)}`;
}

/** Copy scripts of spool-migrate still running in this host's network namespace (pids), '' when none. */
export async function leftoverCopies(lab: LabHandle, host: string): Promise<string> {
  return (
    await sh(
      lab,
      host,
      `me=$(readlink /proc/self/ns/net); for p in $(pgrep -f '[m]tafleet-(precopy|final-copy|abandon-copies)'); do [ "$(readlink /proc/$p/ns/net 2>/dev/null)" = "$me" ] && echo $p; done; true`,
    )
  ).trim();
}

export interface JournalRecord {
  type: string;
  host: string;
  changeId: string;
  error?: string;
}

export function journalRecords(ws: Workspace, runId: string): JournalRecord[] {
  return journalLines(ws.stateDir, runId).map((l) => JSON.parse(l) as JournalRecord);
}

/** spool-migrate's changes in plan order: c0 mkfs, c1 mount, c2 pre-copy, c3 stop + final pass, c4 switch. */
export const at = (type: 'intent' | 'done', change: 0 | 1 | 2 | 3 | 4) => (records: JournalRecord[]) =>
  records.some((r) => r.type === type && r.changeId.endsWith(`-c${change}`));

export interface Hook {
  when: (records: JournalRecord[]) => boolean;
  act: (child: ChildProcess) => Promise<void>;
}

/**
 * Starts `mtafleet args` and runs each hook, in order, once the run's journal satisfies its
 * condition. Returns the run's result, its id and how many hooks ran (a run that ended first
 * leaves the rest unreached).
 */
export async function runWithHooks(ws: Workspace, args: string[], hooks: Hook[]): Promise<{ result: CliResult; runId: string; reached: number }> {
  const before = newestRunId(ws.stateDir);
  const { child, done } = ws.start(args);
  let ended = false;
  void done.then(() => (ended = true));
  let runId: string | undefined;
  let reached = 0;
  try {
    for (const hook of hooks) {
      const ok = await waitFor(() => {
        const id = newestRunId(ws.stateDir);
        if (id && id !== before) runId = id;
        return ended || (runId !== undefined && hook.when(journalRecords(ws, runId)));
      }, 120_000);
      if (!ok || ended) break;
      await hook.act(child);
      reached++;
    }
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGCONT');
  }
  const result = await done;
  runId ??= newestRunId(ws.stateDir);
  if (!runId || runId === before) throw new Error(`the run left no run dir (exit ${result.code}): ${result.stdout}${result.stderr}`);
  return { result, runId, reached };
}

/** Runs `work` with the runner stopped (SIGSTOP): nothing it sends can overtake the fault. */
export async function whilePaused(child: ChildProcess, work: () => Promise<void>): Promise<void> {
  child.kill('SIGSTOP');
  try {
    await work();
  } finally {
    child.kill('SIGCONT');
  }
}
