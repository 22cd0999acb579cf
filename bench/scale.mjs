/**
 * scale: the runner itself at 100 / 500 / 1000 / 2000 / 5000 / 10000 hosts (tiny: 20). One child process
 * (bench/scale-server.mjs) serves every host on its own loopback address with recorded real
 * probe-batch outputs; the real `mtafleet audit --format json --forks 50` runs against a
 * generated inventory and known_hosts, under GNU time (wall, CPU, peak RSS of the runner).
 * A missed target triggers one extra run under `node --cpu-prof`, whose top functions are
 * written into the result.
 */
import { spawn } from 'node:child_process';
import { closeSync, copyFileSync, openSync, readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { topFunctions } from './lib/cpuprofile.mjs';
import { freePort, keygen } from './lib/keys.mjs';
import { benchRoot, mtafleetArgs } from './lib/paths.mjs';
import { fixtureFiles, staleFixturesNote } from './lib/fixtures.mjs';
import { ensureDebianPackage, openFilesLimit, run, tempDir, timed } from './lib/proc.mjs';
import { compare, limit, measure } from './lib/stats.mjs';

const SIZES = { tiny: [20], full: [100, 500, 1000, 2000, 5000, 10000] };
// mtafleet's --forks default (src/cli/common.ts), chosen from this benchmark's forks sweep
// (MTAF_BENCH_SCALE_FORKS=20,50,100 runs every size at each of them).
const FORKS = 50;
/** Issue 7: 1000 hosts and 2000 vs 1000; issue 17: 10,000 hosts and 10,000 vs 5,000. */
const TARGETS = [
  { hosts: 1000, wallS: 15, cpuMsPerHost: 10, rssMb: 300, growth: { from: 1000, to: 2000, max: 2.2 } },
  { hosts: 10000, wallS: 60, cpuMsPerHost: 5, rssMb: 1024, growth: { from: 5000, to: 10000, max: 2.1 } },
];

export function loopbackAddress(i) {
  return `127.77.${Math.floor(i / 250)}.${1 + (i % 250)}`;
}

export default async function scale({ size, runs, log }) {
  const notes = [];
  const n = ensureDebianPackage('time', '/usr/bin/time', log);
  if (n) notes.push(n);
  // MTAF_BENCH_SCALE_SIZES=100,300 overrides the host counts (for trying the harness out).
  const sizes = process.env.MTAF_BENCH_SCALE_SIZES ? process.env.MTAF_BENCH_SCALE_SIZES.split(',').map(Number) : SIZES[size];
  // MTAF_BENCH_SCALE_FORKS=20,50,100 measures every size at each forks value (the sweep the
  // --forks default was chosen from); the targets are checked at the first value.
  const forksList = process.env.MTAF_BENCH_SCALE_FORKS ? process.env.MTAF_BENCH_SCALE_FORKS.split(',').map(Number) : [FORKS];
  const fixtures = fixtureFiles();
  if (fixtures.length === 0) return { status: 'not-runnable', reason: 'no recorded probe batches in bench/fixtures (run node bench/capture-fixtures.mjs)' };
  const stale = await staleFixturesNote(fixtures);
  if (stale) notes.push(stale);
  const dir = tempDir('scale');
  let server;
  try {
    const hostPub = keygen(join(dir, 'host_key'));
    keygen(join(dir, 'client_key'));
    const addresses = Array.from({ length: Math.max(...sizes) }, (_, i) => loopbackAddress(i));
    const port = await freePort(addresses[0]);
    writeFileSync(join(dir, 'server.json'), JSON.stringify({ hostKey: join(dir, 'host_key'), clientPub: join(dir, 'client_key.pub'), port, addresses, fixtures }));
    log(`starting the simulated fleet: ${addresses.length} addresses, port ${port}, ${fixtures.length} recorded batches`);
    server = await startServer(join(dir, 'server.json'), addresses.length + 2 * Math.max(...forksList) + 100);
    server.nofile = (await server.stats()).nofile;

    // The runner's fixed cost: process start and module loading (every command loads them all).
    const startup = [];
    for (let i = 0; i < runs; i++) startup.push((await timed(process.execPath, [...mtafleetArgs, '--version'])).cpuMs);
    const startupCpu = measure('runner start-up CPU (mtafleet --version)', 'ms', startup);
    const measures = [startupCpu];
    const bySweep = {};
    for (const forks of forksList) {
      const tag = forksList.length > 1 ? `forks ${forks}, ` : '';
      const perSize = (bySweep[forks] = {});
      for (const count of sizes) {
        const inv = writeFleet(dir, addresses.slice(0, count), port, hostPub);
        const s = { wall: [], cpuPerHost: [], rss: [], serverCpuPerHost: [] };
        for (let i = 0; i < runs; i++) {
          const before = await server.stats();
          const out = join(dir, 'audit.json');
          const fd = openSync(out, 'w');
          let r;
          try {
            r = await timed(process.execPath, [...mtafleetArgs, 'audit', '-i', inv, '--format', 'json', '--forks', String(forks), '--no-incremental'], { timeoutMs: 900_000, stdoutFd: fd });
          } finally {
            closeSync(fd);
          }
          const after = await server.stats();
          checkAudit({ ...r, stdout: readFileSync(out, 'utf8') }, count);
          rmSync(out);
          s.wall.push(r.wallMs / 1000);
          s.cpuPerHost.push(r.cpuMs / count);
          s.rss.push(r.maxRssMb);
          s.serverCpuPerHost.push((after.cpuMs - before.cpuMs) / count);
          log(`${tag}${count} hosts run ${i + 1}: ${(r.wallMs / 1000).toFixed(2)} s, runner ${(r.cpuMs / count).toFixed(2)} ms CPU/host, ${r.maxRssMb.toFixed(0)} MB, server ${((after.cpuMs - before.cpuMs) / count).toFixed(2)} ms CPU/host`);
        }
        perSize[count] = {
          wall: measure(`${tag}${count} hosts: wall`, 's', s.wall),
          cpu: measure(`${tag}${count} hosts: runner CPU per host`, 'ms', s.cpuPerHost),
          rss: measure(`${tag}${count} hosts: runner peak RSS`, 'MB', s.rss),
          server: measure(`${tag}${count} hosts: server CPU per host`, 'ms', s.serverCpuPerHost),
        };
        measures.push(...Object.values(perSize[count]));
      }
    }
    const perSize = bySweep[forksList[0]];

    const comparisons = [];
    for (const t of TARGETS) {
      const at = perSize[t.hosts];
      if (!at) continue;
      comparisons.push(limit(`${t.hosts} hosts wall (s) vs ${t.wallS} s`, at.wall.median, t.wallS, 's'));
      comparisons.push(limit(`${t.hosts} hosts runner CPU per host (ms) vs ${t.cpuMsPerHost} ms`, at.cpu.median, t.cpuMsPerHost, 'ms'));
      comparisons.push(limit(`${t.hosts} hosts runner peak RSS (MB) vs ${t.rssMb} MB`, at.rss.median, t.rssMb, 'MB'));
      const { from, to, max } = t.growth;
      if (perSize[from] && perSize[to]) {
        for (const k of ['wall', 'rss']) comparisons.push(compare(`${to} vs ${from} hosts: ${k}`, perSize[to][k].median, perSize[from][k].median, max));
        comparisons.push(compare(`${to} vs ${from} hosts: runner CPU (total)`, perSize[to].cpu.median * to, perSize[from].cpu.median * from, max));
      }
    }
    if (comparisons.length === 0) {
      // A tiny run: the absolute CPU and RSS targets on what was measured, where start-up dominates.
      const biggest = Math.max(...sizes);
      comparisons.push(limit(`${biggest} hosts runner CPU per host (ms) vs ${TARGETS[0].cpuMsPerHost} ms`, perSize[biggest].cpu.median, TARGETS[0].cpuMsPerHost, 'ms'));
      comparisons.push(limit(`${biggest} hosts runner peak RSS (MB) vs ${TARGETS[0].rssMb} MB`, perSize[biggest].rss.median, TARGETS[0].rssMb, 'MB'));
      notes.push(`size ${size}: the CPU and RSS targets are checked on ${biggest} hosts only, where start-up dominates CPU per host; wall and growth need --size full (MTAF_BENCH_PROFILE=1 profiles a tiny run)`);
    }

    const figures = { 'recorded probe batches (bench/fixtures)': fixtures.length, forks: forksList.join(', '), 'open files limit (soft/hard) of the simulated fleet': server.nofile };
    for (const count of sizes) figures[`${count} hosts: runner CPU per host without start-up (ms)`] = (perSize[count].cpu.median * count - startupCpu.median) / count;
    if (size === 'full' ? comparisons.some((c) => c.pass === false) : process.env.MTAF_BENCH_PROFILE === '1') {
      const biggest = Math.max(...sizes);
      log(`a target was missed: profiling one run of ${biggest} hosts with node --cpu-prof`);
      figures['cpu profile, top self time (one run)'] = await profile(dir, writeFleet(dir, addresses.slice(0, biggest), port, hostPub), forksList[0]);
    }
    return { status: 'ok', serverPid: server.pid, measures, comparisons, figures, notes };
  } finally {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Inventory (YAML, Ansible shape) and known_hosts for the first `addresses`. */
function writeFleet(dir, addresses, port, hostPub) {
  const kh = join(dir, `known_hosts-${addresses.length}`);
  writeFileSync(kh, addresses.map((a) => `[${a}]:${port} ${hostPub}`).join('\n') + '\n');
  const inv = join(dir, `inventory-${addresses.length}.yaml`);
  const lines = ['all:', '  children:', '    mta:', '      hosts:'];
  addresses.forEach((a, i) => {
    lines.push(`        sim${String(i + 1).padStart(4, '0')}:`);
    lines.push(`          ansible_host: ${a}`, `          ansible_port: ${port}`, '          ansible_user: root');
    lines.push(`          ansible_ssh_private_key_file: ${join(dir, 'client_key')}`, `          mtafleet_known_hosts: ${kh}`);
  });
  writeFileSync(inv, lines.join('\n') + '\n');
  return inv;
}

function checkAudit(r, count) {
  let report;
  try {
    report = JSON.parse(r.stdout);
  } catch {
    throw new Error(`mtafleet audit (${count} hosts) exited ${r.code} without JSON: ${r.stderr.slice(0, 600)}`);
  }
  const reachable = report.summary?.reachable ?? report.hosts.filter((h) => h.reachable).length;
  const probed = report.hosts.filter((h) => h.reachable && h.error === null).length;
  if (report.hosts.length !== count || reachable !== count || probed !== count) {
    const firstError = report.hosts.find((h) => h.error)?.error;
    throw new Error(`mtafleet audit of ${count} simulated hosts: ${reachable} reachable, ${probed} probed (exit ${r.code}); first error: ${firstError}`);
  }
}

async function profile(dir, inv, forks) {
  const profDir = join(dir, 'prof');
  // Unbundled, so the profile names mtafleet's functions and files, not the bundle's minified ones.
  await run(process.execPath, ['--cpu-prof', '--cpu-prof-dir', profDir, ...mtafleetArgs, 'audit', '-i', inv, '--format', 'json', '--forks', String(forks), '--no-incremental'], {
    timeoutMs: 900_000,
    stdoutFd: 'ignore',
    env: { ...process.env, MTAF_CLI_UNBUNDLED: '1' },
  });
  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  // MTAF_BENCH_PROFILE_OUT=FILE keeps the whole profile (for Chrome DevTools / speedscope).
  if (file && process.env.MTAF_BENCH_PROFILE_OUT) copyFileSync(join(profDir, file), process.env.MTAF_BENCH_PROFILE_OUT);
  return file ? topFunctions(join(profDir, file), 15) : 'no profile written';
}

/**
 * The server holds one listening socket per address: 10,000 hosts need more than the usual
 * 1024 (or 4096) open files. Node raises its soft limit to the hard one; when the hard limit
 * is too low, the server runs under prlimit with `files` (root may raise a hard limit).
 */
function startServer(configFile, files) {
  const args = [join(benchRoot, 'scale-server.mjs'), configFile];
  const raise = openFilesLimit().hard < files;
  const child = raise
    ? spawn('prlimit', [`--nofile=${files}:${files}`, process.execPath, ...args], { stdio: ['pipe', 'pipe', 'inherit'] })
    : spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const waiting = [];
  let ready;
  const isReady = new Promise((resolve, reject) => {
    ready = resolve;
    child.once('exit', (code) => reject(new Error(`scale server exited (${code}) before it was ready`)));
    setTimeout(() => reject(new Error('scale server not ready after 120 s')), 120_000).unref();
  });
  lines.on('line', (line) => {
    if (line === 'ready') ready();
    else waiting.shift()?.(JSON.parse(line));
  });
  const handle = {
    stats: () => new Promise((resolve) => {
      waiting.push(resolve);
      child.stdin.write('stats\n');
    }),
    pid: child.pid,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
  return isReady.then(() => handle, async (err) => {
    await handle.stop();
    throw err;
  });
}
