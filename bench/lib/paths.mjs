/** Where things are: the repository, the compiled code the benchmarks import, the results. */
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const benchRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = join(benchRoot, '..');
export const resultsDir = join(benchRoot, 'results');
export const mtafleetBin = join(repoRoot, 'bin', 'mtafleet.js');

/** Absolute path of a compiled module under dist/ (run `npm run build` first). */
export function dist(relative) {
  return join(repoRoot, 'dist', relative);
}
