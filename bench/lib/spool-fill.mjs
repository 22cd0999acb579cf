/**
 * Fills a lab host's spool with queued messages in the simulator's own file format (written
 * with its messageText(), so pmtad recovers them at start like real queued mail), without an
 * fsync per file (setup, not the thing measured), then one sync.
 */
import { join } from 'node:path';

/** Shell text for runInHost: N message files of SIZE bytes under the spool. */
export function fillSpoolScript(assetsDir, count, sizeBytes) {
  const program = `
const { messageText, messagePath } = await import(process.argv[1]);
const fs = await import('node:fs');
const path = await import('node:path');
const [count, size] = [Number(process.argv[2]), Number(process.argv[3])];
const spool = '/var/spool/pmta';
const now = Date.now();
for (let i = 0; i < count; i++) {
  const id = 'bench' + i.toString(36).padStart(6, '0');
  const m = { id, rcpt: 'u' + i + '@' + ['gmail.com', 'yahoo.com', 'outlook.com', 'example.net'][i % 4], orig: 'bounce@news.example.org', vmta: 'vmta' + (1 + (i % 4)), queuedAt: now, jobId: 'bench' };
  const file = messagePath(spool, id);
  if (i < 256) fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, messageText(m, size));
}
`;
  const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
  return `node --input-type=module -e ${q(program)} ${q(join(assetsDir, 'lib', 'spool.mjs'))} ${count} ${sizeBytes} && sync && find /var/spool/pmta -type f | wc -l`;
}

/**
 * The naive migration inside a host: fresh XFS on the (lab's own) NVMe loop device, then
 * stop / cp -a / start, waiting until `pmta show status` answers (as spool-migrate's
 * START_AND_WAIT does). Prints "downtime T0 T1" (epoch seconds) and the copied file count.
 * The mount point is made in the machine's /mnt (lab hosts share the root filesystem): the
 * script removes it, and the benchmark removes it again if the script failed half-way.
 */
export const NAIVE_MOUNT_POINT = '/mnt/mtaf-bench-nvme';

export function naiveMigrationScript(device) {
  return `set -e
dev=${device}; mnt=${NAIVE_MOUNT_POINT}
if mountpoint -q "$mnt"; then umount "$mnt"; fi
mkfs.xfs -q -f "$dev"
mkdir -p "$mnt"
mount -o noatime "$dev" "$mnt"
sync
t0=$(date +%s.%N)
systemctl stop pmta
cp -a /var/spool/pmta/. "$mnt"/
systemctl start pmta || true  # a large spool can outlast the start timeout; wait for it to answer
until pmta show status >/dev/null 2>&1; do sleep 0.05; done
t1=$(date +%s.%N)
echo "downtime $t0 $t1"
echo "copied $(find "$mnt" -type f | wc -l)"
umount "$mnt"
rmdir "$mnt"`;
}
