/**
 * Copy scripts a killed or cut-off runner left running on the host (closing an SSH channel does
 * not stop its command): found by their own name and destination, stopped with their process
 * group, before an unmount or before their work files are removed.
 */
/**
 * Shell function: stop_leftover_copies DIR stops our copy scripts
 * (mtafleet-precopy, mtafleet-final-copy) that still write into DIR — left running on the host
 * when their runner was killed or cut off (closing an SSH channel does not stop its command) —
 * with their whole process group (the remote timeout wrapper: cp, find, sha256sum...), then
 * removes the work files and manifests they were writing. Matches on the script's own name and
 * destination argument only, so nothing else is touched.
 */
const STOP_LEFTOVER_COPIES_FN = `stop_leftover_copies() {
  for c in $(grep -l -a -F -e mtafleet-precopy -e mtafleet-final-copy /proc/[0-9]*/cmdline 2>/dev/null); do
    p=\${c#/proc/}; p=\${p%/cmdline}
    [ "$p" = "$$" ] && continue
    args=$(tr '\\0\\n' '\\n ' < "$c" 2>/dev/null) || continue
    name=$(printf '%s\\n' "$args" | sed -n 4p); dst=$(printf '%s\\n' "$args" | sed -n 6p)
    case "$name" in mtafleet-precopy|mtafleet-final-copy) ;; *) continue ;; esac
    [ "$dst" = "$1" ] || continue
    dir=$(printf '%s\\n' "$args" | sed -n 7p); id=$(printf '%s\\n' "$args" | sed -n 8p)
    g=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -d ' ' -f 3)
    if [ -n "$g" ] && [ "$g" -gt 1 ] && [ "$g" != "$(sed 's/.*) //' /proc/$$/stat | cut -d ' ' -f 3)" ]; then
      echo "stopping $name (pid $p) left writing into $1"
      kill -TERM "-$g" 2>/dev/null
      i=0
      while kill -0 "$p" 2>/dev/null && [ "$i" -lt 100 ]; do i=$((i + 1)); sleep 0.1; done
      kill -KILL "-$g" 2>/dev/null
    fi
    case "$id" in ''|*/*|.*) ;; *) [ -n "$dir" ] && rm -rf -- "$dir/$id.work" "$dir/$id.manifest" "$dir/$id.manifest-new" ;; esac
  done
  return 0
}`;

/**
 * Unmounts $1 if something is mounted there: first stops our own copy scripts left writing
 * into it, and retries for a while if it is still busy (processes just exiting).
 */
export const UMOUNT_IF_MOUNTED = `${STOP_LEFTOVER_COPIES_FN}
mountpoint -q -- "$1" || exit 0
stop_leftover_copies "$1"
i=0
until umount -- "$1"; do
  i=$((i + 1)); [ "$i" -ge 20 ] && exit 1
  sleep 0.5
done`;

/**
 * Undo of the pre-copy, after its work files are removed: stops our copy scripts still writing
 * into $1 (the new spool) and removes the files they would leave in $2 (state dir) for id $3.
 */
export const ABANDON_COPIES = `${STOP_LEFTOVER_COPIES_FN}
stop_leftover_copies "$1"
# A helper of a stopped copy may still be exiting: retry for a few seconds before failing.
i=0
until rm -rf -- "$2/$3.work" "$2/$3.manifest" "$2/$3.manifest-new" 2>/dev/null; do
  i=$((i + 1)); [ "$i" -ge 25 ] && { rm -rf -- "$2/$3.work" "$2/$3.manifest" "$2/$3.manifest-new"; exit 1; }
  sleep 0.2
done`;
