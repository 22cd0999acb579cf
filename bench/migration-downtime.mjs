/**
 * migration-downtime: the time PowerMTA is stopped during `mtafleet run
 * playbooks/spool-migrate-nvme.yaml` on a lab host whose spool holds 100,000 queued message
 * files of 10 KiB (tiny: 1,000), against a naive stop / cp -a / start to the same NVMe loop
 * device (target <= 10 %). Both sides are timed by the same poller inside the host: PowerMTA
 * counts as down from the first poll (every 20 ms) where pmtad's process is gone or its
 * control socket does not accept, to the first poll where both are back.
 * Each run: naive (then the device is wiped), mtafleet run (timed), mtafleet rollback (which
 * carries everything back and wipes the device again; not timed as downtime).
 */
import { existsSync, mkdtempSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withLab } from './lib/lab.mjs';
import { parseJson } from './lib/mtafleet.mjs';
import { dist, mtafleetBin, repoRoot } from './lib/paths.mjs';
import { dropCaches, run } from './lib/proc.mjs';
import { fillSpoolScript, naiveMigrationScript, NAIVE_MOUNT_POINT } from './lib/spool-fill.mjs';
import { compare, measure } from './lib/stats.mjs';

const FILES = { tiny: 1_000, full: 100_000 };
const FILE_BYTES = 10 * 1024;
const TARGET = 0.1;
const LAB = 'mdown';
const MOUNT_POINT = '/mnt/mtaf-mig-nvme';

/**
 * Runs inside the host: prints [[epochMs, state], ...] transitions until the stop file exists.
 * state: 'ready' (pid file names a live pmtad and its control socket accepts), 'running' (a
 * pmtad process of this network namespace exists, e.g. still recovering the spool at start)
 * or 'stopped' (none).
 */
const POLLER = `
const fs = require('fs'), net = require('net');
const stop = process.argv[1];
const myNet = fs.readlinkSync('/proc/self/ns/net');
const isPmtad = (pid) => {
  try {
    const args = fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8').split('\\0');
    return (args[0] === 'pmtad' || args.some((a) => a.endsWith('/pmtad.mjs'))) && !fs.readFileSync('/proc/' + pid + '/stat', 'utf8').includes(') Z ')
      && fs.readlinkSync('/proc/' + pid + '/ns/net') === myNet;
  } catch { return false; }
};
const pidFileAlive = () => {
  try { return isPmtad(Number(fs.readFileSync('/var/lib/pmta-sim/pmtad.pid', 'utf8').trim())); } catch { return false; }
};
const anyPmtad = () => fs.readdirSync('/proc').some((d) => /^[0-9]+$/.test(d) && Number(d) !== process.pid && isPmtad(d));
const answers = () => new Promise((done) => {
  const s = net.connect('/var/lib/pmta-sim/control.sock');
  const t = setTimeout(() => { s.destroy(); done(false); }, 500);
  s.once('connect', () => { clearTimeout(t); s.destroy(); done(true); });
  s.once('error', () => { clearTimeout(t); done(false); });
});
(async () => {
  const events = [];
  let last = null;
  for (;;) {
    const state = pidFileAlive() && (await answers()) ? 'ready' : anyPmtad() ? 'running' : 'stopped';
    if (state !== last) { events.push([Date.now(), state]); last = state; }
    if (fs.existsSync(stop)) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  process.stdout.write(JSON.stringify(events));
})();
`;

export default async function migrationDowntime({ size, runs, log }) {
  const notBuilt = ['steps/spool/scripts.js', 'cli/run.js', 'lab/index.js'].find((f) => !existsSync(dist(f)));
  if (notBuilt) return { status: 'not-runnable', reason: `dist/${notBuilt} is missing (npm run build)` };
  // MIGRATION_FILES overrides the file count: the lab's pmtad (a 96 MB heap) cannot recover a
  // 100,000-file spool at start, so the full size cannot run on this lab yet.
  const count = Number(process.env.MIGRATION_FILES) || FILES[size];
  const { runInHost, assetsDir } = await import(dist('lab/index.js'));
  const tmp = mkdtempSync(join(tmpdir(), 'mtaf-mig-bench-'));
  try {
    return await withLab(LAB, 1, log, (status) => measureAll(status, { count, runs, size, log, runInHost, assetsDir, tmp }), { quiet: false });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    if (existsSync(NAIVE_MOUNT_POINT)) rmdirSync(NAIVE_MOUNT_POINT);
  }
}

async function measureAll(status, { count, runs, size, log, runInHost, assetsDir, tmp }) {
  const host = status.hosts[0];
  if (!host.nvmeDevice) throw new Error(`lab host ${host.name} has no NVMe loop device`);
  const inHost = async (text) => {
    const r = await runInHost(host.sshdPid, text, { timeoutMs: 3_600_000 });
    if (r.exitCode !== 0) throw new Error(`${host.name}: exit ${r.exitCode}: ${r.stderr.slice(0, 800)}`);
    return r.stdout;
  };
  log(`queueing ${count} message files of ${FILE_BYTES} bytes in ${host.name}'s spool`);
  await inHost('systemctl stop pmta');
  const filled = Number((await inHost(fillSpoolScript(assetsDir(), count, FILE_BYTES))).trim().split('\n').pop());
  // pmtad recovers every queued file at start: at 100k files that can outlast the shim's start timeout.
  await inHost('systemctl start pmta; i=0; until pmta show status >/dev/null 2>&1; do i=$((i + 1)); [ $i -ge 3000 ] && exit 1; sleep 0.1; done');

  let polls = 0;
  /** Runs `work` while the poller watches; returns seconds PowerMTA was down. */
  const downDuring = async (work) => {
    const stopFile = join(tmp, `poll-${polls++}.stop`);
    const poller = runInHost(host.sshdPid, `node -e '${POLLER.replace(/'/g, `'\\''`)}' ${stopFile}`, { timeoutMs: 3_600_000 });
    await new Promise((r) => setTimeout(r, 300));
    let out;
    try {
      out = await work();
    } finally {
      await new Promise((r) => setTimeout(r, 300));
      writeFileSync(stopFile, '');
    }
    const p = await poller;
    if (p.exitCode !== 0) throw new Error(`poller: ${p.stderr.slice(0, 500)}`);
    const events = JSON.parse(p.stdout);
    if (events[0]?.[1] !== 'ready') throw new Error(`PowerMTA was not up when the measure began: ${p.stdout.slice(0, 200)}`);
    if (events.at(-1)[1] !== 'ready') throw new Error(`PowerMTA was not up again when the measure ended: ${p.stdout.slice(-200)}`);
    let stopped = 0;
    let notReady = 0;
    for (let i = 1; i < events.length; i++) {
      const span = events[i][0] - events[i - 1][0];
      if (events[i - 1][1] === 'stopped') stopped += span;
      if (events[i - 1][1] !== 'ready') notReady += span;
    }
    return { stopped: stopped / 1000, down: notReady / 1000, out };
  };
  const cli = (args) =>
    run(process.execPath, [mtafleetBin, ...args, '--state-dir', join(tmp, 'state')], { env: { ...process.env, HOME: tmp }, timeoutMs: 3_600_000, cwd: repoRoot });

  const samples = { naive: [], naiveScript: [], mtafleet: [], naiveStopped: [], mtafleetStopped: [], runWall: [], rollback: [] };
  const figures = { 'files in the spool': filled, 'file size (bytes)': FILE_BYTES };
  for (let i = 0; i < runs; i++) {
    if (size === 'full') dropCaches();
    const naive = await downDuring(() => inHost(naiveMigrationScript(host.nvmeDevice)));
    const [, t0, t1] = /^downtime (\S+) (\S+)$/m.exec(naive.out) ?? [];
    samples.naive.push(naive.down);
    samples.naiveStopped.push(naive.stopped);
    samples.naiveScript.push(Number(t1) - Number(t0));
    figures[`run ${i + 1}: files copied by cp -a`] = Number(/^copied (\d+)$/m.exec(naive.out)?.[1] ?? 0);
    await inHost(`wipefs -q -a ${host.nvmeDevice}`);
    log(`naive stop / cp -a / start: ${naive.down.toFixed(2)} s not serving, ${naive.stopped.toFixed(2)} s without a pmtad process (script: ${samples.naiveScript.at(-1).toFixed(2)} s)`);

    if (size === 'full') dropCaches();
    const args = ['run', join(repoRoot, 'playbooks/spool-migrate-nvme.yaml'), '-i', status.inventoryFile, '-e', `device=${host.nvmeDevice}`, '-e', `mountpoint=${MOUNT_POINT}`, '--format', 'json'];
    const migrated = await downDuring(() => cli(args));
    const result = parseJson(migrated.out, 'mtafleet run');
    if (migrated.out.code !== 0 || result.hosts[0]?.status !== 'changed') {
      throw new Error(`mtafleet run failed (exit ${migrated.out.code}): ${JSON.stringify(result.hosts)} ${migrated.out.stderr.slice(0, 800)}`);
    }
    samples.mtafleet.push(migrated.down);
    samples.mtafleetStopped.push(migrated.stopped);
    samples.runWall.push(migrated.out.wallMs / 1000);
    figures[`run ${i + 1}: files in the new spool`] = Number((await inHost(`find ${MOUNT_POINT} -type f | wc -l`)).trim());
    log(`mtafleet run: ${migrated.down.toFixed(2)} s not serving, ${migrated.stopped.toFixed(2)} s without a pmtad process, ${samples.runWall.at(-1).toFixed(1)} s wall`);

    const rb = await cli(['rollback', result.runId]);
    if (rb.code !== 0) throw new Error(`mtafleet rollback ${result.runId} failed (exit ${rb.code}): ${rb.stderr.slice(0, 800)}`);
    samples.rollback.push(rb.wallMs / 1000);
    log(`mtafleet rollback: ${samples.rollback.at(-1).toFixed(1)} s`);
  }
  const m = [
    measure(`mtafleet spool-migrate, ${count} queued files: time stopped`, 's', samples.mtafleetStopped),
    measure(`naive stop / cp -a / start, ${count} queued files: time stopped`, 's', samples.naiveStopped),
    measure('mtafleet: PowerMTA not serving (stopped, or recovering the spool at start)', 's', samples.mtafleet),
    measure('naive: PowerMTA not serving (stopped, or recovering the spool at start)', 's', samples.naive),
    measure('naive, timed by its own script (stop .. status answers)', 's', samples.naiveScript),
    measure('mtafleet run wall time (mkfs, pre-copy while running, final pass, verify, switch)', 's', samples.runWall),
    measure('mtafleet rollback wall time (carry back, not downtime-optimised)', 's', samples.rollback),
  ];
  return {
    status: 'ok',
    measures: m,
    comparisons: [
      compare('time stopped: mtafleet vs naive', m[0].median, m[1].median, TARGET),
      compare('time not serving (incl. the restart both pay): mtafleet vs naive', m[2].median, m[3].median, TARGET),
    ],
    figures,
    cache: size === 'full' ? 'cold (caches dropped before each side)' : 'warm',
    notes: [
      'both sides are timed by the same 20 ms poller inside the host: stopped = no pmtad process in the host; not serving = also while the new pmtad recovers the spool, until its control socket accepts',
      'the restart (stop, and the simulator reading every queued file at start) is paid by both sides alike; mtafleet only shortens the copy and verification inside it',
    ],
  };
}
