// Mail arriving from the (simulated) injectors: a steady rate, or one continuous fsyncing writer
// (spool-io), plus a one-time backlog at first start.
import fs from 'node:fs';
import { hostPath, PATHS } from './paths.mjs';
import { newMessageId, writeMessage, pickDomain, randomRcpt } from './spool.mjs';

function newMessage(domain, jobId = 'job1') {
  return { id: newMessageId(), rcpt: randomRcpt(domain), domain, orig: 'bounce@news.example.org', vmta: null, queuedAt: Date.now(), jobId };
}

/** Writes N messages (for `pmta inject` and the backlog), one after another, each fsynced. */
export async function injectMessages(ctx, n, domain, opts = {}) {
  const mix = opts.mix ?? ctx.world.mix;
  for (let i = 0; i < n; i += 1) {
    const d = domain ?? pickDomain(mix);
    const msg = newMessage(d, opts.jobId);
    msg.vmta = ctx.engine.nextVmta();
    const written = await writeMessage(ctx.spoolDir, msg, { sizeBytes: opts.sizeBytes ?? 4096 });
    ctx.engine.add(written);
  }
}

export async function seedBacklog(ctx) {
  const stateFile = hostPath(PATHS.state);
  const state = fs.existsSync(stateFile) ? JSON.parse(fs.readFileSync(stateFile, 'utf8')) : {};
  if (state.backlogSeeded) return;
  fs.writeFileSync(stateFile, JSON.stringify({ ...state, backlogSeeded: true }));
  for (const [domain, n] of Object.entries(ctx.world.backlog ?? {})) {
    await injectMessages(ctx, n, domain, { jobId: 'backlog' });
  }
}

export async function startInbound(ctx) {
  const spec = ctx.world.inbound;
  const domains = spec.domains ?? ctx.world.mix;
  let timer = null;
  let stopWorker = null;
  const full = () => ctx.engine.messages.size >= (spec.maxQueued ?? 5000);
  const one = async (syncEachBlock) => {
    const msg = newMessage(pickDomain(domains), 'job-inbound');
    msg.vmta = ctx.engine.nextVmta();
    ctx.engine.add(await writeMessage(ctx.spoolDir, msg, { sizeBytes: spec.sizeBytes ?? 4096, syncEachBlock }));
  };
  if (spec.perMinute === 'continuous') {
    // Writer threads, back to back, fdatasync after each 4 KiB block: the spool device stays busy.
    // Several writers (PowerMTA writes the spool from many threads) keep a request in flight
    // while one of them waits for a CPU, so the device stays saturated on a busy machine too.
    const gate = new SharedArrayBuffer(8);
    const flags = new Int32Array(gate);
    // Only the spool-io world writes continuously: load the worker code only there.
    const { Worker } = await import('node:worker_threads');
    const workers = Array.from({ length: Math.max(1, Number(spec.writers ?? 1)) }, () => {
      const worker = new Worker(new URL('./spool-writer.mjs', import.meta.url), { resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 16 }, workerData: { spoolDir: ctx.spoolDir, sizeBytes: spec.sizeBytes ?? 4096, mix: domains, gate } });
      worker.on('message', (m) => {
        if (m.error) ctx.log(`inbound: ${m.error}`);
        else ctx.engine.add(m);
        Atomics.store(flags, 0, full() ? 1 : 0);
        Atomics.notify(flags, 0);
      });
      worker.on('error', (err) => ctx.log(`inbound writer: ${err.message}`));
      return worker;
    });
    timer = setInterval(() => {
      Atomics.store(flags, 0, full() ? 1 : 0);
      Atomics.notify(flags, 0);
    }, 200);
    stopWorker = () => {
      Atomics.store(flags, 1, 1);
      Atomics.notify(flags, 0);
      Atomics.notify(flags, 1);
      for (const worker of workers) worker.terminate();
    };
  } else if (Number(spec.perMinute) > 0) {
    let owed = 0;
    timer = setInterval(async () => {
      owed += Number(spec.perMinute) / 60;
      while (owed >= 1 && !full()) {
        owed -= 1;
        await one(false).catch((err) => ctx.log(`inbound: ${err.message}`));
      }
    }, 1000);
  }
  return {
    stop() {
      stopWorker?.();
      if (timer) clearInterval(timer);
    },
  };
}
