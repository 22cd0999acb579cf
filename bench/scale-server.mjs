#!/usr/bin/env node
/**
 * The `scale` benchmark's simulated fleet: ONE process, one ssh2 Server per loopback address
 * (127.77.x.y), one host key, public-key auth for one client key, and every exec request
 * answered with a recorded real probe-batch output (bench/fixtures/probe-batch-*.json, picked
 * per host so the fleet mixes scenarios).
 *
 *   node bench/scale-server.mjs CONFIG.json
 *   CONFIG: { hostKey, clientPub, port, addresses: [...], fixtures: [...] }
 * Prints "ready" once every address listens. On stdin, "stats" prints one JSON line
 * {cpuMs, rssMb, sessions, execs, nofile}; "quit" (or stdin closing) exits. It needs one file
 * descriptor per address plus one per open connection: bench/scale.mjs raises its limit.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import ssh2 from 'ssh2';
import { openFilesLimit } from './lib/proc.mjs';

const { Server, utils } = ssh2;
const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const hostKey = readFileSync(config.hostKey);
const allowed = utils.parseKey(readFileSync(config.clientPub, 'utf8'));
if (allowed instanceof Error) throw allowed;
const fixtures = config.fixtures.map((f) => JSON.parse(readFileSync(f, 'utf8')));
const limit = openFilesLimit();
const stats = { sessions: 0, execs: 0, authFailures: 0, nofile: `${limit.soft}/${limit.hard}` };

function authenticate(ctx) {
  const ok = ctx.method === 'publickey' && ctx.key.algo === allowed.type && Buffer.compare(ctx.key.data, allowed.getPublicSSH()) === 0;
  if (!ok) {
    stats.authFailures += ctx.method === 'none' ? 0 : 1;
    return ctx.reject(['publickey']);
  }
  if (!ctx.signature) return ctx.accept(); // the client asks whether this key would do
  return allowed.verify(ctx.blob, ctx.signature, ctx.hashAlgo) ? ctx.accept() : ctx.reject(['publickey']);
}

function serve(fixture) {
  return (client) => {
    stats.sessions++;
    client.on('error', () => {});
    client.on('authentication', authenticate);
    client.on('ready', () => {
      client.on('session', (accept) => {
        const session = accept();
        session.on('exec', (acceptExec) => {
          stats.execs++;
          const stream = acceptExec();
          stream.write(fixture.stdout);
          if (fixture.stderr) stream.stderr.write(fixture.stderr);
          stream.exit(fixture.exitCode ?? 0);
          stream.end();
        });
      });
    });
  };
}

const servers = [];
await Promise.all(
  config.addresses.map(
    (address, i) =>
      new Promise((resolve, reject) => {
        const server = new Server({ hostKeys: [hostKey] }, serve(fixtures[i % fixtures.length]));
        server.once('error', reject);
        server.listen(config.port, address, () => resolve());
        servers.push(server);
      }),
  ),
);
process.stdout.write('ready\n');

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  if (line.trim() === 'stats') {
    const cpu = process.cpuUsage();
    process.stdout.write(JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000, rssMb: process.memoryUsage().rss / 2 ** 20, ...stats }) + '\n');
  } else if (line.trim() === 'quit') {
    process.exit(0);
  }
});
rl.on('close', () => process.exit(0));
