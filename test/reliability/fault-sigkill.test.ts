/**
 * Fault injection, the runner killed: `mtafleet run` of a sysctl + pmta-config change is
 * killed with SIGKILL once its journal holds N records (N and an extra delay drawn from a
 * seeded PRNG, so every action boundary and the inside of actions get hit), then
 * `mtafleet rollback RUN_ID` must bring the host back to its observed starting state exactly
 * and free the host's lock.
 *
 * Seeds: MTAF_FAULT_SEEDS (default 30, the full set of issue 8, about 2 s each on a 2-core CI box;
 * fewer for a quick run). MTAF_FAULT_SEED_BASE shifts the seeds, so a
 * failing seed can be replayed alone: MTAF_FAULT_SEEDS=1 MTAF_FAULT_SEED_BASE=<seed>.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { startLab, type LabHandle } from '../helpers/lab.js';
import { FIXTURES, journalLines, newestRunId, prng, runJsonOf, sleep, snapshot, waitFor, workspace, type Workspace } from './fault-support.js';

const TUNE = join(FIXTURES, 'fault-tune.yaml');
const HOST = 'mta01';
const SEEDS = Number(process.env.MTAF_FAULT_SEEDS ?? 30);
const SEED_BASE = Number(process.env.MTAF_FAULT_SEED_BASE ?? 1);

let lab: LabHandle;
let ws: Workspace;
let start: string;
let applied: string;
let fullJournal: number;

beforeAll(async () => {
  ws = workspace('kill');
  lab = await startLab({ name: 'f2', hosts: 1, scenarios: ['healthy'] });
  start = await snapshot(lab, HOST);
  // A reference run: how many journal records a complete run writes, and the applied state.
  const run = await ws.cli(['run', TUNE, '-i', lab.inventoryFile, '--format', 'json']);
  if (run.code !== 0) throw new Error(`reference run failed (exit ${run.code}): ${run.stderr}${run.stdout}`);
  const runId = runJsonOf(run).runId;
  fullJournal = journalLines(ws.stateDir, runId).length;
  applied = await snapshot(lab, HOST);
  const back = await ws.cli(['rollback', runId]);
  const after = await snapshot(lab, HOST);
  if (back.code !== 0 || after !== start) throw new Error(`reference rollback failed: ${back.stdout}${back.stderr}\nstart:\n${start}\nafter:\n${after}`);
}, 180_000);

afterAll(async () => {
  try {
    await lab?.down();
  } finally {
    ws?.cleanup();
  }
});

describe(`runner killed with SIGKILL at a random action (${SEEDS} seeds from ${SEED_BASE})`, () => {
  it('the reference run journals several changes and the applied state differs from the start', () => {
    expect(fullJournal).toBeGreaterThanOrEqual(8);
    expect(applied).not.toBe(start);
  });

  const seeds = Array.from({ length: SEEDS }, (_, i) => SEED_BASE + i);
  it.each(seeds)('seed %i: kill, then `mtafleet rollback RUN_ID` restores the starting state exactly', async (seed) => {
    const random = prng(seed);
    const killAt = 1 + Math.floor(random() * fullJournal);
    const extraDelayMs = Math.floor(random() * 120);
    const before = newestRunId(ws.stateDir);
    const { child, done } = ws.start(['run', TUNE, '-i', lab.inventoryFile, '--format', 'json']);
    let runId: string | undefined;
    const reached = await waitFor(() => {
      const id = newestRunId(ws.stateDir);
      if (id && id !== before) runId = id;
      return runId !== undefined && journalLines(ws.stateDir, runId).length >= killAt;
    }, 60_000);
    await sleep(extraDelayMs);
    child.kill('SIGKILL');
    const ended = await done;
    const where = `seed ${seed}: killed at journal record ${killAt}/${fullJournal} + ${extraDelayMs} ms (exit ${ended.code})`;
    expect(reached, where).toBe(true);
    expect(runId, where).toBeDefined();
    // Whatever the runner left, it is the start, the applied state, or something only the
    // journal can undo — never something the rollback leaves behind.
    const back = await ws.cli(['rollback', runId!, '--format', 'json']);
    expect(back.code, `${where}: ${back.stdout}${back.stderr}`).toBe(0);
    expect(await snapshot(lab, HOST), where).toBe(start);
    const lock = await lab.run(HOST, 'ls -d /var/lib/mtafleet/run.lock 2>/dev/null || echo free');
    expect(lock.stdout.trim(), `${where}: the rollback must release the killed run's lock`).toBe('free');
  });

  it('after all the kills a fresh run still converges and rolls back cleanly', async () => {
    const run = await ws.cli(['run', TUNE, '-i', lab.inventoryFile, '--format', 'json']);
    expect(run.code, run.stderr).toBe(0);
    expect(await snapshot(lab, HOST)).toBe(applied);
    const back = await ws.cli(['rollback', runJsonOf(run).runId]);
    expect(back.code, back.stderr).toBe(0);
    expect(await snapshot(lab, HOST)).toBe(start);
  });
});
