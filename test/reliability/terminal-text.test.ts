/**
 * Host text never drives the operator's terminal: a real host (sshd at 127.0.0.1) serves a
 * file, a command's stderr and a lock owner file full of terminal control sequences (clear
 * screen, OSC title, CR overwrite, C1 CSI, bidi override). Every CLI printer that shows them
 * — `run --check --diff`, progress lines, the run summary, `runs`, `runs RUN_ID`, the lock
 * refusal, JSON, `exec` on a terminal — must print none of those bytes; text shows them as
 * visible escapes. `exec` piped or redirected prints the remote output byte for byte.
 * A host file that holds a ``` line then `<!--` cannot close the Markdown plan's diff fence
 * and hide the change and rollback lines of a change ticket.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markdownBlocks } from '../unit/util/markdown-check.js';
import { ROOT, startOneHost, type OneHost } from './fixture.js';

let fx: OneHost;

// ESC[2J clear screen, OSC 0 title change ended by BEL, CR overwrite, C1 CSI (U+009B),
// RLO bidi override, LRI isolate, and a raw 0x9b byte (not UTF-8).
const HOSTILE_TEXT = 'top\x1b[2Jcleared\x1b]0;pwned-title\x07\rFAKE ok=9 changed=0\u009b2J\u202eevil\u2066x\n';
const HOSTILE_BYTES = Buffer.concat([Buffer.from(HOSTILE_TEXT, 'utf8'), Buffer.from([0x9b, 0x32, 0x4a, 0x0a])]);

/** Any C0 control but tab and newline, DEL, C1, bidi embedding/override/isolate. */
const TERMINAL_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

function assertInert(what: string, out: { stdout: string; stderr: string }): void {
  for (const [stream, text] of [['stdout', out.stdout], ['stderr', out.stderr]] as const) {
    const m = TERMINAL_CONTROL.exec(text);
    expect(m, `${what}: ${stream} holds U+${m?.[0].codePointAt(0)!.toString(16).padStart(4, '0')} from the host:\n${JSON.stringify(text)}`).toBeNull();
  }
}

/**
 * A host directory `name` holding `files`, an inventory whose `target` points at it, and a
 * one-play playbook of `task` (YAML lines of one task, `{{ target }}` available).
 */
function scenario(name: string, files: Record<string, string | Buffer>, task: string): { inv: string; pb: string } {
  const target = join(fx.dir, name);
  mkdirSync(target);
  for (const [file, content] of Object.entries(files)) writeFileSync(join(target, file), content);
  const inv = fx.inventory(`inv-${name}.yaml`, [`target: ${target}`]);
  return { inv, pb: fx.write(`pb-${name}.yaml`, `- hosts: mta\n  tasks:\n    - ${task}\n`) };
}

beforeAll(async () => {
  fx = await startOneHost('term');
}, 60_000);

afterAll(async () => {
  await fx?.cleanup();
});

describe('host text is inert on the terminal', () => {
  it('run --check --diff shows a hostile host file as visible escapes', async () => {
    // Valid UTF-8 (a raw 0x9b byte would make the file binary, shown as "(binary)").
    const { inv, pb } = scenario('diff', { 'hostile.conf': HOSTILE_TEXT }, 'file: { path: "{{ target }}/hostile.conf", content: "clean\\n" }');
    const r = await fx.cli(['run', pb, '-i', inv, '--check', '--diff']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    assertInert('run --check --diff', r);
    // The content is still shown, visibly: the operator sees what the host holds.
    expect(r.stdout).toContain('top\\x1b[2Jcleared\\x1b]0;pwned-title\\x07\\rFAKE ok=9');
    expect(r.stdout).toContain('\\u202eevil');
  }, 120_000);

  it('plan --format markdown: a host file cannot close the diff fence and hide the ticket', async () => {
    // The hostile lines stay as context lines of the diff (" ```", " <!--"): one space of
    // indent still closes a ``` fence in CommonMark.
    const { inv, pb } = scenario(
      'md',
      { 'pmta.conf': 'max-smtp-out 10\n```\n<!--\nhidden\x1b[2J\n' },
      'file: { path: "{{ target }}/pmta.conf", line: "max-smtp-out 20", regexp: "^max-smtp-out " }',
    );
    const r = await fx.cli(['plan', pb, '-i', inv, '--format', 'markdown']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    assertInert('plan --format markdown', r);
    const blocks = markdownBlocks(r.stdout);
    expect(blocks.unclosed).toBe(false);
    // The diff block holds the hostile lines; the change's command blocks (Runs:, Then checks:) do not.
    const diffs = blocks.fences.filter((f) => f.includes('+max-smtp-out 20'));
    expect(diffs).toHaveLength(1);
    expect(blocks.fences.filter((f) => f.includes(' <!--'))).toHaveLength(1);
    expect(diffs[0]).toEqual(expect.arrayContaining([' ```', ' <!--', '-max-smtp-out 10', '+max-smtp-out 20']));
    const prose = blocks.prose.join('\n');
    expect(prose).not.toContain('<!--');
    expect(blocks.prose.filter((l) => l.startsWith('Rollback: '))).toHaveLength(1);
    expect(blocks.prose.some((l) => l.startsWith('#### ') && l.includes('pmta.conf'))).toBe(true);
  }, 120_000);

  it('a command whose stderr is hostile: progress, run summary, runs, runs RUN_ID and JSON stay inert', async () => {
    const { inv, pb } = scenario('cmd', { 'hostile.txt': HOSTILE_BYTES }, 'command: { cmd: "cat {{ target }}/hostile.txt >&2; exit 3" }');
    const run = await fx.cli(['run', pb, '-i', inv]);
    expect(run.code, run.stderr + run.stdout).toBe(2);
    assertInert('run (progress on stderr, summary on stdout)', run);
    expect(run.stdout).toContain('\\x1b[2Jcleared');
    // The progress lines (stderr, not a terminal here) carried the same error.
    expect(run.stderr).toMatch(/h1: FAILED .*\\x1b\[2Jcleared/);
    const runId = /^run (\S+):/m.exec(run.stdout)?.[1];
    expect(runId, run.stdout).toBeTruthy();

    const one = await fx.cli(['runs', runId!]);
    expect(one.code, one.stderr).toBe(0);
    assertInert('runs RUN_ID', one);
    expect(one.stdout).toContain('\\x1b[2Jcleared');
    const list = await fx.cli(['runs']);
    expect(list.code, list.stderr).toBe(0);
    assertInert('runs', list);

    const json = await fx.cli(['run', pb, '-i', inv, '--format', 'json']);
    expect(json.code, json.stderr).toBe(2);
    assertInert('run --format json', json);
    // JSON escapes what it hides: the exact host text survives a parse.
    expect(JSON.parse(json.stdout).hosts[0].error).toContain('cleared\u001b]0;pwned-title\u0007\rFAKE');
    const runsJson = await fx.cli(['runs', runId!, '--format', 'json']);
    assertInert('runs RUN_ID --format json', runsJson);
    expect(JSON.parse(runsJson.stdout).hosts[0].error).toContain('\u202eevil');
  }, 120_000);

  it('exec prints remote output exactly when piped, with visible escapes on a terminal', async () => {
    const { inv } = scenario('exec', { 'hostile.txt': HOSTILE_TEXT }, 'command: { cmd: "true" }');
    const file = join(fx.dir, 'exec', 'hostile.txt');
    const piped = await fx.cli(['exec', '-i', inv, '--', 'cat', file]);
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdout).toBe(`h1 | rc=0 >>\n${HOSTILE_TEXT}`);
    // On a terminal (a pty from util-linux `script`), the same output is shown inert.
    const cli = [process.execPath, join(ROOT, 'bin/mtafleet.js'), 'exec', '-i', inv, '--', 'cat', file].map((w) => `'${w}'`).join(' ');
    const tty = await onTerminal(cli, fx.env);
    expect(tty.code, tty.output).toBe(0);
    const screen = tty.output.replace(/\r\n/g, '\n'); // the pty's own line endings
    assertInert('exec on a terminal', { stdout: screen, stderr: '' });
    expect(screen).toContain('top\\x1b[2Jcleared\\x1b]0;pwned-title\\x07\\rFAKE');
  }, 120_000);

  it('a lock owner file written by another local user cannot drive the terminal', async () => {
    const lock = join(fx.dir, 'lock-h1');
    mkdirSync(lock);
    writeFileSync(join(lock, 'owner'), 'run=r1\x1b]0;owned\x07\u009b2J\nuser=\x1b[2Jmallory\u202e\ntime=2026-01-01T00:00:00Z\r\x1b[K\n');
    const { inv, pb } = scenario('lock', {}, 'file: { path: "{{ target }}/f", content: "x\\n" }');
    const r = await fx.cli(['run', pb, '-i', inv]);
    expect(r.code, r.stderr + r.stdout).toBe(3);
    assertInert('locked-by refusal', r);
    expect(r.stdout).toMatch(/locked by run r1\\x1b\]0;owned\\x07\\x9b2J of \\x1b\[2Jmallory\\u202e/);
  }, 120_000);
});

/** Runs shell text with stdout and stderr on a pseudo-terminal; what the terminal received. */
function onTerminal(shellText: string, env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn('script', ['-qefc', shellText, '/dev/null'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', fail);
    child.once('close', (code) => {
      clearTimeout(timer);
      done({ code: code ?? -1, output });
    });
  });
}
