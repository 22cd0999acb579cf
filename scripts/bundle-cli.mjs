// Bundles the compiled CLI (dist/) into dist/bundle/ so start-up reads a few files instead of
// hundreds of modules (issue 17). dist/bundle/ is two levels deep, as dist/cli/ is, so the
// paths modules find from import.meta.url (playbooks/, src/lab/assets/) still hold. Run by `npm run build` after tsc; bin/mtafleet.js uses the
// bundle only when it is at least as new as dist/cli/main.js, so a tsc-only rebuild is never
// shadowed by an old bundle. Each command's heavy modules are dynamic imports (src/cli/*.ts),
// which become separate chunks here, loaded when that command runs.
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { rmSync } from 'node:fs';

// zod's `z` namespace re-exports all ~50 locales (`z.locales`), which esbuild cannot shake;
// mtafleet uses only the English messages zod sets by default. Fewer bytes to parse at start.
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

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'bundle');
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
  outdir: out,
  entryNames: 'main',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // ssh2 loads native addons (.node files) by relative path: it stays a package in node_modules.
  external: ['ssh2'],
  // CommonJS packages (commander, yaml) call require() for node's own modules.
  banner: { js: "import { createRequire as __mtafleetCreateRequire } from 'node:module'; const require = __mtafleetCreateRequire(import.meta.url);" },
  plugins: [zodEnglishOnly],
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
});
