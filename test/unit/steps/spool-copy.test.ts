import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sh } from '../../../src/transport/quote.js';
import { FINAL_SYNC_AND_VERIFY, PRECOPY, STOP_AND_WAIT } from '../../../src/steps/spool/scripts.js';
import { runLocal } from './local-shell.js';
import { treeManifest } from './tree-manifest.js';

/**
 * The two-phase copy of spool-migrate run for real under the local `sh` on temp dirs: files
 * created, changed (even with size and mtime put back), deleted between the passes, and a copy
 * touched by someone else, all end up mirrored and verified; a wrong hash fails the check.
 */
const run = (script: string, ...args: string[]) => sh`sh -c ${script} mtafleet-test ${args}`.text;

let dir = '';
let src = '';
let dst = '';
let state = '';
beforeEach(() => {
  dir = mkdtempSync('/tmp/mtaf-mig-copy-');
  src = path.join(dir, 'spool');
  dst = path.join(dir, 'new');
  state = path.join(dir, 'state');
  mkdirSync(dst);
  for (let i = 0; i < 300; i += 1) {
    const sub = path.join(src, (i % 7).toString(16).padStart(2, '0'));
    mkdirSync(sub, { recursive: true });
    writeFileSync(path.join(sub, `m ${i}.msg`), `X-Rcpt: u${i}@example.com\r\n\r\n${'y'.repeat((i * 37) % 5000)}`);
  }
  chownSync(path.join(src, '00', 'm 0.msg'), 65534, 65534);
  chmodSync(path.join(src, '01', 'm 1.msg'), 0o600);
  utimesSync(path.join(src, '02', 'm 2.msg'), new Date('2021-05-06T07:08:09Z'), new Date('2021-05-06T07:08:09Z'));
});
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('two-phase spool copy (local sh, temp dirs)', () => {
  it('mirrors what changed between the passes and verifies every file', () => {
    const pre = runLocal(run(PRECOPY, src, dst, state, 'c1'));
    expect(pre.exitCode, pre.stderr).toBe(0);
    expect(pre.stdout).toContain('pre-copied 300 files');

    // PowerMTA ran on: new mail (also in a new directory), an empty new dir, a message
    // rewritten in place with the same size and its mtime put back, delivered ones.
    writeFileSync(path.join(src, '03', 'late.msg'), 'X-Rcpt: late@example.com\r\n\r\nhi');
    mkdirSync(path.join(src, 'new-dir'));
    writeFileSync(path.join(src, 'new-dir', 'n.msg'), 'X-Rcpt: n@example.com');
    mkdirSync(path.join(src, 'empty-dir'));
    const rewritten = path.join(src, '04', 'm 4.msg');
    const before = statSync(rewritten);
    const text = readFileSync(rewritten, 'utf8');
    writeFileSync(rewritten, text.replace('u4@', 'X4@'));
    utimesSync(rewritten, before.atime, before.mtime);
    unlinkSync(path.join(src, '05', 'm 5.msg'));
    rmSync(path.join(src, '06'), { recursive: true });
    // Someone else touched the copy after it was hashed (same size and mtime).
    const touched = path.join(dst, '01', 'm 8.msg');
    const t = statSync(touched);
    writeFileSync(touched, readFileSync(touched, 'utf8').replace('u8@', 'Z8@'));
    utimesSync(touched, t.atime, t.mtime);

    const fin = runLocal(run(FINAL_SYNC_AND_VERIFY, src, dst, state, 'c1'));
    expect(fin.exitCode, fin.stderr).toBe(0);
    const gone = 1 + Array.from({ length: 300 }, (_, i) => i).filter((i) => i % 7 === 6).length; // m 5 and all of 06
    expect(fin.stdout).toContain(`copied 4 new or changed files, removed ${gone} delivered ones`);
    expect(fin.stdout).toContain(`verified ${300 - gone + 2} files`);
    expect(treeManifest(dst)).toEqual(treeManifest(src));
    expect(readFileSync(path.join(dst, '04', 'm 4.msg'), 'utf8')).toContain('X4@');
    // Both manifests list every file, in sha256sum format (carry-back and finalize read them).
    const manifest = readFileSync(path.join(state, 'c1.manifest'), 'utf8').trim().split('\n');
    expect(manifest).toHaveLength(300 - gone + 2);
    expect(manifest.every((l) => /^[0-9a-f]{64} {2}\.\/\S/.test(l))).toBe(true);
    expect(readFileSync(path.join(state, 'c1.manifest-new'), 'utf8')).toBe(readFileSync(path.join(state, 'c1.manifest'), 'utf8'));
    expect(spawnSync('ls', [path.join(state, 'c1.work')]).status).not.toBe(0); // work files removed
  }, 60_000);

  it('fails the check when a reused hash does not match (nothing is trusted blindly)', () => {
    expect(runLocal(run(PRECOPY, src, dst, state, 'c2')).exitCode).toBe(0);
    const pre = path.join(state, 'c2.work', 'old.pre');
    const lines = readFileSync(pre, 'utf8').split('\n');
    lines[10] = `${'0'.repeat(64)}${lines[10].slice(64)}`;
    writeFileSync(pre, lines.join('\n'));
    const fin = runLocal(run(FINAL_SYNC_AND_VERIFY, src, dst, state, 'c2'));
    expect(fin.exitCode).not.toBe(0);
    expect(fin.stderr).toContain('differs');
  }, 60_000);

  it('hashes everything again when names defeat the manifest format (backslash)', () => {
    writeFileSync(path.join(src, '00', 'odd\\name.msg'), 'x');
    expect(runLocal(run(PRECOPY, src, dst, state, 'c3')).exitCode).toBe(0);
    writeFileSync(path.join(src, '00', 'odd\\name.msg'), 'z');
    const fin = runLocal(run(FINAL_SYNC_AND_VERIFY, src, dst, state, 'c3'));
    expect(fin.exitCode, fin.stderr).toBe(0);
    expect(fin.stdout).toContain('verified 301 files');
    expect(fin.stdout).toContain('301 + 301 hashed now');
    expect(treeManifest(dst)).toEqual(treeManifest(src));
  }, 60_000);

  it('refuses the final pass without a pre-copy', () => {
    const fin = runLocal(run(FINAL_SYNC_AND_VERIFY, src, dst, state, 'none'));
    expect(fin.exitCode).not.toBe(0);
    expect(fin.stderr).toContain('no pre-copy');
  });
});

describe("stop waits on the service's own process", () => {
  const canUnshare = process.getuid?.() === 0 && spawnSync('unshare', ['-n', 'true']).status === 0;

  it.skipIf(!canUnshare)('uses the pid file, else only a process of that name in this network namespace', async () => {
    // A daemon binary with a name of its own; one copy runs in another network namespace
    // (like another lab host's pmtad), which must neither be waited on nor block the stop.
    const daemon = path.join(dir, 'mtafmigd');
    copyFileSync('/bin/sleep', daemon);
    chmodSync(daemon, 0o755);
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(path.join(bin, 'systemctl'), '#!/bin/sh\ncase "$1" in show) echo 0 ;; esac\nexit 0\n');
    chmodSync(path.join(bin, 'systemctl'), 0o755);
    // Started through sh so that init reaps them (a child of this process would stay a zombie).
    const startBg = (cmd: string) => Number(spawnSync('sh', ['-c', `${cmd} >/dev/null 2>&1 & echo $!`], { encoding: 'utf8' }).stdout.trim());
    const foreign = { pid: startBg(`unshare -n ${daemon} 60`) };
    const ours = { pid: startBg(`${daemon} 60`) };
    const kill = (pid: number) => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    const pidFile = path.join(dir, 'd.pid');
    try {
      await new Promise((r) => setTimeout(r, 300));
      // No pid file: the process of that name in our namespace (killed 1 s after the stop).
      writeFileSync(path.join(bin, 'systemctl'), `#!/bin/sh\ncase "$1" in show) echo 0 ;; stop) (sleep 1; kill ${ours.pid}) >/dev/null 2>&1 & ;; esac\nexit 0\n`);
      const r1 = runLocal(run(STOP_AND_WAIT, 'systemd', 'mtafmig', 'mtafmigd', pidFile), { pathPrefix: bin });
      expect(r1.exitCode, r1.stderr).toBe(0);
      expect(r1.stdout).toContain(`pid ${ours.pid} has exited`);
      // Only the foreign one is left: nothing of ours to wait for.
      const r2 = runLocal(run(STOP_AND_WAIT, 'systemd', 'mtafmig', 'mtafmigd', pidFile), { pathPrefix: bin });
      expect(r2.exitCode, r2.stderr).toBe(0);
      expect(r2.stdout).toBe('mtafmig stopped\n');
      // A pid file naming a live process of that name wins over the search.
      writeFileSync(pidFile, `${foreign.pid}\n`);
      writeFileSync(path.join(bin, 'systemctl'), `#!/bin/sh\ncase "$1" in show) echo 0 ;; stop) (sleep 1; kill ${foreign.pid}) >/dev/null 2>&1 & ;; esac\nexit 0\n`);
      const r3 = runLocal(run(STOP_AND_WAIT, 'systemd', 'mtafmig', 'mtafmigd', pidFile), { pathPrefix: bin });
      expect(r3.exitCode, r3.stderr).toBe(0);
      expect(r3.stdout).toContain(`pid ${foreign.pid} has exited`);
    } finally {
      kill(foreign.pid);
      kill(ours.pid);
    }
  }, 30_000);
});
