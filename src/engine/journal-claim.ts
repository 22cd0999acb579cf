/**
 * One writer per journal: a chained journal appended by two processes at once would fork its
 * chain and be refused from then on. The run, and each rollback of it, claims the journal with
 * `writer` (its pid, made with O_EXCL) in the private run dir; a claim whose process is gone
 * (killed) is taken over.
 */
import { closeSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { RefusedError } from '../util/errors.js';
import { createPrivateFile, readPrivateFile, writeAll } from '../util/private-fs.js';
import { processAlive as alive } from '../util/process-alive.js';

/** Claims the run dir's journal for this process; returns the release function. */
export function claimJournal(runDirPath: string, runId: string): () => void {
  const file = join(runDirPath, 'writer');
  for (let attempt = 0; attempt < 2; attempt++) {
    const held = readPrivateFile(file);
    if (held !== undefined) {
      const pid = Number(held.trim());
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
        throw new RefusedError(
          `the journal of run ${runId} is being written by process ${pid} (the run itself, or another rollback of it); wait for it to finish (if no mtafleet runs as that process, remove ${file})`,
        );
      }
      unlinkSync(file); // its writer was killed
      continue;
    }
    const fd = createPrivateFile(file);
    writeAll(fd, `${process.pid}\n`);
    closeSync(fd);
    return () => rmSync(file, { force: true });
  }
  throw new RefusedError(`the journal of run ${runId} is being claimed by another process; try again`);
}
