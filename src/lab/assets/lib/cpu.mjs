// Worker threads that burn CPU for the queue-processing work, so the load shows up per
// process (/proc/PID/stat), per thread (schedstat) and per core (/proc/stat) while the
// daemon's main thread stays responsive.
//
// A worker spins until a shared deadline, not for a number of milliseconds per message: a
// saturated processing thread never sleeps, also when a busy machine gives it (or the main
// thread that renews its work) less CPU. Spinning for N ms of wall time per tick left gaps
// whenever the main thread's tick came late, and the thread then looked half idle to the
// audit's schedstat sample (the thread-contention scenario flipped between audits).
import { createRequire } from 'node:module';

// Loaded on the first burn: most worlds never burn enough to need a worker.
const require = createRequire(import.meta.url);

const SPIN = `
const { workerData } = require('node:worker_threads');
const flags = new Int32Array(workerData, 0, 2); // [0]: generation (wake-ups), [1]: 1 = stop
const until = new Float64Array(workerData, 8, 1); // spin until this Date.now()
let x = 0;
while (Atomics.load(flags, 1) === 0) {
  const gen = Atomics.load(flags, 0);
  const end = until[0];
  if (Date.now() >= end) {
    Atomics.wait(flags, 0, gen, 200);
    continue;
  }
  const slice = Math.min(end, Date.now() + 50);
  while (Date.now() < slice) x += Math.sqrt(x + 1);
}
`;

/** A spinning worker allocates next to nothing: keep its heap small. */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 8 };

/** One worker per processing thread that can run at once; each spins while its deadline lies ahead. */
export class CpuBurner {
  constructor() {
    this.workers = [];
    this.totalMs = 0;
  }
  /** Keep `threads` workers spinning until `msPerThread` from now (never shortens a running spin). */
  burn(msPerThread, threads) {
    if (msPerThread <= 0) return;
    while (this.workers.length < threads) {
      const { Worker } = require('node:worker_threads');
      const shared = new SharedArrayBuffer(16);
      const w = new Worker(SPIN, { eval: true, resourceLimits: WORKER_LIMITS, workerData: shared });
      w.unref();
      this.workers.push({ w, flags: new Int32Array(shared, 0, 2), until: new Float64Array(shared, 8, 1) });
    }
    const end = Date.now() + msPerThread;
    for (let i = 0; i < threads; i += 1) {
      const { flags, until } = this.workers[i];
      if (until[0] < end) until[0] = end;
      Atomics.add(flags, 0, 1);
      Atomics.notify(flags, 0);
    }
    this.totalMs += msPerThread * threads;
  }
  stop() {
    for (const { w, flags } of this.workers) {
      Atomics.store(flags, 1, 1);
      Atomics.notify(flags, 0);
      w.terminate();
    }
    this.workers = [];
  }
}
