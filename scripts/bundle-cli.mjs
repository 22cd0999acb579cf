// Bundles the compiled CLI (dist/) into one file, dist/cjs/mtafleet.cjs, and writes V8's code
// cache for it (issue 17: start-up). Run by `npm run build` after tsc. bin/mtafleet.js uses the
// bundle only when it is at least as new as dist/cli/main.js, so a tsc-only rebuild is never
// shadowed by an old bundle, and the cache only when it is at least as new as the bundle.
//  - Each command's heavy modules are dynamic imports (src/cli/*.ts): in the bundle they are
//    modules initialised on first use, so a command runs only its own modules' top level.
//  - CommonJS, not ESM, because node 20 can give a code cache only to a vm.Script.
//  - dist/cjs/ is two levels deep, as dist/cli/ is, so the paths modules find from
//    import.meta.url (playbooks/, src/lab/assets/) still hold.
//  - The cache holds the bytecode of what `--help` and `inventory --graph` ran (commander, the
//    YAML parser, zod, the inventory loader); other code compiles lazily as usual. It is made
//    under the node flags of bin/mtafleet.js's #! line: V8 rejects a cache made under others.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { cacheFileOf, launcherNodeFlags, loadBundle } from '../bin/load-bundle.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const flags = launcherNodeFlags(join(root, 'bin', 'mtafleet.js'));
if (flags.some((f) => !process.execArgv.includes(f))) {
  const r = spawnSync(process.execPath, [...flags, fileURLToPath(import.meta.url)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
const out = join(root, 'dist', 'cjs');
const bundle = join(out, 'mtafleet.cjs');

// zod's `z` namespace re-exports all ~50 locales (`z.locales`), which esbuild cannot shake;
// mtafleet uses only the English messages zod sets by default. Fewer bytes to load at start.
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/](classic|core)[\\/]/.test(args.importer) ? { path: 'zod-locales', namespace: 'zod-english-only' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, () => ({
      contents: `export { default as en } from ${JSON.stringify(join(root, 'node_modules', 'zod', 'v4', 'locales', 'en.js'))};`,
      resolveDir: root,
    }));
  },
};

rmSync(out, { recursive: true, force: true });
let build;
try {
  ({ build } = await import('esbuild'));
} catch {
  // esbuild is a devDependency: without it the CLI runs unbundled from dist/cli (slower start).
  process.stderr.write('bundle-cli: esbuild is not installed; mtafleet will start from dist/cli/main.js (slower start-up)\n');
  process.exit(0);
}
await build({
  stdin: {
    contents: "export { main } from './main.js';\nexport { dropWritesOnClosedPipe } from './closed-pipe.js';\n",
    resolveDir: join(root, 'dist', 'cli'),
    sourcefile: 'bundle-entry.js',
  },
  outfile: bundle,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // ssh2 and better-sqlite3 load native addons (.node files) by relative path, and pg requires
  // its optional native part only if present: they stay packages in node_modules.
  external: ['ssh2', 'better-sqlite3', 'pg'],
  // import() becomes a lazy require(): a vm.Script has no module loader for import().
  supported: { 'dynamic-import': false },
  define: { 'import.meta.url': '__mtafleetModuleUrl' },
  banner: { js: "const __mtafleetModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  plugins: [zodEnglishOnly],
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
});

// Run the bundle once as the commands that must start fast do, output dropped, then keep the
// bytecode V8 compiled for it.
const { cli, script } = loadBundle(bundle, { useCache: false });
const example = join(root, 'inventory.example.yaml');
const writes = { out: process.stdout.write, err: process.stderr.write };
process.stdout.write = process.stderr.write = () => true;
try {
  await cli.main(['node', 'mtafleet', '--help']);
  if (existsSync(example)) await cli.main(['node', 'mtafleet', 'inventory', '--graph', '-i', example]);
} finally {
  process.stdout.write = writes.out;
  process.stderr.write = writes.err;
  process.exitCode = undefined;
}
writeFileSync(cacheFileOf(bundle), script.createCachedData());
