/** Where things are: the repository, the compiled code the benchmarks import, the results. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const benchRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = join(benchRoot, '..');
export const resultsDir = join(benchRoot, 'results');
export const mtafleetBin = join(repoRoot, 'bin', 'mtafleet.js');
/**
 * `node` arguments that run mtafleet as the `mtafleet` command does: the node flags of the
 * launcher's `#!/usr/bin/env -S node ...` line, then the launcher (same node as the benchmark).
 */
export const mtafleetArgs = [...launcherFlags(), mtafleetBin];

function launcherFlags() {
  const first = readFileSync(mtafleetBin, 'utf8').split('\n', 1)[0];
  const m = /^#!\/usr\/bin\/env (?:-S )?node\b(.*)$/.exec(first);
  return m ? m[1].trim().split(/\s+/).filter(Boolean) : [];
}

/** Absolute path of a compiled module under dist/ (run `npm run build` first). */
export function dist(relative) {
  return join(repoRoot, 'dist', relative);
}
