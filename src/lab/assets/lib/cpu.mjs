// A worker thread that burns CPU for the queue-processing work, so the load shows up per
// process (/proc/PID/stat) and per core (/proc/stat) while the daemon's main thread stays responsive.
import { createRequire } from 'node:module';

// Loaded on the first burn: most worlds never burn enough to need a worker.
const require = createRequire(import.meta.url);

const SPIN = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (ms) => {
  const end = Date.now() + ms;
  let x = 0;
  while (Date.now() < end) x += Math.sqrt(x + 1);
});
`;

/** A spinning worker allocates next to nothing: keep its heap small. */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 8 };

/** One worker per processing thread that can run at once; each burns its share of the work. */
export class CpuBurner {
  constructor() {
    this.workers = [];
    this.totalMs = 0;
  }
  burn(msPerThread, threads) {
    if (msPerThread <= 0) return;
    while (this.workers.length < threads) {
      const { Worker } = require('node:worker_threads');
      const w = new Worker(SPIN, { eval: true, resourceLimits: WORKER_LIMITS });
      w.unref();
      this.workers.push(w);
    }
    for (let i = 0; i < threads; i += 1) this.workers[i].postMessage(msPerThread);
    this.totalMs += msPerThread * threads;
  }
  stop() {
    for (const w of this.workers) w.terminate();
    this.workers = [];
  }
}
