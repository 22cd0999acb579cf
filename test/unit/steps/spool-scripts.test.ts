import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync, ftruncateSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sh } from '../../../src/transport/quote.js';
import { parseSpoolObservation, type SpoolMigrateState } from '../../../src/steps/spool/observe.js';
import { deviceRefusal } from '../../../src/steps/spool/preflight.js';
import { planSpoolMigrate } from '../../../src/steps/spool/plan.js';
import * as SCRIPTS from '../../../src/steps/spool/scripts.js';
import { CARRY_BACK, FINAL_SYNC_AND_VERIFY, OBSERVE_SPOOL_MIGRATE, PRECOPY, UMOUNT_IF_MOUNTED, WIPE_OUR_FILESYSTEM } from '../../../src/steps/spool/scripts.js';
import { treeManifest } from './tree-manifest.js';
import { firstExec } from './plan-fixtures.js';
import { runLocal } from './local-shell.js';

/**
 * The remote half of spool-migrate run for real, locally under `sh`: observation of a loop
 * device, the planned mkfs, copy + manifest verification, carry-back after "new mail", and
 * the guarded wipe. Needs root and losetup; everything lives under /tmp/mtaf-st-loop-* and is
 * detached/unmounted in afterAll.
 */
const canLoop = process.getuid?.() === 0 && spawnSync('losetup', ['--version']).status === 0 && spawnSync('mkfs.xfs', ['-V']).status === 0;
const run = (script: string, ...args: string[]) => sh`sh -c ${script} mtafleet-test ${args}`.text;

describe.skipIf(!canLoop)('spool-migrate remote scripts on a real loop device', () => {
  let dir = '';
  let device = '';
  let mp = '';
  let spool = '';
  let uuid = '';
  const bin = () => path.join(dir, 'bin');

  beforeAll(() => {
    dir = mkdtempSync('/tmp/mtaf-st-loop-');
    const image = path.join(dir, 'nvme.img');
    const fd = openSync(image, 'w', 0o600);
    ftruncateSync(fd, 320 * 1024 * 1024);
    closeSync(fd);
    device = execFileSync('losetup', ['--find', '--show', image], { encoding: 'utf8' }).trim();
    mp = path.join(dir, 'nvme');
    spool = path.join(dir, 'spool');
    mkdirSync(bin());
    // A systemctl stand-in: stop/start succeed, nothing runs (the process name never matches).
    writeFileSync(path.join(bin(), 'systemctl'), '#!/bin/sh\nexit 0\n');
    chmodSync(path.join(bin(), 'systemctl'), 0o755);
    for (let i = 0; i < 40; i += 1) {
      const sub = path.join(spool, (i % 4).toString(16).padStart(2, '0'));
      mkdirSync(sub, { recursive: true });
      writeFileSync(path.join(sub, `msg ${i}.msg`), `X-Sim-Rcpt: u${i}@example.com\r\n\r\n${'x'.repeat(i * 97)}`);
    }
    chownSync(path.join(spool, '00', 'msg 0.msg'), 65534, 65534);
    utimesSync(path.join(spool, '01', 'msg 1.msg'), new Date('2020-01-02T03:04:05Z'), new Date('2020-01-02T03:04:05Z'));
  }, 60_000);

  afterAll(() => {
    if (mp) spawnSync('umount', [mp]);
    if (device) spawnSync('losetup', ['--detach', device]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function observe(): SpoolMigrateState {
    const r = runLocal(run(OBSERVE_SPOOL_MIGRATE, device, spool, mp, 'mtaf-st-noproc', 'mtaf-st-pmta', path.join(dir, 'no.pid')));
    expect(r.exitCode, r.stderr).toBe(0);
    const parsed = parseSpoolObservation(r.stdout, device, spool, mp);
    return {
      ...parsed,
      fstab: '',
      'pmta config': { mainFile: '/etc/pmta/config', files: { '/etc/pmta/config': `<spool ${spool}>\n</spool>\n` }, expansions: {} },
      service: { 'init system': 'systemd', 'service state': 'active' },
    };
  }
  const params = () => ({ device, mountpoint: mp, mode: 'repoint' as const, service: 'mtaf-st-pmta', minFreeFactor: 2 });

  it('observes an empty loop device as safe, plans mkfs, and refuses it once it holds XFS (data untouched)', () => {
    const before = observe();
    expect(before.device).toMatchObject({ exists: true, isBlock: true, sizeBytes: 320 * 1024 * 1024, blkidExit: 2, wipefs: [] });
    expect(before.spool.files).toBe(40);
    expect(deviceRefusal(before, 2)).toBeNull();
    const plan = planSpoolMigrate(before, params());
    if (plan.kind !== 'changes') throw new Error(`changes expected: ${JSON.stringify(plan)}`);
    const mkfs = runLocal(firstExec(plan.changes[0].do)!);
    expect(mkfs.exitCode, mkfs.stderr).toBe(0);
    uuid = /uuid=(\S+)/.exec(firstExec(plan.changes[0].do)!)![1];
    const verify = plan.changes[0].verify![0];
    expect(runLocal(firstExec([verify])!).stdout).toMatch(new RegExp(verify.type === 'exec' ? verify.expectStdout! : 'x'));

    const after = observe();
    expect(after.device.blkid.TYPE).toBe('xfs');
    const refused = planSpoolMigrate(after, params());
    expect(refused.kind).toBe('refused');
    expect(refused.kind === 'refused' && refused.reason).toContain(`holds a filesystem (blkid TYPE=xfs, UUID=${uuid})`);
    // mkfs.xfs without -f refuses an existing filesystem too: the device keeps our UUID.
    expect(runLocal(`mkfs.xfs -q ${device}`).exitCode).not.toBe(0);
    expect(runLocal(`blkid -p -s UUID -o value ${device}`).stdout.trim()).toBe(uuid);
  }, 60_000);

  it('copies with owners and timestamps, verifies manifests, and carries new mail back on undo', () => {
    expect(uuid).not.toBe('');
    mkdirSync(mp, { recursive: true });
    const mounted = runLocal(`mount -o noatime UUID=${uuid} ${mp}`);
    expect(mounted.exitCode, mounted.stderr).toBe(0);
    const state = path.join(dir, 'state');
    const pre = runLocal(run(PRECOPY, spool, mp, state, 'test1'));
    expect(pre.exitCode, pre.stderr).toBe(0);
    expect(pre.stdout).toContain('pre-copied 40 files');
    const copy = runLocal(run(FINAL_SYNC_AND_VERIFY, spool, mp, state, 'test1'));
    expect(copy.exitCode, copy.stderr).toBe(0);
    expect(copy.stdout).toContain('copied 0 new or changed files, removed 0');
    expect(copy.stdout).toContain('verified 40 files');
    expect(treeManifest(mp)).toEqual(treeManifest(spool));
    expect(statSync(path.join(mp, '00', 'msg 0.msg')).uid).toBe(65534);
    expect(statSync(path.join(mp, '01', 'msg 1.msg')).mtime.toISOString()).toBe('2020-01-02T03:04:05.000Z');

    // PowerMTA ran on the new spool: new mail, an updated message, a delivered one.
    const kept = `${spool}.mtafleet-test1`;
    renameSync(spool, kept);
    writeFileSync(path.join(mp, '02', 'new mail.msg'), 'X-Sim-Rcpt: late@example.com\r\n\r\nhello');
    writeFileSync(path.join(mp, '03', 'msg 3.msg'), 'X-Sim-Rcpt: u3@example.com\r\nX-Status: one rcpt done\r\n');
    unlinkSync(path.join(mp, '01', 'msg 5.msg'));

    const back = runLocal(run(CARRY_BACK, 'systemd', 'pmta', 'mtaf-st-noproc', spool, kept, mp, uuid, path.join(state, 'test1.manifest'), path.join(dir, 'no.pid')), { pathPrefix: bin() });
    expect(back.exitCode, back.stderr).toBe(0);
    expect(back.stdout).toContain('carried back 40 files');
    expect(back.stdout).toContain('removed 1 files');
    expect(existsSync(kept)).toBe(false);
    expect(readFileSync(path.join(spool, '02', 'new mail.msg'), 'utf8')).toContain('late@example.com');
    expect(readFileSync(path.join(spool, '03', 'msg 3.msg'), 'utf8')).toContain('one rcpt done');
    expect(existsSync(path.join(spool, '01', 'msg 5.msg'))).toBe(false);
    expect(runLocal(`find ${spool} -type f | wc -l`).stdout.trim()).toBe('40');
  }, 60_000);

  it('carry-back copies nothing when the new dir is not our disk', () => {
    const other = path.join(dir, 'not-mounted');
    mkdirSync(other);
    writeFileSync(path.join(other, 'stray.msg'), 'x');
    const r = runLocal(run(CARRY_BACK, 'systemd', 'pmta', 'mtaf-st-noproc', spool, spool, other, uuid, '/nonexistent', path.join(dir, 'no.pid')), { pathPrefix: bin() });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('nothing carried back');
    expect(existsSync(path.join(spool, 'stray.msg'))).toBe(false);
  });

  it('the undo of mkfs wipes only our filesystem, and only when unmounted', () => {
    expect(runLocal(run(WIPE_OUR_FILESYSTEM, device, uuid)).exitCode).toBe(1); // still mounted
    expect(runLocal(run(UMOUNT_IF_MOUNTED, mp)).exitCode).toBe(0);
    const wrong = runLocal(run(WIPE_OUR_FILESYSTEM, device, '00000000-0000-4000-8000-000000000000'));
    expect(wrong.stderr).toContain('left untouched');
    expect(runLocal(`blkid -p -s UUID -o value ${device}`).stdout.trim()).toBe(uuid);
    const wiped = runLocal(run(WIPE_OUR_FILESYSTEM, device, uuid));
    expect(wiped.exitCode, wiped.stderr + wiped.stdout).toBe(0);
    expect(runLocal(`blkid -p ${device}`).exitCode).toBe(2);
  });
});

describe('stop and wait (local sh, fake systemctl)', () => {
  it('waits until the unit main PID has exited, and fails if it never does', () => {
    const dir = mkdtempSync('/tmp/mtaf-st-stop-');
    try {
      const { STOP_AND_WAIT } = SCRIPTS;
      const sleeper = spawnSync('sh', ['-c', 'sleep 30 >/dev/null 2>&1 & echo $!'], { encoding: 'utf8' }).stdout.trim();
      // show -> the sleeper's PID; stop -> kill it after a moment (like a daemon shutting down).
      writeFileSync(
        path.join(dir, 'systemctl'),
        `#!/bin/sh\ncase "$1" in show) echo ${sleeper} ;; stop) (sleep 1; kill ${sleeper}) >/dev/null 2>&1 & ;; esac\nexit 0\n`,
      );
      chmodSync(path.join(dir, 'systemctl'), 0o755);
      const started = Date.now();
      const r = runLocal(run(STOP_AND_WAIT, 'systemd', 'pmta', 'pmtad', path.join(dir, 'no.pid')), { pathPrefix: dir });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toContain(`pid ${sleeper} has exited`);
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      const failing = runLocal(run(STOP_AND_WAIT, 'systemd', 'pmta', 'pmtad', path.join(dir, 'no.pid')), { pathPrefix: '/nonexistent' });
      expect(failing.exitCode).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
