/**
 * Load: a fleet run where 10 % of the hosts fail (one command exits 1, one hangs past its
 * timeout) and 10 % are unreachable (a closed port on 127.0.0.1, an unassigned lab address).
 * Issue 8 asks for 50 hosts; 45 lab hosts (sshd + simulator each) do not fit the suite's time
 * budget on a 2-core box shared with other suites, so by default the fleet is scaled to 20
 * inventory hosts (18 lab hosts + 2 unreachable entries) with the same percentages;
 * MTAF_LOAD_HOSTS=50 runs the full size (a multiple of 10). The other hosts must complete, the summary
 * and exit code (2|4 = 6) be exact, and max_fail_percentage stop the run before the next batch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { startLab, type LabHandle } from '../helpers/lab.js';
import { FIXTURES, runJsonOf, workspace, type Workspace } from './fault-support.js';

const TOTAL = Number(process.env.MTAF_LOAD_HOSTS ?? 20);
const TENTH = Math.round(TOTAL / 10);
const LAB_HOSTS = TOTAL - TENTH;
const pad = (n: number) => String(n).padStart(2, '0');
/** Failing hosts: mta07, mta12, mta17, ... (the first in the second batch of 5), alternately exiting 1 and hanging. */
const FAILING = Array.from({ length: TENTH }, (_, k) => ({ name: `mta${pad(7 + 5 * k)}`, how: k % 2 === 0 ? 'exit' : 'hang' }));
const UNREACHABLE = Array.from({ length: TENTH }, (_, k) => `gone${pad(k + 1)}`);
const isFailing = (name: string) => FAILING.some((f) => f.name === name);

let lab: LabHandle;
let ws: Workspace;
let inventory: string;

/** A port on 127.0.0.1 nothing listens on (bound, then released). */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function somaxconn(host: string): Promise<string> {
  return (await lab.run(host, 'sysctl -n net.core.somaxconn')).stdout.trim();
}

beforeAll(async () => {
  ws = workspace('load');
  lab = await startLab({ name: 'f4', hosts: LAB_HOSTS, scenarios: ['healthy'], usedDevices: 'none' });
  type Doc = { all: { children: { mta: { hosts: Record<string, Record<string, unknown>> } } } };
  const doc = parse(readFileSync(lab.inventoryFile, 'utf8')) as Doc;
  const hosts = doc.all.children.mta.hosts;
  for (const f of FAILING) hosts[f.name].fail_here = f.how;
  const template = hosts.mta01;
  const subnet = String(template.ansible_host).split('.').slice(0, 3).join('.');
  // Half refuse the connection (a closed port), half never answer (an address nobody holds).
  for (const [k, u] of UNREACHABLE.entries()) {
    hosts[u] = k % 2 === 0 ? { ...template, ansible_host: '127.0.0.1', ansible_port: await closedPort() } : { ...template, ansible_host: `${subnet}.${250 - k}` };
  }
  inventory = join(ws.dir, 'inventory.yaml');
  writeFileSync(inventory, stringify(doc, { nullStr: '' }));
}, 180_000);

afterAll(async () => {
  try {
    await lab?.down();
  } finally {
    ws?.cleanup();
  }
});

describe(`a ${TOTAL}-host run: ${TENTH} failing, ${TENTH} unreachable`, () => {
  it(`the other ${TOTAL - 2 * TENTH} hosts complete; summary exact; exit 6`, async () => {
    const r = await ws.cli(['run', join(FIXTURES, 'load.yaml'), '-i', inventory, '--forks', '10', '--format', 'json'], 150_000);
    expect(r.code, r.stderr).toBe(6);
    const run = runJsonOf(r);
    expect(run.summary).toEqual({ ok: 0, changed: TOTAL - 2 * TENTH, failed: TENTH, unreachable: TENTH, refused: 0 });
    const byName = Object.fromEntries(run.hosts.map((h) => [h.name, h]));
    for (const f of FAILING) {
      expect(byName[f.name], f.name).toMatchObject({ status: 'failed' });
      expect(byName[f.name].error, f.name).toMatch(f.how === 'exit' ? /failing on purpose/ : /timed out|timeout/i);
    }
    for (const u of UNREACHABLE) expect(byName[u]).toMatchObject({ status: 'unreachable', changes: 0 });
    expect(run.notRun ?? []).toEqual([]);
    // The completed hosts really changed; the failed ones were rolled back automatically.
    for (const h of lab.hosts) {
      const expected = isFailing(h.name) ? '4096' : '8192';
      expect(await somaxconn(h.name), h.name).toBe(expected);
    }
    const back = await ws.cli(['rollback', run.runId, '-i', inventory, '--forks', '10'], 150_000);
    expect(back.code, back.stdout + back.stderr).toBe(0);
    for (const h of lab.hosts) expect(await somaxconn(h.name), h.name).toBe('4096');
  });

  it('max_fail_percentage 15 with batches of 5: a failure in batch 2 stops the run, later batches are listed as not run', async () => {
    const r = await ws.cli(['run', join(FIXTURES, 'load-batched.yaml'), '-i', inventory, '--forks', '5', '--format', 'json'], 150_000);
    expect(r.code, r.stderr).toBe(2);
    const run = runJsonOf(r);
    expect(run.summary).toEqual({ ok: 0, changed: 9, failed: 1, unreachable: 0, refused: 0 });
    expect(run.hosts.filter((h) => h.status === 'failed').map((h) => h.name)).toEqual([FAILING[0].name]);
    const expectedNotRun = [...lab.hosts.slice(10).map((h) => h.name), ...UNREACHABLE];
    expect([...(run.notRun ?? [])].sort()).toEqual(expectedNotRun.sort());
    expect(run.stopped).toMatch(/max_fail_percentage|fail/i);
    for (const h of lab.hosts.slice(10)) expect(await somaxconn(h.name), `${h.name} is in a batch that must not run`).toBe('4096');
    const back = await ws.cli(['rollback', run.runId, '-i', inventory], 150_000);
    expect(back.code, back.stdout + back.stderr).toBe(0);
  });
});
