import { z } from 'zod';
import { absolutePath, devicePath, serviceName } from './guards/params.js';
import { observeSpoolMigrate, type SpoolMigrateState } from './spool/observe.js';
import { configKey } from './pmta-config.js';
import { serviceKey } from './service.js';
import { planSpoolMigrate } from './spool/plan.js';
import { resource } from './resources.js';
import type { StepKind } from './types.js';

/**
 * spool-migrate: moves the PowerMTA spool to a new disk (the source article's five steps, made
 * safe). Changes, in order, each with its undo:
 *   1. mkfs.xfs (never -f) with a UUID fixed in the plan — only after the preflight refusals
 *      (not a block device, mounted, root/boot disk, any filesystem / partition table / LVM /
 *      RAID signature, smaller than minFreeFactor x the spool's used bytes);
 *   2. mount with noatime (repoint: at `mountpoint`, fstab entry by UUID checked with
 *      findmnt --verify; mount-at-old-path: temporarily, for the copy);
 *   3. pre-copy while PowerMTA runs (cp -a, sha256 of both trees);
 *   4. stop the service (waiting until its own main process exited), final incremental pass
 *      (files new or changed since the pre-copy, delivered ones removed: a mirror), then the
 *      full check: file count, bytes and the sha256 manifests of every file on both sides
 *      (hashes from the pre-copy reused only for files whose ctime shows them unchanged);
 *   5. rename the old spool aside (kept until spool-finalize), point `<spool>` at the new place
 *      (validated with pmta test config) or mount the disk at the old path, start the service.
 * Undo of 5 carries back any mail PowerMTA wrote into the new spool before the old one is used
 * again. The finalize behaviour is the separate `spool-finalize` kind (src/steps/spool/finalize.ts).
 */
export const spoolMigrateParams = z
  .object({
    device: devicePath,
    mountpoint: absolutePath.default('/var/spool/pmta-nvme'),
    mode: z.enum(['repoint', 'mount-at-old-path']).default('repoint'),
    /** The old spool; null/absent: the `<spool>` the PowerMTA config names (default /var/spool/pmta). */
    spool: absolutePath.nullable().optional(),
    service: serviceName.default('pmta'),
    minFreeFactor: z.coerce.number().min(1).max(100).default(2),
    config: absolutePath.default('/etc/pmta/config'),
  })
  .strict()
  .refine((p) => p.mountpoint !== '/' && !p.mountpoint.startsWith('/dev/') && !p.mountpoint.startsWith('/proc/'), {
    message: 'mountpoint must be a new directory (not /, /dev or /proc)',
    path: ['mountpoint'],
  });
export type SpoolMigrateParams = z.infer<typeof spoolMigrateParams>;

/**
 * Observation keys name the resources (so the engine sees which tasks touch the same thing and
 * fingerprints each once): `block device DEV`, `mountpoint DIR`, `pmta config FILE`,
 * `service NAME` (same shapes as the pmta-config and service steps), `pmta spool`, `fstab`,
 * `system disks`.
 */
export function toObservation(state: SpoolMigrateState, params: SpoolMigrateParams): Record<string, unknown> {
  return {
    [resource.blockDevice(params.device)]: state.device,
    [resource.systemDisks()]: state['system disks'],
    [resource.pmtaSpool()]: state.spool,
    [resource.mountpoint(params.mountpoint)]: state.mountpoint,
    [resource.fstab()]: state.fstab,
    [configKey(params.config)]: state['pmta config'],
    [serviceKey(params.service)]: state.service,
  };
}

export function fromObservation(obs: Record<string, unknown>, params: SpoolMigrateParams): SpoolMigrateState {
  return {
    device: obs[resource.blockDevice(params.device)],
    'system disks': obs[resource.systemDisks()],
    spool: obs[resource.pmtaSpool()],
    mountpoint: obs[resource.mountpoint(params.mountpoint)],
    fstab: obs[resource.fstab()],
    'pmta config': obs[configKey(params.config)],
    service: obs[serviceKey(params.service)],
  } as SpoolMigrateState;
}

export const spoolMigrateStep: StepKind<SpoolMigrateParams, Record<string, unknown>> = {
  kind: 'spool-migrate',
  params: spoolMigrateParams as unknown as z.ZodType<SpoolMigrateParams>,
  resources: (params) => [
    resource.blockDevice(params.device),
    resource.systemDisks(),
    resource.pmtaSpool(),
    resource.mountpoint(params.mountpoint),
    resource.fstab(),
    configKey(params.config),
    serviceKey(params.service),
  ],
  observe: async (host, params, ctx) =>
    toObservation(await observeSpoolMigrate(host, { ...params, spool: params.spool ?? undefined }, ctx.become), params),
  plan: (obs, params) => planSpoolMigrate(fromObservation(obs, params), params),
  // The copies are predicted (PowerMTA keeps writing its spool until it is stopped): what the
  // migration leaves of every resource it observed is known once it ran.
  project: (obs, _params, plan) => ({ state: obs, unknown: plan.kind === 'changes' ? Object.keys(obs) : [] }),
};
