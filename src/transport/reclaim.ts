/**
 * Every ssh2 packet of output is a Buffer that is dead once copied or dropped, but V8 frees
 * such memory (outside its heap) only at a collection it starts late: 150 MB of output left
 * ~40 MB of dead buffers in the runner. A collection every RECLAIM_EVERY bytes received
 * (a few ms: the heap is small) keeps that bounded; commands printing less never trigger it.
 * `gc` is reached through V8's own flag, as node --expose-gc would.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export const RECLAIM_EVERY = 16 * 1024 * 1024;

type Gc = (options?: { type?: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void;
let gc: Gc | null | undefined;

function getGc(): Gc | null {
  if (gc !== undefined) return gc;
  try {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as Gc;
  } catch {
    gc = null; // a runtime without it: memory is still bounded, only later
  }
  return gc;
}

/** Counts received bytes; collects once per RECLAIM_EVERY of them. */
export class ReceivedBytes {
  #sinceLast = 0;
  add(n: number): void {
    this.#sinceLast += n;
    if (this.#sinceLast < RECLAIM_EVERY) return;
    this.#sinceLast = 0;
    getGc()?.();
  }
}
