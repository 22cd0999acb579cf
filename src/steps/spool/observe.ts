import { sh } from '../../transport/quote.js';
import type { HostConnection } from '../../transport/types.js';
import { configuredSpool } from '../pmta/edit.js';
import { observeConfig } from '../pmta/observe.js';
import type { ObservedConfig } from '../pmta/tree.js';
import { OBSERVE_SERVICE, parseServiceObservation, type ServiceState } from '../service.js';
import { OBSERVE_SPOOL_MIGRATE, PMTA_PID_FILE } from './scripts.js';
import { dict } from '../../util/dict.js';

/** What spool-migrate sees on a host (plain JSON; fingerprinted for drift detection). */
export interface DeviceFacts {
  path: string;
  exists: boolean;
  isBlock: boolean;
  resolved: string;
  sizeBytes: number | null;
  byId: string[];
  /** The device and its children (partitions...), from lsblk. */
  lsblk: Array<{ name: string; path: string; type: string; mountpoint: string | null; size: number; pkname: string | null }>;
  /** blkid -p export fields (TYPE, PTTYPE, UUID, USAGE...); exit 2 means nothing found. */
  blkid: Record<string, string>;
  blkidExit: number | null;
  /** wipefs -n -p rows: offset,uuid,label,type. */
  wipefs: string[];
  holders: string[];
  swap: boolean;
  mountedAt: string[];
}

export interface SpoolMigrateState extends Record<string, unknown> {
  device: DeviceFacts;
  /** Sources of / and /boot and every device they sit on (lsblk -s). */
  'system disks': { sources: string[]; disks: string[] };
  spool: {
    path: string;
    exists: boolean;
    bytes: number;
    files: number;
    isMountpoint: boolean;
    source: string;
    uuid: string;
    kept: string[];
    /** The service's main process runs (systemd MainPID, its pid file, or a process of that name in this network namespace). */
    daemonRunning: boolean;
  };
  mountpoint: { path: string; exists: boolean; isDirectory: boolean; isMountpoint: boolean; empty: boolean; source: string; uuid: string };
  fstab: string | null;
  'pmta config': ObservedConfig;
  service: ServiceState;
}

type Lsblk = { name: string; path: string; type: string; mountpoint: string | null; size: number | string; pkname: string | null; children?: Lsblk[] };

function flattenLsblk(encoded: string): DeviceFacts['lsblk'] {
  if (!encoded) return [];
  try {
    const json = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as { blockdevices?: Lsblk[] };
    const out: DeviceFacts['lsblk'] = [];
    const walk = (list: Lsblk[] = []) =>
      list.forEach((d) => {
        out.push({ name: d.name, path: d.path, type: d.type, mountpoint: d.mountpoint ?? null, size: Number(d.size), pkname: d.pkname ?? null });
        walk(d.children);
      });
    walk(json.blockdevices);
    return out;
  } catch {
    return [];
  }
}

/** Parses the key=value output of OBSERVE_SPOOL_MIGRATE (repeated keys collect into lists). */
export function parseSpoolObservation(stdout: string, device: string, spool: string, mountpoint: string) {
  const values = new Map<string, string[]>();
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    values.set(key, [...(values.get(key) ?? []), line.slice(eq + 1)]);
  }
  const one = (k: string) => values.get(k)?.[0] ?? '';
  const all = (k: string) => values.get(k) ?? [];
  const blkid = dict<string>(); // names as the host's blkid printed them
  for (const [k, v] of values) if (k.startsWith('dev.blkid.') && k !== 'dev.blkid.exit') blkid[k.slice('dev.blkid.'.length)] = v[0];
  const sizeText = one('dev.size');
  return {
    device: {
      path: device,
      exists: one('dev.exists') === 'yes',
      isBlock: one('dev.block') === 'yes',
      resolved: one('dev.resolved') || device,
      sizeBytes: /^\d+$/.test(sizeText) ? Number(sizeText) : null,
      byId: all('dev.byid'),
      lsblk: flattenLsblk(one('dev.lsblk')),
      blkid,
      blkidExit: values.has('dev.blkid.exit') ? Number(one('dev.blkid.exit')) : null,
      wipefs: all('dev.wipefs'),
      holders: all('dev.holder'),
      swap: one('dev.swap') === 'yes',
      mountedAt: all('dev.mounted'),
    } satisfies DeviceFacts,
    'system disks': { sources: all('system.source'), disks: [...new Set(all('system.disk'))] },
    spool: {
      path: spool,
      exists: one('spool.exists') === 'yes',
      bytes: Number(one('spool.bytes')) || 0,
      files: Number(one('spool.files')) || 0,
      isMountpoint: one('spool.mountpoint') === 'yes',
      source: one('spool.source'),
      uuid: one('spool.uuid'),
      kept: all('spool.kept'),
      daemonRunning: one('proc.running') === 'yes',
    },
    mountpoint: {
      path: mountpoint,
      exists: values.has('mp.exists'),
      isDirectory: one('mp.exists') === 'yes',
      isMountpoint: one('mp.mountpoint') === 'yes',
      empty: one('mp.empty') === 'yes',
      source: one('mp.source'),
      uuid: one('mp.uuid'),
    },
  };
}

/** The daemon's process name: pmtad for the pmta service, else the service name. */
export function daemonProcess(service: string): string {
  return service === 'pmta' ? 'pmtad' : service;
}

export async function observeSpoolMigrate(
  host: HostConnection,
  params: { device: string; mountpoint: string; spool?: string; service: string; config: string },
  become: boolean,
): Promise<SpoolMigrateState> {
  const config = await observeConfig(host, params.config, become);
  const spool = params.spool ?? configuredSpool(config);
  const proc = daemonProcess(params.service);
  const r = await host.exec(sh`sh -c ${OBSERVE_SPOOL_MIGRATE} mtafleet-observe ${params.device} ${spool} ${params.mountpoint} ${proc} ${params.service} ${PMTA_PID_FILE}`, { become });
  const fstab = await host.readFile('/etc/fstab', { become });
  const svc = await host.exec(sh`sh -c ${OBSERVE_SERVICE} mtafleet-service ${params.service}`, { become });
  return {
    ...parseSpoolObservation(r.stdout, params.device, spool, params.mountpoint),
    fstab: fstab === null ? null : fstab.toString('utf8'),
    'pmta config': config,
    service: parseServiceObservation(svc.stdout),
  };
}
