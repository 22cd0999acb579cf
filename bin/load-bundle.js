// Loads the bundled CLI (dist/cjs/mtafleet.cjs, made by scripts/bundle-cli.mjs) with V8's code
// cache: the bytecode compiled when the build ran the CLI once is reused, so a short command
// does not compile the YAML parser, zod and commander again on every start (issue 17).
// Shared by bin/mtafleet.js and the build, which must wrap the source the same way for V8 to
// accept the cache. A cache V8 rejects (another node version, other flags) is ignored.
import { readFileSync, statSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

/**
 * The node flags of a launcher's `#!/usr/bin/env -S node FLAGS` line. V8 accepts a code cache
 * only under the flags it was made with, so the build makes it under these.
 */
export function launcherNodeFlags(launcher) {
  const first = readFileSync(launcher, 'utf8').split('\n', 1)[0];
  const m = /^#!\/usr\/bin\/env (?:-S )?node\b(.*)$/.exec(first);
  return m ? m[1].trim().split(/\s+/).filter(Boolean) : [];
}

/** The file exists and is at least as new as `than` (also when `than` is missing). */
export function fresher(file, than) {
  let mtime;
  try {
    mtime = statSync(file).mtimeMs;
  } catch {
    return false;
  }
  try {
    return mtime >= statSync(than).mtimeMs;
  } catch {
    return true;
  }
}

export function cacheFileOf(bundle) {
  return `${bundle}.v8cache`;
}

/** Runs the bundle; returns its exports and the compiled script (the build asks it for a new cache). */
export function loadBundle(bundle, { useCache = true } = {}) {
  const cacheFile = cacheFileOf(bundle);
  const cachedData = useCache && fresher(cacheFile, bundle) ? readFileSync(cacheFile) : undefined;
  const script = new Script(Module.wrap(readFileSync(bundle, 'utf8')), { filename: bundle, ...(cachedData ? { cachedData } : {}) });
  const mod = { exports: {} };
  script.runInThisContext().call(mod.exports, mod.exports, createRequire(bundle), mod, bundle, dirname(bundle));
  return { cli: mod.exports, script };
}
