import { sh, type Command } from '../transport/quote.js';

/**
 * Asking the host's own PowerMTA whether it accepts a config before anything is changed.
 *
 * `pmta test config` (UG §6.3.38) checks "the syntax of the configuration file ... without
 * reloading PMTA's running configuration"; it takes no file argument, it checks the installed
 * path. So a candidate is tested read-only: copied to a private temp dir and bind-mounted over
 * the installed file(s) inside a private mount namespace (`unshare --mount`) that lives only
 * as long as the test. The file on disk and the running configuration stay as they are.
 * That needs root (mount namespaces) and util-linux `unshare`; without them the answer is
 * "unchecked", never a guess.
 *
 * Modes: `append FILE`: stdin is text appended to a copy of FILE (the audit: a few directive
 * lines). `replace FILE...`: stdin holds one base64 line per FILE, its whole new text (a step's
 * planned edit). Output: `mtafleet-untested REASON`, or `mtafleet-rc N` then pmta's output.
 */
export const TRY_CONFIG_SCRIPT = `set -u
mode=$1; shift
[ "$(id -u)" = 0 ] || { echo 'mtafleet-untested not root (testing a copy needs a private mount namespace)'; exit 0; }
command -v unshare >/dev/null 2>&1 || { echo 'mtafleet-untested unshare (util-linux) not found'; exit 0; }
command -v pmta >/dev/null 2>&1 || { echo 'mtafleet-untested pmta not found'; exit 0; }
dir=$(mktemp -d) || exit 1
trap 'rm -rf -- "$dir"' EXIT
if [ "$mode" = append ]; then
  { cat -- "$1" && printf '\\n' && cat; } > "$dir/1" || exit 1
else
  awk -v d="$dir" '{ f = d "/" NR ".b64"; print > f; close(f) }' || exit 1
  i=0
  for t in "$@"; do i=$((i + 1)); base64 -d < "$dir/$i.b64" > "$dir/$i" || exit 1; done
fi
out=$(unshare --mount --propagation private sh -c 'd=$1; shift; i=0
for t in "$@"; do i=$((i + 1)); mount --bind "$d/$i" "$t" || exit 97; done
exec pmta test config' sh "$dir" "$@" 2>&1)
rc=$?
if [ "$rc" = 97 ]; then printf 'mtafleet-untested the copy could not be mounted over the config: %s\\n' "$out"; exit 0; fi
printf 'mtafleet-rc %s\\n%s\\n' "$rc" "$out"
`;

export interface ConfigTestResult {
  /** accepted / rejected by `pmta test config`; unchecked when the test could not run. */
  verdict: 'accepted' | 'rejected' | 'unchecked';
  /** pmta's answer (rejections: `Error in line N of FILE: ...`), or why it was not asked. */
  output: string;
}

/** The audit's check: FILE with `lines` appended, tested as if installed. */
export function tryAppendCommand(file: string, lines: string[]): { command: Command; stdin: string } {
  return { command: sh`sh -c ${TRY_CONFIG_SCRIPT} mtafleet-try-config append ${file}`, stdin: `${lines.join('\n')}\n` };
}

/** A step's check: each file's whole new text, tested as if installed. */
export function tryReplaceCommand(files: Array<{ path: string; text: string }>): { command: Command; stdin: string } {
  const paths = files.map((f) => f.path);
  const stdin = files.map((f) => `${Buffer.from(f.text).toString('base64')}\n`).join('');
  return { command: sh`sh -c ${TRY_CONFIG_SCRIPT} mtafleet-try-config replace ${paths}`, stdin };
}

/** Pure: the script's output to a verdict. Exit code 0 without an "Error in line" is accepted. */
export function parseTryConfig(stdout: string, exitCode: number | null, stderr = ''): ConfigTestResult {
  const untested = /^mtafleet-untested (.*)$/m.exec(stdout);
  if (untested) return { verdict: 'unchecked', output: untested[1].trim() };
  const rc = /^mtafleet-rc (\d+)\n?/m.exec(stdout);
  if (!rc || exitCode !== 0) {
    return { verdict: 'unchecked', output: `the test did not run (exit ${exitCode ?? 'signal'}): ${(stderr || stdout).trim().slice(0, 300)}` };
  }
  const output = stdout.slice(rc.index + rc[0].length).trim().slice(0, 1000);
  const rejected = rc[1] !== '0' || /^Error in line \d+ of /m.test(output);
  return { verdict: rejected ? 'rejected' : 'accepted', output };
}
