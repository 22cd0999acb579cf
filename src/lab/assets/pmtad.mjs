#!/usr/bin/env node
// pmtad: the PowerMTA simulator daemon. Started by the systemctl shim (detached, LimitNOFILE
// applied); talks to `pmta` over a unix socket and serves the HTTP management port.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hostPath, PATHS, shownPath } from './lib/paths.mjs';
import { loadConfig, ConfigError } from './lib/config.mjs';
import { loadWorld } from './lib/world.mjs';
import { isoTime } from './lib/acct.mjs';
import { historyHours } from './lib/history.mjs';
import { acctFiles, scheduleMoves } from './lib/acct-files.mjs';
import { Engine } from './lib/engine.mjs';
import { CpuBurner } from './lib/cpu.mjs';
import { scanSpool, readMessage } from './lib/spool.mjs';
import { serve } from './lib/control.mjs';
import { startHttp } from './lib/http.mjs';
import { makeCommands } from './lib/commands.mjs';
import { startInbound, seedBacklog } from './lib/inbound.mjs';

process.title = 'pmtad';
const TICK_MS = 500;

let logFd = null;
function log(line) {
  const text = `${isoTime(Date.now()).slice(0, 19)} ${line}\n`;
  try {
    if (logFd === null) logFd = fs.openSync(hostPath(PATHS.log), 'a');
    fs.writeSync(logFd, text);
  } catch {
    process.stderr.write(text);
  }
}

function fail(message) {
  log(message);
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

function hostAddress() {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

function checkSpool(dir) {
  const real = hostPath(dir);
  if (!fs.existsSync(real) || !fs.statSync(real).isDirectory()) fail(`Error: spool directory ${dir} does not exist; exiting`);
  const probe = path.join(real, `.pmtad-write-test-${process.pid}`);
  try {
    fs.writeFileSync(probe, 'x');
    fs.unlinkSync(probe);
  } catch (err) {
    fail(`Error: spool directory ${dir} is not writable (${err.code ?? err.message}); exiting`);
  }
}

async function main() {
  fs.mkdirSync(hostPath(PATHS.logDir), { recursive: true });
  let model;
  try {
    model = loadConfig(PATHS.config);
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  if (model.logFile && model.logFile !== PATHS.log) {
    fs.mkdirSync(path.dirname(hostPath(model.logFile)), { recursive: true });
    logFd = fs.openSync(hostPath(model.logFile), 'a');
  }
  checkSpool(model.spoolDir);
  const world = loadWorld();
  const hostName = model.hostName ?? os.hostname();
  const spoolDir = hostPath(model.spoolDir);
  const files = acctFiles(model, PATHS.acct, world.acctDatedNames === true);
  const accounting = {
    files,
    rotate: () => files.forEach((f) => f.rotate()),
  };
  const burner = new CpuBurner();
  const engine = new Engine({ log, acct: (t, line) => files.forEach((f) => f.write(t, line)), world, model, hostName, defaultSourceIp: hostAddress(), burner });
  // One history for all files (a delivery two files hold is the same delivery in both).
  const historyNow = Date.now();
  const allRecords = [...new Set(files.flatMap((f) => f.records))];
  const history = () => historyHours(world, engine.vmtas, { now: historyNow, hostName, records: allRecords, pool: engine.poolOf(engine.vmtas[0].name) });
  // Several files: the day is generated once and held (~6 MB) so that every file gets the same records.
  const shared = files.length > 1 ? [...history()] : null;
  for (const f of files) f.open(() => shared ?? history(), historyNow);
  scheduleMoves(files, (err) => log(`accounting: move failed: ${err.message}`));

  let recovered = 0;
  for (const file of scanSpool(spoolDir)) {
    const msg = readMessage(file);
    if (msg) {
      engine.add(msg, { inbound: false });
      recovered += 1;
    }
  }
  fs.mkdirSync(hostPath(PATHS.stateDir), { recursive: true });
  const startedAt = Date.now();
  const ctx = { engine, model, world, spoolDir, hostName, startedAt, log, accounting };

  const socketPath = hostPath(PATHS.socket);
  fs.rmSync(socketPath, { force: true });
  const commands = makeCommands(ctx);
  const control = serve(socketPath, commands);
  const http = startHttp(ctx, log);
  // Only the port-exhaustion world opens real MX sockets: load that code only there.
  const mx = world.mxSockets ? new (await import('./lib/mxsockets.mjs')).MxSockets(world.mxSockets, log, hostAddress()) : null;
  mx?.start();
  seedBacklog(ctx).catch((err) => log(`backlog: ${err.message}`));
  const inbound = await startInbound(ctx);

  let last = Date.now();
  const timer = setInterval(() => {
    const now = Date.now();
    try {
      engine.tick(now, now - last);
    } catch (err) {
      log(`scheduler: ${err.message}`);
    }
    last = now;
  }, TICK_MS);

  fs.writeFileSync(hostPath(PATHS.pidFile), `${process.pid}\n`);
  log(`PowerMTA v5.0r1 starting (pid ${process.pid}); config ${PATHS.config}; spool ${shownPath(spoolDir)}: ${recovered} messages recovered`);
  if (!control.listening) await new Promise((resolve) => control.once('listening', resolve));
  signalReady();

  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    log('Shutting down');
    clearInterval(timer);
    inbound.stop();
    mx?.stop();
    burner.stop();
    http?.close();
    control.close();
    engine.closeAll();
    // A real MTA takes a moment to flush; the shim's stop must wait for it.
    setTimeout(() => {
      fs.rmSync(hostPath(PATHS.pidFile), { force: true });
      fs.rmSync(socketPath, { force: true });
      log('Shutdown complete');
      process.exit(0);
    }, 400);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

/** Tells the systemctl shim (fd 3, a pipe, when it started us) that we are up; then lets go of it. */
function signalReady() {
  if (process.env.PMTAD_READY_FD !== '3') return;
  try {
    fs.writeSync(3, 'ready\n');
    fs.closeSync(3);
  } catch {
    /* the shim is gone: nobody waits */
  }
}

await main();
