/**
 * Remote temporary files (issue 8, Security): the atomic write creates its temp file with
 * mktemp in the target's own directory and renames it over the target; the probe batch gets a
 * private mktemp -d directory and stops rather than fall back to an empty path; no source file
 * names a predictable /tmp path except the one guarded fallback.
 * The generated shell runs here under `sh` with logging shims for mktemp and mv in PATH.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileCommand } from '../../src/transport/files.js';
import { PREAMBLE } from '../../src/probes/preamble.js';

let dir: string;
let shims: string;
let log: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mtaf-rel-tmpf-'));
  shims = join(dir, 'shims');
  mkdirSync(shims);
  log = join(dir, 'calls.log');
  for (const tool of ['mktemp', 'mv']) {
    const real = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    writeFileSync(join(shims, tool), `#!/bin/sh\nprintf '%s' ${tool} >> ${log}\nfor a in "$@"; do printf ' [%s]' "$a" >> ${log}; done\necho >> ${log}\nexec ${real} "$@"\n`);
    chmodSync(join(shims, tool), 0o755);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runShell(text: string, stdin: string, env: Record<string, string> = {}) {
  writeFileSync(log, '');
  const r = spawnSync('sh', ['-c', text], { input: stdin, encoding: 'utf8', env: { ...process.env, PATH: `${shims}:${process.env.PATH}`, ...env } });
  return { ...r, calls: readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) };
}

describe('remote temporary files', () => {
  it('writeFileAtomic: mktemp in the target directory, then mv over the target; nothing left behind', () => {
    const target = join(dir, 'etc', 'app.conf');
    mkdirSync(join(dir, 'etc'));
    writeFileSync(target, 'old\n');
    const r = runShell(writeFileCommand(target, { mode: 0o640 }).text, 'new content\n');
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(target, 'utf8')).toBe('new content\n');
    const mktemp = r.calls.filter((c) => c.startsWith('mktemp'));
    expect(mktemp).toEqual([`mktemp [${join(dir, 'etc')}/.app.conf.mtafleet.XXXXXX]`]);
    const mv = r.calls.filter((c) => c.startsWith('mv'));
    expect(mv).toHaveLength(1);
    expect(mv[0]).toMatch(new RegExp(`^mv \\[-f\\] \\[--\\] \\[${join(dir, 'etc').replace(/\//g, '\\/')}\\/\\.app\\.conf\\.mtafleet\\.[A-Za-z0-9]{6}\\] \\[${target.replace(/[/.]/g, '\\$&')}\\]$`));
    expect(readdirSync(join(dir, 'etc'))).toEqual(['app.conf']);
  });

  it('writeFileAtomic: a failing write removes its temp file and leaves the target as it was', () => {
    const target = join(dir, 'etc2', 'app.conf');
    mkdirSync(join(dir, 'etc2'));
    writeFileSync(target, 'old\n');
    // chown to a user that does not exist fails after the temp file was written.
    const r = runShell(writeFileCommand(target, { owner: 'mtaf-rel-no-such-user' }).text, 'new\n');
    expect(r.status).not.toBe(0);
    expect(readFileSync(target, 'utf8')).toBe('old\n');
    expect(readdirSync(join(dir, 'etc2'))).toEqual(['app.conf']);
  });

  it('probe batch: a private mktemp -d directory, removed at exit', () => {
    const r = runShell(`${PREAMBLE.text}\necho "tmp=$MTAF_TMP"; ls -ld "$MTAF_TMP" | cut -c1-10`, '');
    expect(r.status, r.stderr).toBe(0);
    const tmp = /tmp=(\S+)/.exec(r.stdout)![1];
    expect(r.calls).toContain('mktemp [-d]');
    expect(r.stdout).toContain('drwx------');
    expect(existsSync(tmp)).toBe(false);
  });

  it('probe batch: when no private directory can be made, it stops instead of writing to "/"', () => {
    // mktemp fails and the predictable fallback name cannot be created (TMPDIR-independent).
    writeFileSync(join(shims, 'mktemp'), '#!/bin/sh\nexit 1\n');
    writeFileSync(join(shims, 'mkdir'), '#!/bin/sh\nexit 1\n');
    chmodSync(join(shims, 'mkdir'), 0o755);
    try {
      const r = runShell(`${PREAMBLE.text}\necho reached-probes`, '');
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('cannot create a private temporary directory');
      expect(r.stdout).not.toContain('reached-probes');
    } finally {
      rmSync(join(shims, 'mkdir'));
    }
  });

  it('no source file (outside the local lab) names a predictable /tmp path, except the guarded probe fallback', () => {
    const root = resolve(__dirname, '../../src');
    const hits: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) {
          if (p !== join(root, 'lab')) walk(p);
        } else if (p.endsWith('.ts')) {
          readFileSync(p, 'utf8').split('\n').forEach((line, i) => {
            if (/["'`\s=(]\/tmp\//.test(line)) hits.push(`${p.slice(root.length + 1)}:${i + 1}`);
          });
        }
      }
    };
    walk(root);
    expect(hits.map((h) => h.replace(/:\d+$/, ''))).toEqual(['probes/preamble.ts']);
  });

  it('no source file disables host key checking', () => {
    const out = spawnSync('grep', ['-rnE', 'StrictHostKeyChecking[= ]+no|hostVerifier:\\s*\\(\\)\\s*=>\\s*true|UserKnownHostsFile[= ]+/dev/null', resolve(__dirname, '../../src')], { encoding: 'utf8' });
    expect(out.stdout).toBe('');
  });
});
