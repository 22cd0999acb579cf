/**
 * Fault injection during a spool migration (issue 8), on a one-host lab holding 1500 queued
 * messages (hold.test keeps them queued) while mail keeps arriving: mkfs fails, mount fails,
 * PowerMTA fails to start on the new spool, the SSH link is cut mid-copy, the runner is
 * SIGKILLed mid-copy, and the copy hits a full disk. For every case: the exit code and JSON
 * status the engine defines, the host back in its observed starting state (config, fstab,
 * mounts, device without a filesystem signature, service running) — or fully applied before
 * the rollback — and every held message that existed or arrived present and byte-identical
 * (manifests taken by the test). Whatever could not be restored must be named with a command.
 *
 * Seeds of the SIGKILL case: MTAF_SPOOL_KILL_SEEDS (default 10, about 8 s each), MTAF_SPOOL_KILL_SEED_BASE.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type LabHandle } from '../helpers/lab.js';
import { labStateFile, prng, ROOT, runJsonOf, sleep, workspace, type CliResult, type Workspace } from './fault-support.js';
import {
  at,
  heldManifest,
  installWrappers,
  journalRecords,
  leftoverCopies,
  lineCount,
  missingFrom,
  MOUNT_FAILS,
  MP,
  removeWrappers,
  runWithHooks,
  sh,
  SLOW_HASH,
  SPOOL,
  spoolSnapshot,
  whilePaused,
  type Hook,
} from './spool-fault-support.js';

const HOST = 'mta01';
const HELD = 1500;
const ARRIVING = 30;
const PLAYBOOK = join(ROOT, 'playbooks/spool-migrate-nvme.yaml');
const SEEDS = Number(process.env.MTAF_SPOOL_KILL_SEEDS ?? 10);
const SEED_BASE = Number(process.env.MTAF_SPOOL_KILL_SEED_BASE ?? 1);

let lab: LabHandle;
let ws: Workspace;
let device: string;
/** A small disk of our own for the full-disk case (backing file in the workspace). */
let smallDevice = '';
let start: string;
/** Every held message the host must keep: grows with the mail that arrives during the runs. */
let held = '';

const run = (text: string) => sh(lab, HOST, text);
const json = ['--format', 'json'];
const migrate = (vars: string[] = []) => ['run', PLAYBOOK, '-i', lab.inventoryFile, '-e', `device=${device}`, '-e', `mountpoint=${MP}`, ...vars, ...json];

beforeAll(async () => {
  ws = workspace('spool');
  lab = await startLab({ name: 'sf1', hosts: 1, scenarios: ['healthy'], usedDevices: 'none' });
  device = lab.hosts[0].nvmeDevice;
  await installWrappers(lab, HOST, ws.dir);
  await run(`pmta inject ${HELD} --domain hold.test`);
  held = await heldManifest(lab, HOST, SPOOL);
  if (lineCount(held) < HELD) throw new Error(`only ${lineCount(held)} held messages in ${SPOOL}`);
  start = await spoolSnapshot(lab, HOST, device);
}, 300_000);

afterAll(async () => {
  try {
    if (lab) {
      await lab.run(HOST, `chattr -i ${MP} 2>/dev/null; umount ${MP} 2>/dev/null; true`);
      await removeWrappers(lab, HOST);
    }
    if (device) spawnSync('blockdev', ['--setrw', device]);
    if (smallDevice) spawnSync('losetup', ['--detach', smallDevice]);
  } finally {
    try {
      await lab?.down();
    } finally {
      ws?.cleanup();
    }
  }
}, 120_000);

/** Mail arriving during the run: with the runner paused, inject, then take the manifest again. */
const arrive: Hook['act'] = (child) =>
  whilePaused(child, async () => {
    await run(`pmta inject ${ARRIVING} --domain hold.test`);
    held = await heldManifest(lab, HOST, SPOOL);
  });

/** The host is exactly as observed at the start, PowerMTA answers, and no held message is lost. */
async function expectStart(where: string): Promise<void> {
  expect(await spoolSnapshot(lab, HOST, device), where).toBe(start);
  expect((await lab.run(HOST, 'pmta show status')).exitCode, `${where}: PowerMTA answers`).toBe(0);
  expect(await missingFrom(lab, HOST, SPOOL, held, ws.dir), `${where}: held messages missing or changed in ${SPOOL}`).toBe('');
  expect(await leftoverCopies(lab, HOST), `${where}: copy processes left running`).toBe('');
}

/** The migration is fully applied: config, mount with noatime, service, every held message on the new spool. */
async function expectApplied(where: string): Promise<void> {
  expect(await run(`grep -E '^<spool ' /etc/pmta/config`), where).toBe(`<spool ${MP}>\n`);
  expect(await run(`findmnt -n -o SOURCE,OPTIONS ${MP}`), where).toMatch(new RegExp(`^${device}\\s+\\S*noatime`));
  expect((await run('systemctl is-active pmta')).trim(), where).toBe('active');
  expect(await missingFrom(lab, HOST, MP, held, ws.dir), `${where}: held messages missing or changed in ${MP}`).toBe('');
}

/** A failed host: exit 2, status failed, `why` in the error, the automatic rollback complete (nothing to name). */
function expectFailedCleanly(r: CliResult, why: RegExp): string {
  expect(r.code, r.stdout + r.stderr).toBe(2);
  const result = runJsonOf(r);
  expect(result.hosts).toEqual([expect.objectContaining({ name: HOST, status: 'failed' })]);
  expect(result.hosts[0].error).toMatch(why);
  expect(result.hosts[0].error).not.toMatch(/could not undo/);
  expect(result.summary).toMatchObject({ failed: 1, changed: 0, ok: 0 });
  return result.runId;
}

/** `mtafleet rollback` after an automatic one has nothing left to undo, and changes nothing. */
async function expectNothingLeft(runId: string): Promise<void> {
  const back = await ws.cli(['rollback', runId, ...json]);
  expect(back.code, back.stdout + back.stderr).toBe(0);
  for (const h of runJsonOf(back).hosts) expect(h).toMatchObject({ status: 'ok', changes: 0 });
  expect(await spoolSnapshot(lab, HOST, device)).toBe(start);
}

describe('spool-migrate: a command fails', () => {
  it('mkfs fails (the device is read-only): exit 2, nothing left behind, mail intact', async () => {
    execFileSync('blockdev', ['--setro', device]);
    let r;
    try {
      ({ result: r } = await runWithHooks(ws, migrate(), [{ when: at('intent', 0), act: arrive }]));
    } finally {
      execFileSync('blockdev', ['--setrw', device]);
    }
    const runId = expectFailedCleanly(r, /mkfs\.xfs/);
    expect(journalRecords(ws, runId).filter((x) => x.type === 'intent').map((x) => x.changeId)).toEqual([expect.stringMatching(/-c0$/)]);
    await expectStart('after mkfs failed');
    await expectNothingLeft(runId);
  });

  it('mount fails: exit 2, fstab and mountpoint restored, the new filesystem wiped, mail intact', async () => {
    await run(`touch ${MOUNT_FAILS}`);
    let r;
    try {
      ({ result: r } = await runWithHooks(ws, migrate(), [{ when: at('intent', 0), act: arrive }]));
    } finally {
      await run(`rm -f ${MOUNT_FAILS}`);
    }
    const runId = expectFailedCleanly(r, /mount/);
    expect(runJsonOf(r).hosts[0].error).toMatch(/can't read superblock/);
    const types = journalRecords(ws, runId).map((x) => `${x.type} ${x.changeId.slice(-2)}`);
    // mkfs happened and was undone (wipe), the failed mount was undone too.
    expect(types).toEqual(expect.arrayContaining(['done c0', 'failed c1', 'undone c1', 'undone c0']));
    await expectStart('after mount failed');
    await expectNothingLeft(runId);
  });

  it('PowerMTA fails to start on the new spool (unwritable): exit 2 within seconds, mail carried back, PowerMTA runs on the old spool', async () => {
    // The simulator really refuses an unwritable spool (it writes a probe file at start).
    const { result: r, reached } = await runWithHooks(ws, migrate(), [
      { when: at('intent', 2), act: arrive },
      // Right after the verified copy, before the switch: the new spool's root becomes immutable.
      { when: at('done', 3), act: (child) => whilePaused(child, () => run(`chattr +i ${MP}`).then(() => undefined)) },
    ]);
    expect(reached, r.stdout + r.stderr).toBe(2);
    const runId = expectFailedCleanly(r, /pmta failed to start: no pmtad process/);
    const log = await run('tail -n 50 /var/log/pmta/pmta.log');
    expect(log).toMatch(new RegExp(`spool directory ${MP} is not writable`));
    await expectStart('after PowerMTA failed to start on the new spool');
    await expectNothingLeft(runId);
  }, 240_000);
});

function veth(): string {
  const h = labStateFile(lab).hosts.find((x) => x.name === HOST);
  if (!h) throw new Error(`no ${HOST} in the lab state`);
  return h.veth;
}

describe('spool-migrate: the SSH link is cut mid-copy, then restored', () => {
  it.each([
    ['the pre-copy (PowerMTA running)', 2],
    ['the final pass (PowerMTA stopped)', 3],
  ] as const)('cut for 4 s during %s: the run completes or fails cleanly; `mtafleet rollback` restores the start', async (_label, change) => {
    const cut: Hook = {
      when: at('intent', change),
      act: async () => {
        execFileSync('ip', ['link', 'set', veth(), 'down']);
        try {
          await sleep(4000);
        } finally {
          execFileSync('ip', ['link', 'set', veth(), 'up']);
        }
      },
    };
    const { result: r, runId, reached } = await runWithHooks(ws, migrate(), [{ when: at('intent', 2), act: arrive }, cut]);
    expect(reached, r.stdout + r.stderr).toBe(2);
    const outcome = runJsonOf(r).hosts[0];
    if (outcome.status === 'changed') {
      expect(r.code).toBe(0);
      await expectApplied('after the cut, the run completed');
    } else {
      // A failure must have been rolled back, or say what to restore and how.
      expect(outcome.status, r.stdout + r.stderr).toMatch(/failed|unreachable/);
      if (/could not undo/.test(outcome.error ?? '')) expect(outcome.error).toContain(`mtafleet rollback ${runId}`);
    }
    const back = await ws.cli(['rollback', runId, ...json]);
    expect(back.code, back.stdout + back.stderr).toBe(0);
    await expectStart(`after the cut during change c${change} and the rollback`);
  }, 240_000);
});

describe(`spool-migrate: the runner is SIGKILLed mid-copy (${SEEDS} seeds from ${SEED_BASE})`, () => {
  // Hashing in the new spool takes 5 s longer, as with a large spool: the copy the killed
  // runner started is still running on the host when the rollback comes.
  beforeAll(() => run(`touch ${SLOW_HASH}`));
  afterAll(() => lab.run(HOST, `rm -f ${SLOW_HASH}`));

  const seeds = Array.from({ length: SEEDS }, (_, i) => SEED_BASE + i);
  it.each(seeds)('seed %i: kill, then `mtafleet rollback RUN_ID` restores the start and keeps every message', async (seed) => {
    const random = prng(seed);
    // Odd seeds hit the pre-copy (PowerMTA running), even ones the stop + final pass.
    const change = seed % 2 === 1 ? 2 : 3;
    const delayMs = Math.floor(random() * (change === 2 ? 2500 : 1500));
    const where = `seed ${seed}: killed ${delayMs} ms after the intent of change c${change}`;
    const { result: r, runId, reached } = await runWithHooks(ws, migrate(), [
      { when: at('intent', 2), act: arrive },
      {
        when: at('intent', change),
        act: async (child) => {
          await sleep(delayMs);
          child.kill('SIGKILL');
        },
      },
    ]);
    expect(reached, `${where}: ${r.stdout}${r.stderr}`).toBe(2);
    expect(r.code, where).toBe(137);
    const back = await ws.cli(['rollback', runId, ...json]);
    expect(back.code, `${where}: ${back.stdout}${back.stderr}`).toBe(0);
    expect(runJsonOf(back).hosts[0].status, where).toBe('changed');
    await expectStart(where);
  }, 240_000);
});

describe('spool-migrate: the copy hits a full disk', () => {
  it('a device that passes the preflight (min_free_factor=1) but whose filesystem cannot hold the spool: exit 2 before PowerMTA is stopped, mail intact', async () => {
    // 300 MiB (XFS's minimum); its filesystem has ~230 MB free, the spool will use ~270 MB.
    const image = join(ws.dir, 'mtaf-sf-small.img');
    const fd = openSync(image, 'w', 0o600);
    ftruncateSync(fd, 300 * 1024 * 1024);
    closeSync(fd);
    smallDevice = execFileSync('losetup', ['--find', '--show', image], { encoding: 'utf8' }).trim();
    // Messages with attachments: 250 of 1 MiB, queued like the rest.
    await run('pmta inject 250 --domain hold.test --size 1048576');
    held = await heldManifest(lab, HOST, SPOOL);
    const spoolBytes = Number((await run(`du -sb ${SPOOL} | cut -f1`)).trim());
    expect(spoolBytes).toBeGreaterThan(240 * 1024 * 1024);
    expect(spoolBytes).toBeLessThan(300 * 1024 * 1024);
    const small = (text: string) => text.split(device).join(smallDevice);
    const startSmall = small(start);
    const pid = (await run('systemctl show -p MainPID --value pmta')).trim();

    const r = await ws.cli(['run', PLAYBOOK, '-i', lab.inventoryFile, '-e', `device=${smallDevice}`, '-e', `mountpoint=${MP}`, '-e', 'min_free_factor=1', ...json], 300_000);
    const runId = expectFailedCleanly(r, /No space left on device/);
    const types = journalRecords(ws, runId).map((x) => `${x.type} ${x.changeId.slice(-2)}`);
    expect(types).toEqual(expect.arrayContaining(['done c1', 'failed c2', 'undone c2', 'undone c1', 'undone c0']));
    // The pre-copy failed while PowerMTA ran: it was never stopped for a copy that could not fit.
    expect(types.some((t) => t.endsWith('c3'))).toBe(false);
    expect((await run('systemctl show -p MainPID --value pmta')).trim()).toBe(pid);
    expect(await spoolSnapshot(lab, HOST, smallDevice)).toBe(startSmall);
    expect(await missingFrom(lab, HOST, SPOOL, held, ws.dir), 'held messages missing or changed').toBe('');
    expect(await leftoverCopies(lab, HOST)).toBe('');
    // The lab's own spare disk was never touched.
    expect(await spoolSnapshot(lab, HOST, device)).toBe(start);
  }, 300_000);
});
