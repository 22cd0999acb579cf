/**
 * Remote helper scripts of spool-migrate. Constants shipped with mtafleet: every host value
 * reaches them only as quoted positional arguments (see plan.ts, which wraps them with sh``).
 * POSIX sh only (remote shells may be dash). Tested locally under `sh` (test/unit/steps).
 */

/** Read-only observation. $1 device, $2 spool dir, $3 mountpoint, $4 daemon process name. Prints key=value lines. */
export const OBSERVE_SPOOL_MIGRATE = `dev=$1; spool=$2; mp=$3; proc=$4
export LC_ALL=C
pgrep -x "$proc" >/dev/null 2>&1 && echo proc.running=yes
[ -e "$dev" ] && echo dev.exists=yes
[ -b "$dev" ] && echo dev.block=yes
real=$(readlink -f -- "$dev" 2>/dev/null || echo "$dev")
echo "dev.resolved=$real"
if [ -b "$real" ]; then
  echo "dev.size=$(blockdev --getsize64 "$real" 2>/dev/null)"
  echo "dev.lsblk=$(lsblk -J -b -o NAME,PATH,TYPE,MOUNTPOINT,SIZE,PKNAME -- "$real" 2>/dev/null | base64 -w0)"
  out=$(blkid -p -o export -- "$real" 2>/dev/null); echo "dev.blkid.exit=$?"
  printf '%s\\n' "$out" | grep '=' | sed 's/^/dev.blkid./'
  wipefs -n -p -- "$real" 2>/dev/null | grep -v '^#' | sed 's/^/dev.wipefs=/'
  for l in /dev/disk/by-id/*; do
    [ -e "$l" ] && [ "$(readlink -f -- "$l")" = "$real" ] && echo "dev.byid=$l"
  done
  name=$(basename -- "$real")
  for h in /sys/class/block/"$name"/holders/*; do [ -e "$h" ] && echo "dev.holder=$(basename -- "$h")"; done
  awk -v d="$real" '$1 == d { print "dev.swap=yes" }' /proc/swaps
  awk -v d="$real" '$1 == d { print "dev.mounted=" $2 }' /proc/mounts
fi
for target in / /boot; do
  src=$(findmnt -n -o SOURCE --mountpoint "$target" 2>/dev/null | sed 's/\\[.*//')
  [ -n "$src" ] || continue
  echo "system.source=$target $src"
  [ -b "$src" ] && lsblk -n -s -r -o PATH -- "$src" 2>/dev/null | sed 's/^/system.disk=/'
done
if [ -d "$spool" ]; then
  echo spool.exists=yes
  echo "spool.bytes=$(du -sb -- "$spool" 2>/dev/null | cut -f1)"
  echo "spool.files=$(find "$spool" -type f 2>/dev/null | wc -l)"
  mountpoint -q -- "$spool" && echo spool.mountpoint=yes
  echo "spool.source=$(findmnt -n -o SOURCE --mountpoint "$spool" 2>/dev/null)"
  echo "spool.uuid=$(findmnt -n -o UUID --mountpoint "$spool" 2>/dev/null)"
fi
for k in "$spool".mtafleet-*; do [ -e "$k" ] && echo "spool.kept=$k"; done
if [ -d "$mp" ]; then
  echo mp.exists=yes
  mountpoint -q -- "$mp" && echo mp.mountpoint=yes
  [ -z "$(ls -A -- "$mp" 2>/dev/null)" ] && echo mp.empty=yes
  echo "mp.source=$(findmnt -n -o SOURCE --mountpoint "$mp" 2>/dev/null)"
  echo "mp.uuid=$(findmnt -n -o UUID --mountpoint "$mp" 2>/dev/null)"
elif [ -e "$mp" ]; then
  echo mp.exists=not-a-directory
fi
exit 0`;

/**
 * Shell function: stop_service INIT SERVICE PROCESS stops the service and waits until its main
 * process (systemd MainPID; without systemd the oldest process of that name) has exited.
 */
const STOP_SERVICE_FN = `stop_service() {
  pid=
  if [ "$1" = systemd ]; then
    pid=$(systemctl show -p MainPID --value "$2" 2>/dev/null); [ "$pid" = 0 ] && pid=
  else
    pid=$(pgrep -o -x "$3" 2>/dev/null)
  fi
  if [ "$1" = systemd ]; then systemctl stop "$2"; else service "$2" stop; fi || return 1
  i=0
  while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; do
    i=$((i + 1))
    if [ "$i" -ge 240 ]; then echo "$3 (pid $pid) is still running 120 s after stopping $2" >&2; return 1; fi
    sleep 0.5
  done
  echo "$2 stopped\${pid:+ (pid $pid has exited)}"
}`;

/** Stops the service and waits until its process is gone. $1 init (systemd|sysv), $2 service, $3 process name. */
export const STOP_AND_WAIT = `${STOP_SERVICE_FN}
stop_service "$1" "$2" "$3"`;

/** Starts the service and waits until \`pmta show status\` answers (for pmta). $1 init, $2 service. */
export const START_AND_WAIT = `init=$1; svc=$2
if [ "$init" = systemd ]; then systemctl start "$svc"; else service "$svc" start; fi || exit 1
[ "$svc" = pmta ] || exit 0
i=0
until pmta show status >/dev/null 2>&1; do
  i=$((i + 1))
  if [ "$i" -ge 120 ]; then echo "pmta does not answer 60 s after start" >&2; exit 1; fi
  sleep 0.5
done
pmta show status | grep -E '^ *(Status|Queues|SMTP|Spool)' || true`;

/**
 * Copies the spool and verifies the copy. $1 old spool, $2 new dir, $3 state dir, $4 id.
 * Manifests (sha256 of every file, sorted) of both sides are kept in the state dir and must be
 * equal; file counts and byte totals are printed. cp -a keeps owners, modes and timestamps.
 */
export const COPY_AND_VERIFY = `set -u
src=$1; dst=$2; dir=$3; id=$4
mkdir -p -- "$dir" || exit 1
chown --reference="$src" -- "$dst" && chmod --reference="$src" -- "$dst" || exit 1
cp -a -- "$src/." "$dst/" || exit 1
manifest() { (cd -- "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum --); }
total() { (cd -- "$1" && find . -type f -printf '%s\\n' | awk '{ s += $1 } END { print s + 0 }'); }
manifest "$src" > "$dir/$id.manifest" || exit 1
manifest "$dst" > "$dir/$id.manifest-new" || exit 1
if ! cmp -s -- "$dir/$id.manifest" "$dir/$id.manifest-new"; then
  echo "the copy in $dst differs from $src:" >&2
  diff -- "$dir/$id.manifest" "$dir/$id.manifest-new" | head -n 20 >&2
  exit 1
fi
a=$(total "$src"); b=$(total "$dst")
[ "$a" = "$b" ] || { echo "byte totals differ: $a in $src, $b in $dst" >&2; exit 1; }
echo "copied and verified $(wc -l < "$dir/$id.manifest") files, $a bytes (manifest $dir/$id.manifest)"`;

/**
 * Undo of the switch: brings the old spool back into use, carrying back what PowerMTA did on
 * the new spool. $1 init, $2 service, $3 process, $4 old spool, $5 kept name, $6 new dir,
 * $7 filesystem UUID of the new disk, $8 manifest of the original spool.
 * The service is stopped first; then every file of the new spool is copied over the old one
 * (new mail, and messages PowerMTA updated, win) and compared byte for byte; files of the
 * original manifest that are gone from the new spool (delivered there) are removed from the old
 * one only when the new spool is really our mounted disk. No message file is ever dropped.
 */
export const CARRY_BACK = `set -u
${STOP_SERVICE_FN}
init=$1; svc=$2; proc=$3; old=$4; kept=$5; new=$6; uuid=$7; manifest=$8
stop_service "$init" "$svc" "$proc" || { echo "not touching the spools while $svc runs" >&2; exit 1; }
if [ "$kept" != "$old" ] && [ -d "$kept" ] && [ ! -e "$old" ]; then mv -T -- "$kept" "$old" || exit 1; fi
[ -d "$old" ] || { echo "the old spool $old is missing" >&2; exit 1; }
ours=no
[ "$(findmnt -n -o UUID --mountpoint "$new" 2>/dev/null)" = "$uuid" ] && ours=yes
if [ "$ours" = yes ]; then
  cp -a -- "$new/." "$old/" || exit 1
  (cd -- "$new" && find . -type f -exec sh -c 'o=$1; shift; for f; do cmp -s -- "$f" "$o/$f" || { echo "not carried back: $f" >&2; exit 1; }; done' mtafleet-cmp "$old" {} +) || exit 1
  n=$(cd -- "$new" && find . -type f | wc -l)
  gone=0
  if [ -f "$manifest" ]; then
    while IFS= read -r line; do
      f=\${line#*  }
      case "$line" in \\\\*) continue ;; esac
      if [ ! -e "$new/$f" ] && [ -e "$old/$f" ]; then rm -f -- "$old/$f" && gone=$((gone + 1)); fi
    done < "$manifest"
  fi
  echo "carried back $n files from $new into $old; removed $gone files delivered from the new spool"
else
  echo "$new is not the migrated disk (UUID $uuid); nothing carried back"
fi`;

/** Removes a directory only if it exists and is empty. $1 dir. */
export const RMDIR_IF_EMPTY = `[ -d "$1" ] || exit 0
rmdir -- "$1" 2>/dev/null || echo "$1 is not empty; left in place" >&2
exit 0`;

/** Unmounts $1 if something is mounted there. */
export const UMOUNT_IF_MOUNTED = `if mountpoint -q -- "$1"; then umount -- "$1"; fi`;

/** Undo of mkfs: wipes the signatures of $1 only when it carries our UUID $2 and is not mounted. */
export const WIPE_OUR_FILESYSTEM = `dev=$1; uuid=$2
[ -b "$dev" ] || exit 0
found=$(blkid -p -s UUID -o value -- "$dev" 2>/dev/null)
[ "$found" = "$uuid" ] || { echo "$dev does not carry filesystem $uuid (found '$found'); left untouched" >&2; exit 0; }
if awk -v d="$(readlink -f -- "$dev")" '$1 == d { f = 1 } END { exit !f }' /proc/mounts; then echo "$dev is mounted; not wiping" >&2; exit 1; fi
i=0
until wipefs -a -- "$dev"; do
  i=$((i + 1)); [ "$i" -ge 5 ] && exit 1
  sleep 1
done`;

/** Counts regular files under $1 and compares with the manifest $2 (printed for the journal). */
export const COUNT_FILES = `n=$(find "$1" -type f | wc -l); m=$(wc -l < "$2")
echo "spool $1 holds $n files; $m were copied"
[ "$n" -ge "$m" ]`;

/** Validates one fstab line ($1) with findmnt --verify before it is added to /etc/fstab. */
export const VERIFY_FSTAB_LINE = `t=$(mktemp) || exit 1
printf '%s\\n' "$1" > "$t"
findmnt --verify --tab-file "$t"; rc=$?
rm -f -- "$t"
exit "$rc"`;

/** Makes $1 a directory with the owner and mode of $2 (the spool it replaces). */
export const MKDIR_LIKE = `mkdir -p -- "$1" && chown --reference="$2" -- "$1" && chmod --reference="$2" -- "$1"`;

/**
 * Mount-at-old-path undo, first half: with the service stopped, take our disk off the spool
 * path and mount it at the temporary mountpoint again. $1 spool path, $2 mountpoint, $3 UUID.
 */
export const REMOUNT_AT_MOUNTPOINT = `spool=$1; mp=$2; uuid=$3
if [ "$(findmnt -n -o UUID --mountpoint "$spool" 2>/dev/null)" = "$uuid" ]; then umount -- "$spool" || exit 1; fi
mountpoint -q -- "$spool" || rmdir -- "$spool" 2>/dev/null
mkdir -p -- "$mp" || exit 1
if ! mountpoint -q -- "$mp"; then mount -o noatime UUID="$uuid" "$mp" || exit 1; fi
exit 0`;
