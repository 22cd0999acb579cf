// Worker thread: the one continuous inbound writer of the spool-io world. Synchronous 4 KiB writes,
// each followed by fdatasync (like `fio --bs=4k --fsync=1 --ioengine=sync`), one message after
// another; the main thread stays free for the control socket and HTTP.
import { parentPort, workerData } from 'node:worker_threads';
import fs from 'node:fs';
import path from 'node:path';
import { newMessageId, messagePath, pickDomain, randomRcpt, messageText } from './spool.mjs';

const { spoolDir, sizeBytes, mix, gate } = workerData;
const flags = new Int32Array(gate); // [0]: 1 = spool full, pause; [1]: 1 = stop

while (Atomics.load(flags, 1) === 0) {
  if (Atomics.load(flags, 0) === 1) {
    Atomics.wait(flags, 0, 1, 200);
    continue;
  }
  const domain = pickDomain(mix);
  const m = { id: newMessageId(), rcpt: randomRcpt(domain), domain, orig: 'bounce@news.example.org', vmta: '', queuedAt: Date.now(), jobId: 'job-inbound' };
  const file = messagePath(spoolDir, m.id);
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const data = Buffer.from(messageText(m, sizeBytes));
    const fd = fs.openSync(file, 'wx');
    try {
      for (let off = 0; off < data.length; off += 4096) {
        fs.writeSync(fd, data, off, Math.min(4096, data.length - off));
        fs.fdatasyncSync(fd);
      }
    } finally {
      fs.closeSync(fd);
    }
    parentPort.postMessage({ ...m, file, size: data.length });
  } catch (err) {
    parentPort.postMessage({ error: `${err.code ?? ''} ${err.message}` });
    Atomics.wait(flags, 1, 0, 1000);
  }
}
