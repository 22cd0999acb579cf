import type { SpoolMigrateState } from './observe.js';

/**
 * The safety checks before mkfs (DESIGN.md, safety rules): each returns the exact reason the
 * host is refused, in dry-run as well. Pure.
 */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  return `${v.toFixed(u === 0 ? 0 : 1)} ${units[u]}`;
}

export function deviceRefusal(state: SpoolMigrateState, minFreeFactor: number): string | null {
  const d = state.device;
  const name = d.resolved !== d.path ? `${d.path} (${d.resolved})` : d.path;
  if (!d.exists) return `${name} does not exist`;
  if (!d.isBlock) return `${name} is not a block device`;
  const mounted = [...d.mountedAt, ...d.lsblk.filter((b) => b.mountpoint).map((b) => `${b.mountpoint} (${b.path})`)];
  if (mounted.length > 0) return `${name} is mounted at ${[...new Set(mounted)].join(', ')}`;
  if (d.swap) return `${name} is in use as swap`;
  const system = new Set(state['system disks'].disks);
  const related = [d.resolved, ...d.lsblk.map((b) => b.path), ...d.lsblk.filter((b) => b.pkname).map((b) => `/dev/${b.pkname}`)];
  const hit = related.find((p) => system.has(p));
  if (hit) return `${name} is the root or boot disk or part of it (${hit}; ${state['system disks'].sources.join(', ')})`;
  const fsType = d.blkid.TYPE;
  if (fsType === 'LVM2_member') return `${name} holds an LVM physical volume signature (blkid TYPE=LVM2_member)`;
  if (fsType && /raid/i.test(fsType)) return `${name} holds a RAID signature (blkid TYPE=${fsType})`;
  if (fsType) return `${name} holds a filesystem (blkid TYPE=${fsType}${d.blkid.UUID ? `, UUID=${d.blkid.UUID}` : ''}); mkfs refused, its data is left untouched`;
  if (d.blkid.PTTYPE) return `${name} holds a partition table (blkid PTTYPE=${d.blkid.PTTYPE})`;
  const partitions = d.lsblk.filter((b) => b.path !== d.resolved);
  if (partitions.length > 0) return `${name} has partitions or children (${partitions.map((p) => p.path).join(', ')})`;
  if (d.wipefs.length > 0) return `${name} carries signatures (wipefs -n: ${d.wipefs.join('; ')})`;
  if (d.holders.length > 0) return `${name} is held by ${d.holders.join(', ')} (device-mapper or md)`;
  if (d.blkidExit !== 2 && d.blkidExit !== 0) return `${name} could not be probed for signatures (blkid exit ${d.blkidExit ?? 'unknown'})`;
  if (d.sizeBytes === null) return `${name}: its size could not be read`;
  const needed = Math.ceil(minFreeFactor * state.spool.bytes);
  if (d.sizeBytes < needed) {
    return `${name} is too small: ${formatBytes(d.sizeBytes)}, but ${minFreeFactor} x the spool's ${formatBytes(state.spool.bytes)} = ${formatBytes(needed)} is required`;
  }
  return null;
}

export function layoutRefusal(state: SpoolMigrateState, mode: 'repoint' | 'mount-at-old-path'): string | null {
  const s = state.spool;
  const m = state.mountpoint;
  if (!s.exists) return `the spool ${s.path} does not exist`;
  if (m.path === s.path) return `the mountpoint ${m.path} is the spool itself; pick a new directory (mode mount-at-old-path mounts there at the end)`;
  if (m.path.startsWith(`${s.path}/`)) return `the mountpoint ${m.path} is inside the spool ${s.path}`;
  if (m.exists && !m.isDirectory) return `${m.path} exists and is not a directory`;
  if (m.isMountpoint) return `${m.path} is already a mount point (${m.source || 'unknown source'})`;
  if (m.exists && !m.empty) return `${m.path} is not empty`;
  if (mode === 'mount-at-old-path' && s.isMountpoint) {
    return `the spool ${s.path} is itself a mount point (${s.source}); mode mount-at-old-path would have to unmount the old disk — use mode repoint`;
  }
  const target = mode === 'repoint' ? m.path : s.path;
  const fstabHit = (state.fstab ?? '').split('\n').find((l) => !l.trim().startsWith('#') && l.trim().split(/\s+/)[1] === target);
  if (fstabHit) return `/etc/fstab already has an entry for ${target}: ${fstabHit.trim()}`;
  if (state.service['init system'] === 'none') return 'no systemctl or service command to stop and start PowerMTA';
  if (state.service['init system'] !== 'systemd' && state.spool.daemonRunning && state.service['service state'] !== 'active') {
    // Copying a live spool would lose mail: never trust an init system that cannot see the daemon.
    return `the daemon process is running but the service reports "${state.service['service state']}" (${state.service['init system']}); refusing to copy a live spool`;
  }
  return null;
}
