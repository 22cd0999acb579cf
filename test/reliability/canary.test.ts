/**
 * Hostile variable values reach a real host (sshd at 127.0.0.1, so the host's /tmp is ours)
 * as inert literal strings: through a file step's content, line and path, a command step's
 * argv and cmd, and `mtafleet exec` argv. Canary files that any shell evaluation would create
 * must never exist. Hostile names that the schema refuses make the command exit 1 before any
 * connection is opened (sshd logs no new connection).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOneHost, type OneHost } from './fixture.js';

let fx: OneHost;
const tag = `${process.pid}-${Date.now()}`;
const canary = (n: number) => `/tmp/mtaf-rel-canary-${tag}-${n}`;
const allCanaries = () => Array.from({ length: 12 }, (_, i) => canary(i + 1));

// Every way a shell could be tricked into running `touch CANARY`.
const EVIL = `x'; touch ${canary(1)}; $(touch ${canary(2)}) \`touch ${canary(3)}\` | touch ${canary(4)} & touch ${canary(5)} " ; && touch ${canary(6)} ../ \\`;
const EVIL_MULTILINE = `first\n$(touch ${canary(7)})\n; touch ${canary(8)}\n`;
const EVIL_NAME = `$(touch ${canary(9)});touch ${canary(10)}`.replace(/\//g, '_');

const connections = () => (fx.sshd.log().match(/Connection from/g) ?? []).length;

beforeAll(async () => {
  fx = await startOneHost('canary');
}, 60_000);

afterAll(async () => {
  for (const c of allCanaries()) rmSync(c, { force: true });
  await fx?.cleanup();
});

function assertNoCanary(): void {
  for (const c of allCanaries()) expect(existsSync(c), `canary ${c} was created: something ran a hostile value`).toBe(false);
  // A relative `touch` would land in the login's working directory (HOME of root) or ours.
  for (const d of ['/root', fx.dir, process.cwd()]) {
    expect(readdirSync(d).filter((f) => f.includes('mtaf-rel-canary'))).toEqual([]);
  }
}

describe('hostile values reach the host as literals', () => {
  it('file content/line/path and command argv/cmd carry the exact bytes, nothing is evaluated', async () => {
    const target = join(fx.dir, 'target');
    mkdirSync(target);
    const inv = fx.inventory('inv.yaml', [
      `target: ${target}`,
      `evil: ${JSON.stringify(EVIL)}`,
      `evil_multi: ${JSON.stringify(EVIL_MULTILINE)}`,
      `evil_name: ${JSON.stringify(EVIL_NAME)}`,
    ]);
    const pb = fx.write(
      'pb.yaml',
      `- hosts: mta
  tasks:
    - name: whole file
      file: { path: "{{ target }}/content.txt", content: "{{ evil_multi }}" }
    - name: one line
      file: { path: "{{ target }}/line.txt", line: "v={{ evil }}", regexp: "^v=" }
    - name: hostile file name
      file: { path: "{{ target }}/{{ evil_name }}", content: "named" }
    - name: argv
      command: { argv: ["sh", "-c", "printf '%s' \\"$1\\" > \\"$2\\"", "sh", "{{ evil }}", "{{ target }}/argv.txt"] }
    - name: cmd with templated values
      command: { cmd: "printf '%s' {{ evil }} > {{ target }}/cmd.txt" }
`,
    );
    const check = await fx.cli(['run', pb, '-i', inv, '--check', '--diff']);
    expect(check.code, check.stderr + check.stdout).toBe(0);
    assertNoCanary();
    const r = await fx.cli(['run', pb, '-i', inv, '--format', 'json']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(JSON.parse(r.stdout).summary).toMatchObject({ changed: 1, failed: 0 });
    expect(readFileSync(join(target, 'content.txt'), 'utf8')).toBe(EVIL_MULTILINE);
    expect(readFileSync(join(target, 'line.txt'), 'utf8')).toBe(`v=${EVIL}\n`);
    expect(readFileSync(join(target, EVIL_NAME), 'utf8')).toBe('named');
    expect(readFileSync(join(target, 'argv.txt'), 'utf8')).toBe(EVIL);
    expect(readFileSync(join(target, 'cmd.txt'), 'utf8')).toBe(EVIL);
    assertNoCanary();
  }, 120_000);

  it('exec with an argv passes hostile words through untouched', async () => {
    const inv = fx.inventory('inv-exec.yaml');
    const r = await fx.cli(['exec', '-i', inv, '--format', 'json', '--', 'printf', '%s|', EVIL, EVIL_MULTILINE]);
    expect(r.code, r.stderr).toBe(0);
    const [host] = JSON.parse(r.stdout) as Array<{ stdout: string }>;
    expect(host.stdout).toBe(`${EVIL}|${EVIL_MULTILINE}|`);
    assertNoCanary();
  }, 60_000);

  it('a NUL byte in a variable used in argv is refused at plan time (exit 1), no connection is made', async () => {
    const inv = fx.inventory('inv-nul.yaml', ['evil: "a\\0b"']);
    const pb = fx.write('pb-nul.yaml', `- hosts: mta\n  tasks:\n    - name: argv\n      command: { argv: ["echo", "{{ evil }}"] }\n`);
    const before = connections();
    const r = await fx.cli(['run', pb, '-i', inv]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/pb-nul\.yaml:4: .*command\.argv\[1\].*NUL/);
    expect(connections()).toBe(before);
  }, 60_000);

  it.each([
    ['host name', (inv: OneHost) => inv.write('inv-h.yaml', `all:\n  hosts:\n    "h1;touch ${canary(11)}":\n      ansible_host: 127.0.0.1\n`), /inv-h\.yaml:3: .*must not contain ";"/],
    ['ansible_host', (inv: OneHost) => inv.write('inv-ah.yaml', `all:\n  hosts:\n    h1:\n      ansible_host: "127.0.0.1$(touch ${canary(12)})"\n      ansible_port: ${inv.sshd.port}\n`), /inv-ah\.yaml:4: all\.hosts\.h1\.ansible_host: must be a host name or IP address/],
  ])('a hostile %s: exit 1 before any connection, for exec/run/audit/inventory', async (_label, make, pattern) => {
    const inv = make(fx);
    const pb = fx.write('pb-ok.yaml', `- hosts: all\n  tasks:\n    - name: t\n      command: { argv: ["true"] }\n`);
    const before = connections();
    for (const args of [['exec', '-i', inv, '--', 'true'], ['run', pb, '-i', inv], ['audit', '-i', inv], ['inventory', '-i', inv, '--list'], ['plan', pb, '-i', inv]]) {
      const r = await fx.cli(args);
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(1);
      expect(r.stderr, args[0]).toMatch(pattern);
    }
    expect(connections()).toBe(before);
    assertNoCanary();
  }, 120_000);
});
