import { createHash } from 'node:crypto';
import { argv, script, sh } from '../../transport/quote.js';
import { execAction, fileDiff, writeFileAction } from '../actions.js';
import type { Change } from '../types.js';

/**
 * Writing a PowerMTA config file safely. One remote script (a constant; the file and backup
 * paths are quoted arguments, the new text comes on stdin) writes a temp file in the same
 * directory with the old file's mode and owner, keeps a backup copy, renames the temp file
 * over the old one and runs `pmta test config`; on rejection the old bytes are renamed back
 * before the script exits non-zero, so a rejected config is never left in place.
 * (`pmta test config` only checks the installed path, so the candidate is tested in place,
 * within this one script, and restored immediately when rejected.)
 */
export const WRITE_VALIDATED_CONFIG = `set -u
target=$1; backup=$2
dir=$(dirname -- "$target")
tmp=$(mktemp "$dir/.mtafleet-new.XXXXXX") || exit 1
trap 'rm -f -- "$tmp"' EXIT
cat > "$tmp" || exit 1
if [ -e "$target" ]; then
  chmod --reference="$target" -- "$tmp" && chown --reference="$target" -- "$tmp" 2>/dev/null
  cp -p -- "$target" "$backup" || exit 1
fi
sync -- "$tmp" 2>/dev/null || sync
mv -f -- "$tmp" "$target" || exit 1
if out=$(pmta test config 2>&1); then
  printf '%s\\n' "$out"
  exit 0
fi
if [ -e "$backup" ]; then
  cp -p -- "$backup" "$tmp" && mv -f -- "$tmp" "$target"
else
  rm -f -- "$target"
fi
printf 'pmta test config rejected the new %s (the previous file is back in place): %s\\n' "$target" "$out" >&2
exit 1
`;

/** Reloads PowerMTA only when it is running (used after restoring a config on undo). */
export const RELOAD_IF_RUNNING = script('if pmta show status >/dev/null 2>&1; then pmta reload; fi');

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Backup name next to the file, derived from the old bytes so the plan stays deterministic. */
export function backupPath(file: string, before: string): string {
  return `${file}.mtafleet-bak-${sha256(before).slice(0, 12)}`;
}

/** The actions that install `after` over `file` with validation; verify checks the bytes. */
export function validatedWrite(file: string, before: string, after: string) {
  return {
    do: execAction(sh`sh -c ${WRITE_VALIDATED_CONFIG} mtafleet-write-config ${file} ${backupPath(file, before)}`, { stdin: after }),
    verify: execAction(argv('sha256sum', '--', file), { expectStdout: `^${sha256(after)}\\s` }),
  };
}

/** A change that rewrites one config file (validated), undone by restoring the old bytes and reloading. */
export function configFileChange(file: string, before: string, after: string, summary: string, reloadOnUndo: boolean): Change {
  const write = validatedWrite(file, before, after);
  return {
    summary,
    label: 'exact',
    diff: fileDiff(file, before, after),
    do: [write.do],
    undo: [writeFileAction(file, before), ...(reloadOnUndo ? [execAction(RELOAD_IF_RUNNING)] : [])],
    verify: [write.verify],
  };
}
