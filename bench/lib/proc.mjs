/** Running commands for benchmarks: timing, peak RSS, Debian packages, page cache. */
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Runs a program; resolves with its output, exit code and wall time (never rejects on exit code). */
export function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    // opts.stdoutFd: stdout goes to that file (an audit of 10,000 hosts prints ~200 MB).
    const stdout = opts.stdoutFd ?? 'pipe';
    const child = spawn(cmd, args, { stdio: [opts.input === undefined ? 'ignore' : 'pipe', stdout, 'pipe'], env: opts.env ?? process.env, cwd: opts.cwd });
    const out = [];
    const err = [];
    let outBytes = 0;
    const keep = opts.maxOutput ?? 64 * 1024 * 1024;
    child.stdout?.on('data', (b) => {
      outBytes += b.length;
      if (outBytes <= keep) out.push(b);
    });
    child.stderr.on('data', (b) => err.push(b));
    if (opts.input !== undefined) child.stdin.end(opts.input);
    let timer;
    if (opts.timeoutMs) timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        wallMs: Number(process.hrtime.bigint() - started) / 1e6,
        pid: child.pid,
      });
    });
  });
}

/**
 * Runs a program under GNU time: wall time, peak RSS (the largest process of the tree that
 * was waited for), user and system CPU. Needs /usr/bin/time (Debian package `time`).
 */
export async function timed(cmd, args, opts = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'mtaf-bench-time-'));
  const file = join(dir, 'time.txt');
  try {
    const r = await run('/usr/bin/time', ['-o', file, '-f', '%e %M %U %S %x', cmd, ...args], opts);
    const last = readFileSync(file, 'utf8').trim().split('\n').pop() ?? '';
    const [, maxRssKb, user, sys] = last.split(' ').map(Number);
    return { ...r, maxRssMb: maxRssKb / 1024, cpuMs: (user + sys) * 1000 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function hasProgram(path) {
  return existsSync(path);
}

/** Installs a Debian package with apt when `binary` is missing; returns a note, or throws. */
export function ensureDebianPackage(pkg, binary, log = () => {}) {
  if (existsSync(binary)) return null;
  log(`installing Debian package ${pkg} (for ${binary})`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', pkg], { stdio: 'ignore', env });
  } catch {
    execFileSync('apt-get', ['update', '-q'], { stdio: 'ignore', env });
    execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', pkg], { stdio: 'ignore', env });
  }
  if (!existsSync(binary)) throw new Error(`apt installed ${pkg} but ${binary} is still missing`);
  return `installed ${pkg} with apt`;
}

/** Drops the page cache (root only); false when this kernel or container refuses. */
export function dropCaches() {
  try {
    execFileSync('sync');
    writeFileSync('/proc/sys/vm/drop_caches', '3\n');
    return true;
  } catch {
    return false;
  }
}

export function tempDir(tag) {
  return mkdtempSync(join(tmpdir(), `mtaf-bench-${tag}-`));
}

/** This process's open-files limit, { soft, hard } (Infinity for unlimited), from /proc/self/limits. */
export function openFilesLimit() {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files')) ?? '';
  const [soft, hard] = line.trim().split(/\s{2,}/).slice(1, 3).map((v) => (v === 'unlimited' ? Infinity : Number(v)));
  return { soft, hard };
}
