// A worker thread that burns CPU for the queue-processing work, so the load shows up per
// process (/proc/PID/stat) and per core (/proc/stat) while the daemon's main thread stays responsive.
import { Worker } from 'node:worker_threads';

const SPIN = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (ms) => {
  const end = Date.now() + ms;
  let x = 0;
  while (Date.now() < end) x += Math.sqrt(x + 1);
});
`;

export class CpuBurner {
  constructor() {
    this.worker = null;
    this.totalMs = 0;
  }
  burn(ms) {
    if (ms <= 0) return;
    if (!this.worker) {
      this.worker = new Worker(SPIN, { eval: true });
      this.worker.unref();
    }
    this.totalMs += ms;
    this.worker.postMessage(ms);
  }
  stop() {
    this.worker?.terminate();
    this.worker = null;
  }
}
