/**
 * Issue #13 item 7: host output is bounded. A host printing 150 MB (an ad-hoc command, or a
 * PowerMTA config that includes a 150 MB file, read by the audit's probe batch) costs the
 * runner < 100 MB of peak RSS over the CLI's own floor (the same command with a tiny output:
 * about 78 MB of loaded code and heap) and bounded time, with a warning naming host and command; a file
 * larger than the cap is never read partially, so no plan or undo is built from a cut file.
 *
 * The sshd runs in a private mount namespace with an overlay over /etc, so the audit's
 * default /etc/pmta/config exists for it only (nothing is written to the machine's /etc).
 */
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesUnder, runCli, startOneHost, type OneHost } from './fixture.js';
import { connect } from '../../src/transport/ssh.js';
import { resolveConnectionSpec } from '../../src/transport/spec.js';
import { argv } from '../../src/transport/quote.js';
import { OutputTooLargeError } from '../../src/util/errors.js';

const MB = 1024 * 1024;
const BIG = 150 * MB;
let fx: OneHost;
let dir: string;
let rssFile: string;
let rssHook: string;
/** Peak RSS of `exec -- true`: what the CLI costs before any host output. */
let floorMb: number;

/** A PowerMTA config fragment of about `bytes`: many small domain blocks (the parser's worst case). */
function writeBigConfig(path: string, bytes: number): void {
  const block = Array.from({ length: 1000 }, (_, i) => `<domain d${i}.example>\n  max-smtp-out 5\n</domain>\n`).join('');
  const fd = openSync(path, 'w');
  try {
    for (let written = 0; written < bytes; written += block.length) writeSync(fd, block);
  } finally {
    closeSync(fd);
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mtaf-rel-bd-'));
  mkdirSync(join(dir, 'ovl'));
  writeBigConfig(join(dir, 'big.conf'), BIG);
  writeFileSync(join(dir, 'config'), `http-mgmt-port 19000\n<domain gmail.com>\n  max-smtp-out 20\n</domain>\ninclude ${join(dir, 'big.conf')}\n`);
  const ovl = join(dir, 'ovl');
  const setup = [
    `mount -t tmpfs tmpfs ${ovl}`,
    `mkdir ${ovl}/u ${ovl}/w`,
    `mount -t overlay overlay -o lowerdir=/etc,upperdir=${ovl}/u,workdir=${ovl}/w /etc`,
    'mkdir -p /etc/pmta',
    `cp ${join(dir, 'config')} /etc/pmta/config`,
    'exec "$@"',
  ].join(' && ');
  fx = await startOneHost('bd', { wrap: ['unshare', '-m', '--propagation', 'private', 'sh', '-c', setup, 'sh'] });
  // Peak RSS of the CLI process, written when it exits (kB, as getrusage reports it).
  rssFile = join(dir, 'maxrss');
  rssHook = join(dir, 'rss-hook.cjs');
  writeFileSync(rssHook, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS)));\n`);
  const floor = await measured(['exec', '-i', fx.inventory('floor.yaml'), '--', 'true']);
  if (floor.code !== 0) throw new Error(`exec true failed: ${floor.stderr}`);
  floorMb = floor.rssMb;
}, 120_000);

afterAll(async () => {
  await fx?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function measured(args: string[], extraEnv: Record<string, string> = {}) {
  rmSync(rssFile, { force: true });
  const started = Date.now();
  const r = await runCli(args, { ...fx.env, ...extraEnv, NODE_OPTIONS: `--require ${rssHook}` });
  const rssMb = existsSync(rssFile) ? Number(readFileSync(rssFile, 'utf8')) / 1024 : Infinity;
  return { ...r, rssMb, seconds: (Date.now() - started) / 1000 };
}

describe('bounded host output (real sshd)', () => {
  it('exec printing 150 MB on stdout and on stderr: < 100 MB RSS, output cut at the cap with a warning naming host and command', async () => {
    const inv = fx.inventory('exec.yaml');
    const r = await measured(['exec', '-i', inv, '--', `head -c ${BIG} /dev/zero | tr '\\0' x; head -c ${BIG} /dev/zero | tr '\\0' y >&2`]);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(r.rssMb - floorMb, `peak ${r.rssMb} MB, floor ${floorMb} MB`).toBeLessThan(100);
    expect(r.seconds).toBeLessThan(90);
    expect(r.stderr).toMatch(/mtafleet: warning: h1: "head" printed more than 8 MiB on stdout and stderr \(mtafleet_max_output\)/);
    // The first 8 MiB of each stream are kept.
    expect(r.stdout).toContain('x'.repeat(1000));
    expect(r.stdout.length).toBeLessThan(17 * MB);
    expect(r.stdout.length).toBeGreaterThan(16 * MB);
  }, 180_000);

  it('--max-output and mtafleet_max_output set the cap; a bad value is bad input (exit 1)', async () => {
    const inv = fx.inventory('cap.yaml', ['mtafleet_max_output: 100k']);
    const r = await runCli(['exec', '-i', inv, '--format', 'json', '--', 'head -c 300000 /dev/zero | tr "\\0" z'], fx.env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)[0].stdout).toHaveLength(100 * 1024);
    expect(r.stderr).toMatch(/h1: "head" printed more than 100 KiB on stdout/);
    const flag = await runCli(['exec', '-i', inv, '--max-output', '200k', '--format', 'json', '--', 'head -c 300000 /dev/zero | tr "\\0" z'], fx.env);
    expect(JSON.parse(flag.stdout)[0].stdout).toHaveLength(200 * 1024);
    const env = await runCli(['exec', '-i', fx.inventory('env.yaml'), '--format', 'json', '--', 'head -c 300000 /dev/zero'], { ...fx.env, MTAFLEET_MAX_OUTPUT: '64k' });
    expect(JSON.parse(env.stdout)[0].stdout).toHaveLength(64 * 1024);
    const bad = await runCli(['exec', '-i', fx.inventory('bad.yaml', ['mtafleet_max_output: lots']), '--', 'true'], fx.env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/bad\.yaml:\d+: .*mtafleet_max_output: must be a size between 64k and 1g.*"lots"/);
    const badFlag = await runCli(['exec', '-i', inv, '--max-output', '10', '--', 'true'], fx.env);
    expect(badFlag.code).toBe(1);
  }, 60_000);

  it('audit of a host whose config includes a 150 MB file: < 100 MB RSS, only the first 2 MiB of the file read, with a warning', async () => {
    const inv = fx.inventory('audit.yaml');
    const r = await measured(['audit', '-i', inv, '--format', 'json', '--no-incremental']);
    expect(r.rssMb - floorMb, `peak ${r.rssMb} MB, floor ${floorMb} MB`).toBeLessThan(100);
    expect(r.seconds).toBeLessThan(120);
    const report = JSON.parse(r.stdout);
    const host = report.hosts[0];
    expect(host.reachable).toBe(true);
    const size = statSync(join(dir, 'big.conf')).size;
    expect(host.warnings).toContain(`config: ${join(dir, 'big.conf')} is ${size} bytes: only its first 2097152 were read`);
    // The main file's settings are there; the cut include adds what its first 2 MiB hold.
    expect(host.facts.config.settings.httpMgmtPort).toBe(19000);
    expect(host.facts.config.settings.domains['gmail.com'].maxSmtpOut).toBe(20);
    expect(Object.keys(host.facts)).toEqual(expect.arrayContaining(['cpu', 'spool', 'ports', 'config']));
    expect(r.code).not.toBe(1);
  }, 240_000);

  it('a probe batch cut at its cap (4 x mtafleet_max_output): the probes printed before the cut still report, a warning names host and probe batch', async () => {
    const inv = fx.inventory('audit-cap.yaml', ['mtafleet_max_output: 256k']);
    const r = await runCli(['audit', '-i', inv, '--format', 'json', '--no-incremental'], fx.env);
    const host = JSON.parse(r.stdout).hosts[0];
    // The batch may keep four times the cap: 1 MiB here, less than the 2 MiB config dump.
    expect(host.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/^h1: the probe batch printed more than 1 MiB on stdout \(mtafleet_max_output\); [\d.]+ [KM]iB of stdout over the limit$/)]));
    expect(r.stderr).toMatch(/mtafleet: warning: h1: the probe batch printed more than 1 MiB on stdout/);
    // The config dump comes last and is what was cut.
    expect(host.unavailable.config).toBe('no output from the probe batch');
    expect(Object.keys(host.facts)).toEqual(expect.arrayContaining(['cpu', 'spool', 'ports']));
  }, 240_000);

  it('a command whose stdout is parsed fails when it was cut; one only shown gets `truncated`', async () => {
    const vars = { ansible_host: '127.0.0.1', ansible_port: fx.sshd.port, ansible_user: 'root', ansible_ssh_private_key_file: fx.sshd.clientKeyPath, mtafleet_known_hosts: fx.knownHosts, mtafleet_max_output: '64k' };
    const conn = await connect(resolveConnectionSpec({ name: 'h1', vars, groups: [] }));
    try {
      const big = argv('head', '-c', '200000', '/dev/zero');
      await expect(conn.exec(big)).rejects.toThrow(OutputTooLargeError);
      await expect(conn.exec(big)).rejects.toThrow('h1: "head" printed more than 64 KiB on stdout (mtafleet_max_output); 131.3 KiB of stdout over the limit; a partial output is never used');
      const shown = await conn.exec(big, { partialOutput: true });
      expect(shown.stdout).toHaveLength(64 * 1024);
      expect(shown.truncated).toEqual({ stdout: 200000 - 64 * 1024, stderr: 0, limit: 64 * 1024 });
      // stderr alone past the cap is cut and reported, never an error.
      const noisy = await conn.exec(argv('sh', '-c', 'head -c 200000 /dev/zero >&2; echo ok'));
      expect(noisy.stdout).toBe('ok\n');
      expect(noisy.truncated?.stderr).toBe(200000 - 64 * 1024);
      await expect(conn.readFile('/etc/hostname')).resolves.not.toBeNull();
    } finally {
      await conn.close();
    }
  }, 60_000);

  it('a file larger than the cap is never planned from (file, pmta-config include): the step fails, nothing is written, no undo holds a cut file', async () => {
    const target = join(dir, 'large.txt');
    writeFileSync(target, 'keep me\n'.repeat(40_000)); // 320 KB
    const before = readFileSync(target);
    const playbook = join(dir, 'edit.yaml');
    writeFileSync(playbook, `- hosts: mta\n  tasks:\n    - name: edit a large file\n      file: { path: ${target}, line: "added", regexp: "^added$" }\n`);
    const inv = fx.inventory('file.yaml', ['mtafleet_max_output: 64k']);
    for (const args of [['plan', playbook, '-i', inv], ['run', playbook, '-i', inv]]) {
      const r = await runCli(args, fx.env);
      expect(r.code, r.stdout + r.stderr).toBe(2);
      expect(r.stdout + r.stderr).toMatch(/cannot read .*large\.txt: it is larger than 64 KiB \(mtafleet_max_output\); a partial copy is never used/);
    }
    expect(readFileSync(target).equals(before)).toBe(true);
    // pmta-config reads every included file whole: a 150 MB include fails the plan, it is not skipped.
    const pmta = join(dir, 'pmta.yaml');
    writeFileSync(pmta, '- hosts: mta\n  tasks:\n    - name: threads\n      pmta-config: { directive: http-mgmt-port, value: "19001" }\n');
    const r = await runCli(['plan', pmta, '-i', fx.inventory('pmta.yaml')], fx.env);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stdout + r.stderr).toMatch(/cannot read .*big\.conf: it is larger than 8 MiB \(mtafleet_max_output\); a partial copy is never used/);
    // No journal or plan anywhere holds a part of the file as an undo.
    for (const f of filesUnder(fx.stateDir)) expect(readFileSync(f, 'latin1')).not.toContain(Buffer.from('keep me\n'.repeat(100)).toString('base64').slice(0, 200));
  }, 60_000);
});
