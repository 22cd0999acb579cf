#!/usr/bin/env node
// Entry point: runs the compiled CLI from dist/ (built by `npm install` via the prepare script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const main = join(root, 'dist', 'cli', 'main.js');
if (!existsSync(main)) {
  // A checkout whose build was skipped (e.g. npm install --ignore-scripts): build once.
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
}
const { dropWritesOnClosedPipe } = await import(join(root, 'dist', 'cli', 'closed-pipe.js'));
dropWritesOnClosedPipe(process.stdout);
dropWritesOnClosedPipe(process.stderr);
const { main: run } = await import(main);
process.exitCode = await run(process.argv);
