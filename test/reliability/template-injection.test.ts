/**
 * Templates are data, never shell text (issue #13 item 1), against a real sshd: a hostile -e
 * value placed inside quotes in `cmd`, in an `unless` guard (run even by a dry-run `plan`), in
 * `sh -c` argv text or in a health gate either is refused at load (exit 1, file:line, before
 * any connection) or reaches the host as the exact bytes. No canary file is ever created.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOneHost, type OneHost } from './fixture.js';

let fx: OneHost;
const tag = `${process.pid}-${Date.now()}`;
const canary = (n: number) => `/tmp/mtaf-rel-tmpl-canary-${tag}-${n}`;
const CANARIES = [1, 2, 3, 4].map(canary);
/** Breaks out of '...', "...", an unquoted word and a nested sh -c. */
const EVIL = `x'; touch ${canary(1)}; ' "; touch ${canary(2)}; " $(touch ${canary(3)}) \`touch ${canary(4)}\``;

const connections = () => (fx.sshd.log().match(/Connection from/g) ?? []).length;

beforeAll(async () => {
  fx = await startOneHost('tmpl');
}, 60_000);

afterAll(async () => {
  for (const c of CANARIES) rmSync(c, { force: true });
  await fx?.cleanup();
});

function assertNoCanary(): void {
  for (const c of CANARIES) expect(existsSync(c), `canary ${c} was created: a template value ran as shell code`).toBe(false);
}

const play = (body: string, gate = '') => `- hosts: mta\n${gate}  tasks:\n    - name: t\n${body}`;

describe('a template inside shell quotes is refused at load, before any connection', () => {
  it.each([
    ['cmd in single quotes', play(`      command: { cmd: "echo '{{ v }}'" }\n`), 4, 'command.cmd', /inside '\.\.\.'/],
    ['cmd in double quotes', play(`      command: { cmd: 'echo "{{ v }}"' }\n`), 4, 'command.cmd', /inside "\.\.\."/],
    ['unless in single quotes (runs during plan)', play(`      command: { cmd: "true", unless: "test -e '{{ v }}'" }\n`), 4, 'command.unless', /inside '\.\.\.'/],
    ['argv sh -c text in quotes', play(`      command: { argv: [sh, -c, "echo '{{ v }}'"] }\n`), 4, 'command.argv[2]', /inside '\.\.\.'/],
    ['cmd nested sh -c', play(`      command: { cmd: "sh -c 'echo {{ v }}'" }\n`), 4, 'command.cmd', /inside '\.\.\.'/],
    ['health gate cmd', play(`      command: { argv: ["true"] }\n`, `  health_gate: { cmd: "echo {{ v }}" }\n`), 2, 'health_gate.cmd', /not templated/],
  ])('%s', async (_label, text, line, path, why) => {
    const pb = fx.write('pb-refused.yaml', text);
    const inv = fx.inventory('inv.yaml');
    const before = connections();
    for (const cmd of ['plan', 'run']) {
      const r = await fx.cli([cmd, pb, '-i', inv, '-e', `v=${EVIL}`]);
      expect(r.code, `${cmd}: ${r.stderr}${r.stdout}`).toBe(1);
      expect(r.stderr).toContain(`pb-refused.yaml:${line}: plays[0].${path.startsWith('health') ? '' : 'tasks[0].'}${path}`);
      expect(r.stderr).toMatch(why);
    }
    expect(connections()).toBe(before);
    assertNoCanary();
  }, 60_000);
});

describe('templates outside quotes and in sh -c argv text carry the exact bytes', () => {
  it('cmd, unless, argv sh -c script and its positional arguments', async () => {
    const out = join(fx.dir, 'out');
    mkdirSync(out, { recursive: true });
    const inv = fx.inventory('inv-ok.yaml', [`out: ${out}`]);
    const pb = fx.write(
      'pb-ok.yaml',
      `- hosts: mta
  tasks:
    - name: cmd
      command: { cmd: "printf '%s' {{ v }} > {{ out }}/cmd.txt", unless: "test {{ v }} = never" }
    - name: argv sh -c text
      command: { argv: [sh, -c, "printf '%s' pre{{ v }}post > {{ out }}/shc.txt"] }
    - name: argv sh -c positional
      command: { argv: [bash, -ec, 'printf "%s" "$1" > "$2"', _, "{{ v }}", "{{ out }}/pos.txt"] }
`,
    );
    const plan = await fx.cli(['plan', pb, '-i', inv, '-e', `v=${EVIL}`]);
    expect(plan.code, plan.stderr + plan.stdout).toBe(0);
    assertNoCanary();
    const r = await fx.cli(['run', pb, '-i', inv, '-e', `v=${EVIL}`, '--format', 'json']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(readFileSync(join(out, 'cmd.txt'), 'utf8')).toBe(EVIL);
    expect(readFileSync(join(out, 'shc.txt'), 'utf8')).toBe(`pre${EVIL}post`);
    expect(readFileSync(join(out, 'pos.txt'), 'utf8')).toBe(EVIL);
    assertNoCanary();
  }, 120_000);
});
