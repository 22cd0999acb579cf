/**
 * Remote helper scripts of spool-migrate. Constants shipped with mtafleet: every host value
 * reaches them only as quoted positional arguments (see plan.ts, which wraps them with sh``).
 * POSIX sh only (remote shells may be dash). Tested locally under `sh` (test/unit/steps).
 */

/**
 * Shell function: main_pid SERVICE PROCESS PIDFILE prints the service's own main pid, or
 * nothing: systemd's MainPID, else a live pid in PIDFILE whose command line names PROCESS, else
 * (last resort) a process named PROCESS in this network namespace only — on a host with several
 * instances (or a lab of hosts sharing one PID namespace) another one's daemon is not ours.
 */
const MAIN_PID_FN = `main_pid() {
  p=
  if command -v systemctl >/dev/null 2>&1; then
    p=$(systemctl show -p MainPID --value "$1" 2>/dev/null | tr -cd 0-9); [ "$p" = 0 ] && p=
  fi
  if [ -z "$p" ] && [ -r "$3" ]; then
    p=$(head -n 1 -- "$3" | tr -cd 0-9)
    if [ -n "$p" ] && ! tr '\\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | grep -q -- "$2"; then p=; fi
  fi
  if [ -z "$p" ]; then
    me=$(readlink /proc/self/ns/net)
    for c in $(pgrep -x -- "$2" 2>/dev/null); do
      if [ "$(readlink "/proc/$c/ns/net" 2>/dev/null)" = "$me" ]; then p=$c; break; fi
    done
  fi
  echo "$p"
}`;

/** Read-only observation. $1 device, $2 spool dir, $3 mountpoint, $4 daemon process name, $5 service, $6 pid file. Prints key=value lines. */
export const OBSERVE_SPOOL_MIGRATE = `dev=$1; spool=$2; mp=$3; proc=$4; svc=$5; pidfile=$6
export LC_ALL=C
${MAIN_PID_FN}
[ -n "$(main_pid "$svc" "$proc" "$pidfile")" ] && echo proc.running=yes
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

/** Where PowerMTA writes its pid when systemd cannot say (the fallback of main_pid). */
export const PMTA_PID_FILE = '/var/run/pmta.pid';

/**
 * Shell function: stop_service INIT SERVICE PROCESS PIDFILE stops the service and waits until
 * its own main process (main_pid) has exited.
 */
const STOP_SERVICE_FN = `${MAIN_PID_FN}
# A zombie has exited (its parent has not reaped it yet): it holds no files.
running() {
  [ -d /proc/self ] || { kill -0 "$1" 2>/dev/null; return; }
  st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c 1)
  [ -n "$st" ] && [ "$st" != Z ]
}
stop_service() {
  pid=$(main_pid "$2" "$3" "$4")
  if [ "$1" = systemd ]; then systemctl stop "$2"; else service "$2" stop; fi || return 1
  i=0
  while [ -n "$pid" ] && running "$pid"; do
    i=$((i + 1))
    if [ "$i" -ge 2400 ]; then echo "$3 (pid $pid) is still running 120 s after stopping $2" >&2; return 1; fi
    sleep 0.05
  done
  echo "$2 stopped\${pid:+ (pid $pid has exited)}"
}`;

/** Stops the service and waits until its process is gone. $1 init (systemd|sysv), $2 service, $3 process name, $4 pid file. */
export const STOP_AND_WAIT = `${STOP_SERVICE_FN}
stop_service "$1" "$2" "$3" "$4"`;

/**
 * Starts the service and waits until \`pmta show status\` answers (for pmta). $1 init, $2 service,
 * $3 daemon process name, $4 pid file (both optional: journals of older runs carry two arguments).
 * A daemon recovering a large spool can outlast the init system's start timeout and still come
 * up: what counts is that PowerMTA answers within 5 minutes. But with no daemon process at all
 * for 3 s (it exited: unwritable spool, bad config; or a stop still in progress took it down)
 * the start is tried once more, then reported as failed at once — not after 5 minutes.
 */
export const START_AND_WAIT = `init=$1; svc=$2; proc=\${3:-}; pidfile=\${4:-}
${MAIN_PID_FN}
start() { if [ "$init" = systemd ]; then systemctl start "$svc"; else service "$svc" start; fi; }
start; rc=$?
[ "$svc" = pmta ] || exit "$rc"
i=0; gone=0; again=no
until pmta show status >/dev/null 2>&1; do
  i=$((i + 1))
  if [ "$i" -ge 3000 ]; then echo "pmta does not answer 300 s after start (start exit $rc)" >&2; exit 1; fi
  if [ -n "$proc" ] && [ $((i % 10)) = 0 ]; then
    if [ -n "$(main_pid "$svc" "$proc" "$pidfile")" ]; then gone=0; else gone=$((gone + 1)); fi
    if [ "$gone" -ge 3 ] && [ "$again" = no ]; then again=yes; gone=0; start; rc=$?
    elif [ "$gone" -ge 3 ]; then
      echo "$svc failed to start: no $proc process (start exit $rc); see its log and: systemctl status $svc" >&2
      exit 1
    fi
  fi
  sleep 0.1
done
[ "$rc" = 0 ] || echo "$svc: the start command exited $rc, but PowerMTA answers"
pmta show status | grep -E '^ *(Status|Queues|SMTP|Spool)' || true`;

/**
 * Shell functions of the two-phase copy.
 * scan DIR MARK OUT: one find over DIR writing OUT.files and OUT.dirs (paths ./x, sorted, C
 * locale), OUT.changed (files whose ctime is newer than MARK's mtime) and OUT.bytes (total).
 * Fails on a file name with a line break (the lists are one name a line).
 * hash_list DIR LIST OUT: sha256sum of the files in LIST on up to 4 cores, each worker into its
 * own file (parallel writers to one pipe could split lines), sorted by path into OUT.
 */
const COPY_FNS = `export LC_ALL=C
workers=$(nproc 2>/dev/null || echo 2); [ "$workers" -gt 4 ] && workers=4; [ "$workers" -lt 1 ] && workers=1
scan() {
  m=$(find "$2" -maxdepth 0 -printf '%T@') || return 1
  (cd -- "$1" && find . -mindepth 1 \\( -type f -o -type d \\) -printf '%y %C@ %s %p\\n') | awk -v m="$m" -v o="$3" '
    !/^[fd] [0-9.]+ [0-9]+ \\.\\// { bad = 1; next }
    { p = $0; sub(/^[^ ]+ [^ ]+ [^ ]+ /, "", p) }
    $1 == "d" { print p > (o ".dirs"); next }
    { print p > (o ".files"); b += $3; if ($2 + 0 > m + 0) print p > (o ".changed") }
    END { printf "%.0f\\n", b > (o ".bytes"); exit bad }' || { echo "a file name under $1 has a line break; not copying" >&2; return 1; }
  for k in files dirs changed; do touch -- "$3.$k" && sort -o "$3.$k" -- "$3.$k" || return 1; done
}
hash_list() {
  rm -f -- "$3".part.*
  tr '\\n' '\\0' < "$2" | split -t '\\0' -n "r/$workers" - "$3.part." || return 1
  pids=
  for part in "$3".part.*; do
    [ -f "$part" ] || continue
    (cd -- "$1" && xargs -0r sha256sum -- < "$part" > "$part.sum") & pids="$pids $!"
  done
  ok=0
  for p in $pids; do wait "$p" || ok=1; done
  cat "$3".part.*.sum 2>/dev/null | sort -t ' ' -k 3 > "$3"
  rm -f -- "$3".part.*
  return "$ok"
}`;

/**
 * Phase 1 of the copy, while PowerMTA keeps running. $1 old spool, $2 new dir, $3 state dir,
 * $4 id. Marks the time (any file PowerMTA changes after the mark has a newer ctime), copies
 * with cp -a (owners, modes, timestamps), marks again (anything changing the copy after that
 * is copied again), and hashes both trees into work manifests. Files PowerMTA writes or removes
 * meanwhile are handled by the final pass; errors about them are expected and only counted.
 */
export const PRECOPY = `set -u
src=$1; dst=$2; dir=$3; id=$4; w=$dir/$id.work
${COPY_FNS}
mkdir -p -- "$dir" && rm -rf -- "$w" && mkdir -m 700 -- "$w" || exit 1
chown --reference="$src" -- "$dst" && chmod --reference="$src" -- "$dst" || exit 1
touch -- "$w/mark" || exit 1
# Timestamps are coarse (a clock tick): changes in the mark's own tick happen before the copy starts.
sleep 1
if ! cp -a -- "$src/." "$dst/" 2> "$w/precopy.err"; then
  # Files delivered while copying vanish (ENOENT): the final pass deals with them. Any other
  # error (no space left, I/O error, read-only) would fail the final pass too: stop here,
  # while the service still runs, instead of stopping it for a copy that cannot succeed.
  if grep -v 'No such file or directory' "$w/precopy.err" | grep -q .; then
    echo "pre-copy of $src to $dst failed:" >&2
    grep -v 'No such file or directory' "$w/precopy.err" | head -n 5 >&2
    df -h -- "$dst" >&2
    exit 1
  fi
  echo "pre-copy: $(wc -l < "$w/precopy.err") files changed while copying (the final pass takes them)"
fi
touch -- "$w/mark-new" || exit 1
sleep 1
scan "$src" "$w/mark" "$w/old.pre" && scan "$dst" "$w/mark-new" "$w/new.pre" || exit 1
hash_list "$src" "$w/old.pre.files" "$w/old.pre" & a=$!
hash_list "$dst" "$w/new.pre.files" "$w/new.pre" & b=$!
wait "$a"; wait "$b"
echo "pre-copied $(wc -l < "$w/new.pre.files") files to $dst while the service ran; hashed $(wc -l < "$w/old.pre") + $(wc -l < "$w/new.pre")"`;

/**
 * Phase 2, with PowerMTA stopped: make the new tree a mirror of the old one, then verify all of
 * it. $1 old spool, $2 new dir, $3 state dir, $4 id.
 * - copies again (cp -a) every file whose ctime is newer than the pre-copy mark, that is
 *   missing in the copy, or whose copy was touched after the pre-copy; removes from the copy
 *   the files (and directories) gone from the old spool (delivered meanwhile);
 * - manifests of both sides: a pre-copy hash is reused only for a file not changed since the
 *   mark (ctime, which no one can set back) and not copied again; every other file is hashed
 *   now. Both manifests list every file; they must be equal, as must counts and byte totals.
 * Writes $3/$4.manifest (old spool) and $4.manifest-new (copy). File names with a backslash
 * (escaped by sha256sum) fall back to hashing everything now (slower, same result).
 */
export const FINAL_SYNC_AND_VERIFY = `set -u
src=$1; dst=$2; dir=$3; id=$4; w=$dir/$id.work
${COPY_FNS}
[ -f "$w/mark" ] && [ -f "$w/mark-new" ] || { echo "no pre-copy of $src in $w" >&2; exit 1; }
scan "$src" "$w/mark" "$w/old" & a=$!
scan "$dst" "$w/mark-new" "$w/before" & b=$!
wait "$a" && wait "$b" || exit 1
comm -23 "$w/old.files" "$w/before.files" | sort -m - "$w/old.changed" "$w/before.changed" | uniq | comm -12 - "$w/old.files" > "$w/recopy"
comm -13 "$w/old.files" "$w/before.files" > "$w/gone"
(cd -- "$dst" && tr '\\n' '\\0' < "$w/gone" | xargs -0r rm -f --) || exit 1
comm -13 "$w/old.dirs" "$w/before.dirs" | sort -r | (cd -- "$dst" && tr '\\n' '\\0' | xargs -0r rmdir --) || exit 1
comm -23 "$w/old.dirs" "$w/before.dirs" | while IFS= read -r d; do
  mkdir -p -- "$dst/$d" && chown --reference="$src/$d" -- "$dst/$d" && chmod --reference="$src/$d" -- "$dst/$d" || exit 1
done || exit 1
(cd -- "$src" && tr '\\n' '\\0' < "$w/recopy" | xargs -0r cp -a --parents -t "$dst" --) || { echo "final copy pass failed" >&2; exit 1; }
scan "$dst" "$w/mark-new" "$w/new" || exit 1
full=no
grep -q '\\\\' "$w/old.files" && full=yes
reuse() { # PRE LIST OUT: pre-copy hashes still valid for files of LIST; OUT.todo: the rest
  if [ "$full" = yes ]; then : > "$3"; else
    awk -v L="$2" -v X="$w/recopy" 'BEGIN { while ((getline l < L) > 0) ok[l] = 1; while ((getline l < X) > 0) delete ok[l] }
      substr($0, 1, 1) != "\\\\" { p = substr($0, 67); if (p in ok) { print; delete ok[p] } }' "$1" > "$3"
  fi
  cut -c 67- "$3" | sort | comm -23 "$2" - > "$3.todo"
}
reuse "$w/old.pre" "$w/old.files" "$w/old.kept" & a=$!
reuse "$w/new.pre" "$w/new.files" "$w/new.kept" & b=$!
wait "$a" && wait "$b" || exit 1
hash_list "$src" "$w/old.kept.todo" "$w/old.now" & a=$!
hash_list "$dst" "$w/new.kept.todo" "$w/new.now" & b=$!
wait "$a" && wait "$b" || { echo "hashing failed" >&2; exit 1; }
sort -m -t ' ' -k 3 "$w/old.kept" "$w/old.now" > "$dir/$id.manifest" || exit 1
sort -m -t ' ' -k 3 "$w/new.kept" "$w/new.now" > "$dir/$id.manifest-new" || exit 1
n=$(wc -l < "$w/old.files"); m=$(wc -l < "$dir/$id.manifest")
[ "$n" = "$m" ] || { echo "manifest of $src lists $m files, the spool holds $n" >&2; exit 1; }
if ! cmp -s -- "$dir/$id.manifest" "$dir/$id.manifest-new"; then
  echo "the copy in $dst differs from $src:" >&2
  diff -- "$dir/$id.manifest" "$dir/$id.manifest-new" | head -n 20 >&2
  exit 1
fi
x=$(cat "$w/old.bytes"); y=$(cat "$w/new.bytes")
[ "$x" = "$y" ] || { echo "byte totals differ: $x in $src, $y in $dst" >&2; exit 1; }
echo "final pass: copied $(wc -l < "$w/recopy") new or changed files, removed $(wc -l < "$w/gone") delivered ones"
echo "verified $n files, $x bytes: sha256 of every file ($(wc -l < "$w/old.kept.todo") + $(wc -l < "$w/new.kept.todo") hashed now, the rest unchanged since the pre-copy; manifest $dir/$id.manifest)"
rm -rf -- "$w"`;

/**
 * Undo of the switch: brings the old spool back into use, carrying back what PowerMTA did on
 * the new spool. $1 init, $2 service, $3 process, $4 old spool, $5 kept name, $6 new dir,
 * $7 filesystem UUID of the new disk, $8 manifest of the original spool, $9 pid file.
 * The service is stopped first; then every file of the new spool is copied over the old one
 * (new mail, and messages PowerMTA updated, win) and compared byte for byte; files of the
 * original manifest that are gone from the new spool (delivered there) are removed from the old
 * one only when the new spool is really our mounted disk. No message file is ever dropped.
 */
export const CARRY_BACK = `set -u
${STOP_SERVICE_FN}
init=$1; svc=$2; proc=$3; old=$4; kept=$5; new=$6; uuid=$7; manifest=$8; pidfile=$9
stop_service "$init" "$svc" "$proc" "$pidfile" || { echo "not touching the spools while $svc runs" >&2; exit 1; }
if [ "$kept" != "$old" ] && [ -d "$kept" ] && [ ! -e "$old" ]; then mv -T -- "$kept" "$old" || exit 1; fi
[ -d "$old" ] || { echo "the old spool $old is missing" >&2; exit 1; }
ours=no
[ "$(findmnt -n -o UUID --mountpoint "$new" 2>/dev/null)" = "$uuid" ] && ours=yes
if [ "$ours" = yes ]; then
  cp -a -- "$new/." "$old/" || exit 1
  # Every file of the new spool must now be in the old one, byte for byte (one diff process,
  # not one cmp per file); files only in the old spool are dealt with below.
  diff -rq -- "$new" "$old" 2>&1 | awk -v o="$old" 'index($0, "Only in " o ": ") == 1 || index($0, "Only in " o "/") == 1 { next }
    { print "not carried back: " $0 > "/dev/stderr"; bad = 1 } END { exit bad }' || exit 1
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

/** Undo of mkfs: wipes the signatures of $1 only when it carries our UUID $2 and is not mounted. */
export const WIPE_OUR_FILESYSTEM = `dev=$1; uuid=$2
[ -b "$dev" ] || exit 0
found=$(blkid -p -s UUID -o value -- "$dev" 2>/dev/null)
[ "$found" = "$uuid" ] || { echo "$dev does not carry filesystem $uuid (found '$found'); left untouched" >&2; exit 0; }
if awk -v d="$(readlink -f -- "$dev")" '$1 == d { f = 1 } END { exit !f }' /proc/mounts; then echo "$dev is mounted; not wiping" >&2; exit 1; fi
i=0
until wipefs -a -- "$dev"; do
  i=$((i + 1)); [ "$i" -ge 15 ] && exit 1
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

export { ABANDON_COPIES, UMOUNT_IF_MOUNTED } from './leftover-copies.js';
