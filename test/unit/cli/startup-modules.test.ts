/**
 * Start-up stays fast (issue 17): what the CLI loads before any command runs — every
 * command's name, description and options, enough for --help and --version — must not pull in
 * the heavy modules (zod, ssh2, listr2, the engine, the inventory loader, the probes...). A
 * command loads those with import() when it runs. Read from esbuild's module graph of
 * src/cli/main.ts: static imports only (dynamic import() is where a command's own part starts).
 */
import { build, type Metafile } from 'esbuild';
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
