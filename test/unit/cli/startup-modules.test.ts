/**
 * Start-up stays fast (issue 17): what the CLI loads before any command runs — every
 * command's name, description and options, enough for --help and --version — must not pull in
 * the heavy modules (zod, ssh2, listr2, the engine, the inventory loader, the probes...). A
 * command loads those with import() when it runs. Read from esbuild's module graph of
 * src/cli/main.ts: static imports only (dynamic import() is where a command's own part starts).
 */
import { build, type Metafile } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..', '..');

const HEAVY = [
  /node_modules\/(zod|ssh2|listr2|csv-parse|diff|ssh-config)\//,
  /^src\/(engine|audit|probes|inventory|lab|steps|diagnose|approval|pmta)\//,
  /^src\/transport\/(index|ssh|fleet|spec)\.ts$/,
  /^src\/report\/(index|html|table|markdown|plan|json)\.ts$/,
  /^src\/playbook\/(index|load)\.ts$/,
];

async function startupModules(): Promise<string[]> {
  const r = await build({
    entryPoints: [join(ROOT, 'src/cli/main.ts')],
    absWorkingDir: ROOT,
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'node',
    external: ['ssh2'],
    logLevel: 'silent',
  });
  const inputs: Metafile['inputs'] = r.metafile.inputs;
  const seen = new Set<string>(['src/cli/main.ts']);
  const queue = ['src/cli/main.ts'];
  while (queue.length > 0) {
    for (const imp of inputs[queue.shift()!]!.imports) {
      if (imp.kind !== 'import-statement' || seen.has(imp.path) || !inputs[imp.path]) continue;
      seen.add(imp.path);
      queue.push(imp.path);
    }
  }
  // node_modules may be a symlink: keep the part from node_modules/ on.
  return [...seen].map((p) => p.replace(/^.*?(node_modules\/)/, '$1'));
}

describe('CLI start-up', () => {
  it('loads the command table without the heavy modules', async () => {
    const modules = await startupModules();
    expect(modules).toContain('src/cli/commands.ts');
    expect(modules).toContain('src/cli/audit.ts');
    expect(modules.some((m) => m.startsWith('node_modules/commander/'))).toBe(true);
    expect(modules.filter((m) => HEAVY.some((re) => re.test(m)))).toEqual([]);
  }, 30_000);

  it('would notice a command that imports a heavy module at the top', async () => {
    // The same graph walk, from a module that does: the check above is not blind.
    const r = await build({ stdin: { contents: "import '../../src/inventory/index.js';", resolveDir: join(ROOT, 'test/unit'), loader: 'ts' }, absWorkingDir: ROOT, bundle: true, write: false, metafile: true, format: 'esm', platform: 'node', external: ['ssh2'], logLevel: 'silent' });
    const names = Object.keys(r.metafile.inputs).map((p) => p.replace(/^.*?(node_modules\/)/, '$1'));
    expect(names.filter((m) => HEAVY.some((re) => re.test(m))).length).toBeGreaterThan(5);
  }, 30_000);
});

describe('the bundled CLI (npm run build)', () => {
  it('loads with the code cache the build wrote, which V8 accepts under the launcher\'s node flags', async () => {
    // @ts-expect-error plain .js module without type declarations
    const { cacheFileOf, launcherNodeFlags } = await import('../../../bin/load-bundle.js');
    const bundle = join(ROOT, 'dist', 'cjs', 'mtafleet.cjs');
    expect(existsSync(bundle) && existsSync(cacheFileOf(bundle)), 'dist/cjs/ is missing: run `npm run build`').toBe(true);
    // V8 accepts a code cache only under the flags it was made with: node as the `mtafleet`
    // command starts it (bin/mtafleet.js's #! line).
    const probe = `import(${JSON.stringify(join(ROOT, 'bin', 'load-bundle.js'))}).then(({ loadBundle }) => {
      const { cli, script } = loadBundle(${JSON.stringify(bundle)});
      console.log(JSON.stringify({ main: typeof cli.main, drop: typeof cli.dropWritesOnClosedPipe, rejected: script.cachedDataRejected }));
    })`;
    const loaded = (flags: string[]) => JSON.parse(execFileSync(process.execPath, [...flags, '-e', probe], { encoding: 'utf8' })) as { main: string; drop: string; rejected: boolean };
    const flags = launcherNodeFlags(join(ROOT, 'bin', 'mtafleet.js')) as string[];
    expect(loaded(flags)).toEqual({ main: 'function', drop: 'function', rejected: false });
  });

  it('is used only when not older than the tsc output, and its cache only when not older than it', async () => {
    // @ts-expect-error plain .js module without type declarations
    const { fresher } = await import('../../../bin/load-bundle.js');
    const dir = mkdtempSync(join(tmpdir(), 'mtaf-bundle-'));
    try {
      const [a, b] = [join(dir, 'a'), join(dir, 'b')];
      writeFileSync(a, '');
      writeFileSync(b, '');
      utimesSync(a, 1000, 1000);
      utimesSync(b, 2000, 2000);
      expect(fresher(b, a)).toBe(true);
      expect(fresher(a, b)).toBe(false);
      expect(fresher(join(dir, 'missing'), a)).toBe(false);
      expect(fresher(a, join(dir, 'missing'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
