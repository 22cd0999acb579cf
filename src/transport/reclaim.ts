/**
 * Output past the cap is dropped, but each dropped ssh2 packet is a Buffer whose memory V8
 * frees only at its next collection, which it starts late for memory outside its heap:
 * 150 MB of dropped output left ~40 MB of dead buffers in the runner. A young-generation
 * collection (about a millisecond: the dead buffers are young) every RECLAIM_EVERY dropped
 * bytes keeps that bounded. `gc` is reached through V8's own flag, as --expose-gc would.
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

/** Counts dropped bytes; collects once per RECLAIM_EVERY of them. */
export class DroppedBytes {
  #sinceLast = 0;
  add(n: number): void {
    this.#sinceLast += n;
    if (this.#sinceLast < RECLAIM_EVERY) return;
    this.#sinceLast = 0;
    getGc()?.();
  }
}
