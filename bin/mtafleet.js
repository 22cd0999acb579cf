#!/usr/bin/env -S node --max-semi-space-size=32
// The node flag: a 32 MB young generation (V8's default is 16 MB) halves the collections of a
// fleet-wide audit's short-lived parse objects (bench `scale`: -12 % CPU at 3,000 hosts, +60 MB).
// Entry point: runs the compiled CLI from dist/ (built by `npm install` via the prepare script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { fresher, loadBundle } from './load-bundle.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const main = join(root, 'dist', 'cli', 'main.js');
if (!existsSync(main)) {
  // A checkout whose build was skipped (e.g. npm install --ignore-scripts): build once.
  const { execFileSync } = await import('node:child_process');
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
}
// The bundle (scripts/bundle-cli.mjs) starts faster; it is used only when it was made from
// the current dist/ (not older than main.js), so a tsc-only rebuild is never shadowed.
const bundle = join(root, 'dist', 'cjs', 'mtafleet.cjs');
// MTAF_CLI_UNBUNDLED=1: run dist/cli as compiled, so a CPU profile names the real functions.
const cli = fresher(bundle, main) && process.env.MTAF_CLI_UNBUNDLED !== '1' ? loadBundle(bundle).cli : { ...(await import(join(root, 'dist', 'cli', 'closed-pipe.js'))), ...(await import(main)) };
cli.dropWritesOnClosedPipe(process.stdout);
cli.dropWritesOnClosedPipe(process.stderr);
process.exitCode = await cli.main(process.argv);
