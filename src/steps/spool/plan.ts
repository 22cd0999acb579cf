import { createHash } from 'node:crypto';
import { argv, sh } from '../../transport/quote.js';
import { execAction, fileDiff, removeFileAction, restoreFileAction, writeFileAction } from '../actions.js';
import { configuredSpool, planSpoolRepoint } from '../pmta/edit.js';
import { validatedWrite } from '../pmta/write.js';
import type { Action, Change, StepPlan } from '../types.js';
import { daemonProcess, type SpoolMigrateState } from './observe.js';
import { deviceRefusal, formatBytes, layoutRefusal } from './preflight.js';
import {
  ABANDON_COPIES,
  CARRY_BACK,
  COUNT_FILES,
  FINAL_SYNC_AND_VERIFY,
  MKDIR_LIKE,
  PMTA_PID_FILE,
  PRECOPY,
  REMOUNT_AT_MOUNTPOINT,
  RMDIR_IF_EMPTY,
  START_AND_WAIT,
  STOP_AND_WAIT,
  UMOUNT_IF_MOUNTED,
  VERIFY_FSTAB_LINE,
  WIPE_OUR_FILESYSTEM,
} from './scripts.js';

export interface SpoolMigratePlanParams {
  device: string;
  mountpoint: string;
  mode: 'repoint' | 'mount-at-old-path';
  service: string;
  minFreeFactor: number;
}

/** Where manifests and records of kept spools live on the host (spool-finalize reads it). */
export const STATE_DIR = '/var/lib/mtafleet/spool-migrate';

/**
 * The new filesystem's UUID, derived from the observation so that plan() stays a pure
 * function and the preview is exact: mkfs.xfs gets it with `-m uuid=`, fstab names it.
 */
export function filesystemUuid(state: SpoolMigrateState, params: SpoolMigratePlanParams): string {
  const seed = JSON.stringify([state.device.resolved, state.device.sizeBytes, state.device.byId, state.spool.path, params.mountpoint, params.mode, state.fstab]);
  const h = createHash('sha256').update(seed).digest('hex');
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const run = (text: string, name: string, ...args: string[]) => sh`sh -c ${text} ${name} ${args}`;

function fstabWith(before: string | null, line: string): string {
  const base = before ?? '';
  return `${base}${base === '' || base.endsWith('\n') ? '' : '\n'}${line}\n`;
}

export function alreadyMigrated(state: SpoolMigrateState, params: SpoolMigratePlanParams): string | null {
  const dev = state.device.resolved;
  const configured = configuredSpool(state['pmta config']);
  if (params.mode === 'repoint' && configured === params.mountpoint && state.mountpoint.isMountpoint && state.mountpoint.source === dev) {
    return `the spool is already ${params.mountpoint} on ${dev} (config <spool ${configured}>)`;
  }
  if (params.mode === 'mount-at-old-path' && state.spool.isMountpoint && state.spool.source === dev) {
    return `the spool ${state.spool.path} is already mounted from ${dev}`;
  }
  return null;
}

export function planSpoolMigrate(state: SpoolMigrateState, params: SpoolMigratePlanParams): StepPlan {
  const done = alreadyMigrated(state, params);
  if (done) return { kind: 'noop', reason: done };
  const refusal = deviceRefusal(state, params.minFreeFactor) ?? layoutRefusal(state, params.mode);
  if (refusal) return { kind: 'refused', reason: refusal };

  const uuid = filesystemUuid(state, params);
  const id = uuid.slice(0, 8);
  const spool = state.spool.path;
  const mp = params.mountpoint;
  const dev = params.device;
  const init = state.service['init system'];
  const svc = params.service;
  const proc = daemonProcess(svc);
  const wasActive = state.service['service state'] === 'active';
  const kept = state.spool.isMountpoint ? spool : `${spool}.mtafleet-${id}`;
  const manifest = `${STATE_DIR}/${id}.manifest`;
  const record = `${STATE_DIR}/${id}.kept`;
  const stable = state.device.byId.length > 0 ? ` = ${state.device.byId.join(', ')}` : ' (no /dev/disk/by-id name)';

  let configEdits: Record<string, { before: string; after: string; notes: string[] }> = {};
  if (params.mode === 'repoint') {
    const edit = planSpoolRepoint(state['pmta config'], spool, mp);
    if (edit.kind === 'error') return { kind: 'refused', reason: edit.reason };
    if (edit.kind === 'edit') configEdits = edit.files;
  }

  const mkfs: Change = {
    summary: `mkfs.xfs on ${dev}${stable}: ${formatBytes(state.device.sizeBytes ?? 0)}, no filesystem, partition table, LVM or RAID signature; filesystem UUID ${uuid}`,
    label: 'exact',
    diff: { type: 'value', name: `filesystem on ${dev}`, before: null, after: `xfs UUID=${uuid}` },
    do: [execAction(argv('mkfs.xfs', '-q', '-m', `uuid=${uuid}`, dev), { timeoutMs: 600_000 })],
    undo: [execAction(run(WIPE_OUR_FILESYSTEM, 'mtafleet-wipe', dev, uuid))],
    verify: [execAction(argv('blkid', '-p', '-s', 'UUID', '-o', 'value', dev), { expectStdout: `^${uuid}\\s*$` })],
  };

  const fstabLine = (target: string) => `UUID=${uuid} ${target} xfs defaults,noatime 0 0`;
  const mkdirMp = state.mountpoint.exists ? [] : [execAction(argv('mkdir', '-p', mp))];
  const rmdirMp = state.mountpoint.exists ? [] : [execAction(run(RMDIR_IF_EMPTY, 'mtafleet-rmdir', mp))];
  const mountCheck = (target: string) => execAction(argv('findmnt', '-n', '-o', 'UUID,OPTIONS', '--mountpoint', target), { expectStdout: `^${uuid}\\s+\\S*noatime` });
  const mount: Change =
    params.mode === 'repoint'
      ? {
          summary: `mount ${dev} at ${mp} with noatime; /etc/fstab entry by UUID (checked with findmnt --verify): ${fstabLine(mp)}`,
          label: 'exact',
          diff: fileDiff('/etc/fstab', state.fstab, fstabWith(state.fstab, fstabLine(mp))),
          do: [
            ...mkdirMp,
            execAction(run(VERIFY_FSTAB_LINE, 'mtafleet-verify-fstab', fstabLine(mp))),
            writeFileAction('/etc/fstab', fstabWith(state.fstab, fstabLine(mp)), state.fstab === null ? { mode: 0o644 } : {}),
            execAction(argv('mount', mp)),
          ],
          undo: [execAction(run(UMOUNT_IF_MOUNTED, 'mtafleet-umount', mp)), restoreFileAction('/etc/fstab', state.fstab), ...rmdirMp],
          verify: [mountCheck(mp)],
        }
      : {
          summary: `mount ${dev} at ${mp} with noatime for the copy (it moves to ${spool} later)`,
          label: 'exact',
          diff: { type: 'text', text: `mount UUID=${uuid} ${mp} (temporary)` },
          do: [...mkdirMp, execAction(argv('mount', '-o', 'noatime', `UUID=${uuid}`, mp))],
          undo: [execAction(run(UMOUNT_IF_MOUNTED, 'mtafleet-umount', mp)), ...rmdirMp],
          verify: [mountCheck(mp)],
        };

  const stop = execAction(run(STOP_AND_WAIT, 'mtafleet-stop', init, svc, proc, PMTA_PID_FILE), { timeoutMs: 180_000 });
  const start = execAction(run(START_AND_WAIT, 'mtafleet-start', init, svc, proc, PMTA_PID_FILE), { timeoutMs: 330_000 });
  const work = `${STATE_DIR}/${id}.work`;
  // Labelled predicted: PowerMTA keeps accepting and delivering mail until it is stopped, so
  // the files copied are the spool of that moment, not the observed counts.
  const precopy: Change = {
    summary:
      `copy the spool ${spool} (${state.spool.files} files, ${formatBytes(state.spool.bytes)} when observed) to ${mp} with cp -a ` +
      `(owners, modes, timestamps)${wasActive ? ` while ${svc} keeps running` : ''}, and hash both trees (sha256, work files in ${work})`,
    label: 'predicted',
    diff: { type: 'text', text: `${spool} -> ${mp}: pre-copy of about ${state.spool.files} files, ${state.spool.bytes} bytes` },
    do: [execAction(run(PRECOPY, 'mtafleet-precopy', spool, mp, STATE_DIR, id), { timeoutMs: 3_600_000 })],
    // The copy itself lives on the new disk (wiped by the mkfs undo); the work files go, and so
    // do copy scripts a killed or cut-off runner left running on the host (before the unmount).
    // Stopping them comes first: removing the work files while a left-over copy still writes
    // into them fails ("Directory not empty", seen when the runner was killed mid-copy).
    undo: [execAction(run(ABANDON_COPIES, 'mtafleet-abandon-copies', mp, STATE_DIR, id))],
  };
  const copy: Change = {
    summary:
      `${wasActive ? `stop ${svc} (waiting until its main process ${proc} has exited), ` : `${svc} is ${state.service['service state']}; `}` +
      `final pass: copy the files new or changed since the pre-copy and remove from ${mp} those delivered meanwhile; ` +
      `verify file count, bytes and sha256 of every file (manifest ${manifest}); ${svc} stays stopped for the switch`,
    label: 'predicted',
    diff: { type: 'text', text: `${spool} -> ${mp}: final incremental pass and full verification` },
    do: [...(wasActive ? [stop] : []), execAction(run(FINAL_SYNC_AND_VERIFY, 'mtafleet-final-copy', spool, mp, STATE_DIR, id), { timeoutMs: 3_600_000 })],
    undo: [
      // A final pass left running by a killed runner is stopped before its files are removed.
      execAction(run(ABANDON_COPIES, 'mtafleet-abandon-copies', mp, STATE_DIR, id)),
      // Started as in the switch: a large spool can outlast the init system's start timeout.
      ...(wasActive ? [start] : []),
    ],
  };

  const carryBack = execAction(run(CARRY_BACK, 'mtafleet-carry-back', init, svc, proc, spool, kept, mp, uuid, manifest, PMTA_PID_FILE), { timeoutMs: 3_600_000 });
  const recordText = `${JSON.stringify({ id, oldSpool: spool, kept, newSpool: params.mode === 'repoint' ? mp : spool, device: dev, uuid, manifest, mode: params.mode })}\n`;
  const newSpool = params.mode === 'repoint' ? mp : spool;
  const rename = kept === spool ? [] : [execAction(argv('mv', '-T', '--', spool, kept))];
  const configChanges = Object.entries(configEdits);
  const switchDo: Action[] =
    params.mode === 'repoint'
      ? [...rename, ...configChanges.map(([file, e]) => validatedWrite(file, e.before, e.after).do)]
      : [
          execAction(run(UMOUNT_IF_MOUNTED, 'mtafleet-umount', mp)),
          ...rename,
          execAction(run(MKDIR_LIKE, 'mtafleet-mkdir-like', spool, kept)),
          execAction(run(VERIFY_FSTAB_LINE, 'mtafleet-verify-fstab', fstabLine(spool))),
          writeFileAction('/etc/fstab', fstabWith(state.fstab, fstabLine(spool)), state.fstab === null ? { mode: 0o644 } : {}),
          execAction(argv('mount', spool)),
          ...rmdirMp,
        ];
  const switchUndo: Action[] =
    params.mode === 'repoint'
      ? [carryBack, ...configChanges.map(([file, e]) => restoreFileAction(file, e.before)), removeFileAction(record)]
      : [
          stop,
          execAction(run(REMOUNT_AT_MOUNTPOINT, 'mtafleet-remount', spool, mp, uuid)),
          carryBack,
          restoreFileAction('/etc/fstab', state.fstab),
          removeFileAction(record),
        ];
  const where =
    params.mode === 'repoint'
      ? `point <spool> at ${mp} (${configChanges.map(([f, e]) => `${f}: ${e.notes.join('; ')}`).join('; ') || 'config already names it'}, validated with pmta test config)`
      : `mount ${dev} at ${spool} (fstab: ${fstabLine(spool)})`;
  const keptText = kept === spool ? `the old spool ${spool} is a mount point: it stays in place unused` : `rename the old spool to ${kept}`;
  const switchover: Change = {
    summary: `${keptText}, ${where}, check the new spool holds every file of the verified manifest${wasActive ? `, start ${svc}` : ''}; the old spool is kept until spool-finalize. Undo carries back any mail that arrived in the new spool`,
    label: 'exact',
    diff:
      params.mode === 'repoint' && configChanges.length > 0
        ? fileDiff(configChanges[0][0], configChanges[0][1].before, configChanges[0][1].after)
        : fileDiff('/etc/fstab', state.fstab, params.mode === 'repoint' ? state.fstab : fstabWith(state.fstab, fstabLine(spool))),
    do: [
      ...switchDo,
      writeFileAction(record, recordText, { mode: 0o600 }),
      execAction(run(COUNT_FILES, 'mtafleet-count', newSpool, manifest)),
      ...(wasActive ? [start] : []),
    ],
    undo: switchUndo,
    verify: wasActive ? [execAction(argv(...(init === 'systemd' ? ['systemctl', 'is-active', svc] : ['service', svc, 'status'])))] : [],
  };
  return { kind: 'changes', changes: [mkfs, mount, precopy, copy, switchover] };
}
