/**
 * Records the store could not take wait in <state dir>/history-pending/ (private: dir 0700,
 * files 0600), one JSON file each, named by time so they are written back in order. A file is
 * claimed by renaming it before it is written to the store, so two runners flushing at once
 * never write one record twice (and a record already stored is skipped by its id anyway).
 */
import { readdirSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { checkPrivateDir, ensurePrivateDir, readPrivateFile, writeFileReplacing } from '../util/private-fs.js';
import type { AuditRecord, RunExtras, RunRow } from './types.js';
import { processAlive as alive } from '../util/process-alive.js';

/** A run carries its journal and approvals (`extras`) when it has any. */
export type PendingItem = { type: 'audit'; record: AuditRecord } | { type: 'run'; record: RunRow; extras?: RunExtras };

export function pendingDir(stateDir: string): string {
  return join(stateDir, 'history-pending');
}

export function savePending(stateDir: string, item: PendingItem): string {
  ensurePrivateDir(stateDir, true);
  const dir = ensurePrivateDir(pendingDir(stateDir));
  const file = join(dir, `${String(Date.now()).padStart(15, '0')}-${process.pid}-${randomBytes(4).toString('hex')}.json`);
  writeFileReplacing(file, JSON.stringify(item) + '\n');
  return file;
}

export function pendingCount(stateDir: string): number {
  if (!checkPrivateDir(stateDir) || !checkPrivateDir(pendingDir(stateDir))) return 0;
  return readdirSync(pendingDir(stateDir)).filter((n) => n.endsWith('.json')).length;
}

/**
 * Writes every pending record with `write`, oldest first; stops at the first failure (the
 * store went away again), leaving that record and the rest pending. Returns how many were written.
 */
export async function flushPending(stateDir: string, write: (item: PendingItem) => Promise<void>): Promise<number> {
  if (!checkPrivateDir(stateDir) || !checkPrivateDir(pendingDir(stateDir))) return 0;
  const dir = pendingDir(stateDir);
  reclaimAbandoned(dir);
  let written = 0;
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    const file = join(dir, name);
    const claimed = `${file}.claimed-${process.pid}`;
    try {
      renameSync(file, claimed);
    } catch {
      continue; // another runner took it
    }
    const text = readPrivateFile(claimed);
    let item: PendingItem | undefined;
    try {
      item = text === undefined ? undefined : (JSON.parse(text) as PendingItem);
    } catch {
      // A torn file (the runner died while writing): kept aside, never retried forever.
      renameSync(claimed, `${file}.unreadable`);
      continue;
    }
    if (!item || (item.type !== 'audit' && item.type !== 'run')) {
      renameSync(claimed, `${file}.unreadable`);
      continue;
    }
    try {
      await write(item);
    } catch (err) {
      renameSync(claimed, file);
      throw err;
    }
    unlinkSync(claimed);
    written++;
  }
  return written;
}

/** Files claimed by a runner that is no longer running go back to pending. */
function reclaimAbandoned(dir: string): void {
  for (const name of readdirSync(dir)) {
    const m = /^(.*\.json)\.claimed-(\d+)$/.exec(name);
    if (!m || alive(Number(m[2]))) continue;
    try {
      renameSync(join(dir, name), join(dir, m[1]!));
    } catch {
      // another runner reclaimed it first
    }
  }
}
