/** Where things are: the repository, the compiled code the benchmarks import, the results. */
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { launcherNodeFlags } from '../../bin/load-bundle.js';

export const benchRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = join(benchRoot, '..');
export const resultsDir = join(benchRoot, 'results');
export const mtafleetBin = join(repoRoot, 'bin', 'mtafleet.js');
/**
 * `node` arguments that run mtafleet as the `mtafleet` command does: the node flags of the
 * launcher's `#!/usr/bin/env -S node ...` line, then the launcher (same node as the benchmark).
 */
export const mtafleetArgs = [...launcherNodeFlags(mtafleetBin), mtafleetBin];

/** Absolute path of a compiled module under dist/ (run `npm run build` first). */
export function dist(relative) {
  return join(repoRoot, 'dist', relative);
}
