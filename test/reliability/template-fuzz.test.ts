/**
 * Fuzz: random values x every template position of every templated command-step field (cmd,
 * unless, argv, sh -c argv text, creates, health gate), checked on a real host (sshd at
 * 127.0.0.1). For each case the playbook either is refused with a clear message (file:line,
 * path, why), or the command the step really builds prints exactly the value's bytes. No
 * canary file is ever created. All rendered commands run in one script: one ssh round trip.
 */
import fc from 'fast-check';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePlaybook } from '../../src/playbook/load.js';
import { mergeVars, resolveParams } from '../../src/playbook/vars.js';
import { commandOf, type CommandParams } from '../../src/steps/command.js';
import { argv, quote, sh } from '../../src/transport/quote.js';
import { PlaybookError } from '../../src/util/errors.js';
import { startOneHost, type OneHost } from './fixture.js';

const RUNS = Number(process.env.MTAFLEET_TEMPLATE_FUZZ_RUNS ?? 120);
const SEED = Number(process.env.MTAFLEET_TEMPLATE_FUZZ_SEED ?? 20261202);

let fx: OneHost;
const tag = `${process.pid}-${Date.now()}`;
const CANARY = `/tmp/mtaf-rel-tfuzz-${tag}`;

/** Pieces that close or open every shell context, and run `touch CANARY` if evaluated. */
const FRAGMENTS = [
  "'", '"', '\\', '`', '$', '(', ')', '{', '}', ';', '&', '|', '<', '>', '#', '\n', '\t', ' ', '*', '~', '=', '-n', '%s', 'EOF',
  `$(touch ${CANARY})`, `\`touch ${CANARY}\``, `; touch ${CANARY};`, `'; touch ${CANARY}; '`, `"; touch ${CANARY}; "`, `\ntouch ${CANARY}\n`,
  `a[$(touch ${CANARY})]`, '{{ v }}', '$HOME', '${HOME}', 'A=b', '{a,b}', 'é', '☃', '\u001b[2J',
];
const value = fc
  .oneof(
    fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 8 }).map((parts) => parts.join('')),
    fc.string({ unit: 'grapheme', maxLength: 24 }),
    fc.string({ unit: 'binary-ascii', maxLength: 24 }),
  )
  .filter((v) => !v.includes('\0'));

interface Position {
  name: string;
  /** The task's command params (or health_gate), as YAML flow text. */
  yaml: string;
  gate?: boolean;
  /** The shell text the step runs for this field, from the rendered params. */
  command?: (p: CommandParams) => string;
  /** What that command prints. */
  prints?: (v: string) => string;
}

const cmd = (p: CommandParams) => commandOf(p).text;
const unless = (p: CommandParams) => argv('sh', '-c', p.unless!).text; // as commandStep.observe runs it
const y = (x: unknown) => JSON.stringify(x);
const same = (v: string) => v;

const POSITIONS: Position[] = [
  { name: 'cmd unquoted', yaml: y({ cmd: 'printf %s {{ v }}' }), command: cmd, prints: same },
  { name: 'cmd inside a word', yaml: y({ cmd: 'printf %s pre{{ v }}post' }), command: cmd, prints: (v) => `pre${v}post` },
  { name: 'cmd next to quotes', yaml: y({ cmd: `printf '%s' '<'{{ v }}">"` }), command: cmd, prints: (v) => `<${v}>` },
  { name: 'cmd nested sh -c positional', yaml: y({ cmd: `sh -c 'printf %s "$1"' _ {{ v }}` }), command: cmd, prints: same },
  { name: 'cmd as the script of sh -c', yaml: y({ cmd: 'sh -c {{ v }}' }) },
  { name: 'cmd as the argument of eval', yaml: y({ cmd: 'eval printf %s {{ v }}' }) },
  { name: 'cmd as an ssh argument', yaml: y({ cmd: 'ssh relay printf %s {{ v }}' }) },
  { name: 'cmd in single quotes', yaml: y({ cmd: "printf %s '{{ v }}'" }) },
  { name: 'cmd in double quotes', yaml: y({ cmd: 'printf %s "{{ v }}"' }) },
  { name: 'cmd nested sh -c text', yaml: y({ cmd: "sh -c 'printf %s {{ v }}'" }) },
  { name: 'cmd in $(...)', yaml: y({ cmd: 'printf %s $(printf %s {{ v }})' }) },
  { name: 'cmd in a here-doc', yaml: y({ cmd: 'cat <<EOF\n{{ v }}\nEOF' }) },
  { name: 'cmd in a comment', yaml: y({ cmd: 'printf %s x # {{ v }}' }) },
  { name: 'cmd after a backslash', yaml: y({ cmd: 'printf %s \\{{ v }}' }) },
  { name: 'unless unquoted', yaml: y({ cmd: 'true', unless: 'printf %s {{ v }}' }), command: unless, prints: same },
  { name: 'unless in quotes', yaml: y({ cmd: 'true', unless: `test -n '{{ v }}'` }) },
  { name: 'argv item', yaml: y({ argv: ['printf', '%s', '{{ v }}'] }), command: cmd, prints: same },
  { name: 'argv part of an item', yaml: y({ argv: ['printf', '%s', "a'{{ v }}\"b"] }), command: cmd, prints: (v) => `a'${v}"b` },
  { name: 'argv sh -c text', yaml: y({ argv: ['sh', '-c', 'printf %s {{ v }}'] }), command: cmd, prints: same },
  { name: 'argv env bash -ec text', yaml: y({ argv: ['env', 'A=1', '/bin/bash', '-ec', 'printf %s x{{ v }}'] }), command: cmd, prints: (v) => `x${v}` },
  { name: 'argv sh -c positional', yaml: y({ argv: ['sh', '-c', 'printf %s "$1"', '_', '{{ v }}'] }), command: cmd, prints: same },
  { name: 'argv ssh argument', yaml: y({ argv: ['ssh', 'relay', 'printf %s {{ v }}'] }) },
  { name: 'argv bash -c text in [[ ]]', yaml: y({ argv: ['bash', '-c', '[[ {{ v }} -eq 1 ]]'] }) },
  { name: 'argv sh -c text in single quotes', yaml: y({ argv: ['sh', '-c', "printf %s '{{ v }}'"] }) },
  { name: 'argv sh -c text in double quotes', yaml: y({ argv: ['sh', '-c', 'printf %s "{{ v }}"'] }) },
  { name: 'creates', yaml: y({ cmd: 'true', creates: '/tmp/{{ v }}' }), command: (p) => sh`printf %s ${p.creates!}`.text, prints: (v) => `/tmp/${v}` },
  { name: 'health gate cmd', gate: true, yaml: y({ cmd: 'printf %s {{ v }}' }) },
  { name: 'health gate argv', gate: true, yaml: y({ argv: ['printf', '%s', '{{ v }}'] }) },
];

function playbookText(pos: Position): string {
  if (pos.gate) return `- hosts: all\n  health_gate: ${pos.yaml}\n  tasks:\n    - name: t\n      command: { argv: ["true"] }\n`;
  return `- hosts: all\n  tasks:\n    - name: t\n      command: ${pos.yaml}\n`;
}

/** A refusal must say where (file:line: path) and why. */
const CLEAR = /^\/pb\.yaml:\d+: plays\[0\]\.(tasks\[0\]\.command\.\w+|health_gate\.\w+).*: .*(\{\{ v \}\} is |health_gate is not templated|must not contain|NUL)/m;

beforeAll(async () => {
  fx = await startOneHost('tfuzz');
}, 60_000);

afterAll(async () => {
  rmSync(CANARY, { force: true });
  await fx?.cleanup();
});

describe('template fuzz: refused with a clear message, or the exact bytes', () => {
  it(`${RUNS} values x ${POSITIONS.length} positions on a real host`, async () => {
    const values = fc.sample(value, { seed: SEED, numRuns: RUNS });
    values.push('', "'", '"', `$(touch ${CANARY})`, 'A=b', '~root', '{a,b}', '-n');
    const out = join(fx.dir, 'fuzz-out');
    mkdirSync(out);
    const cases: Array<{ what: string; expected: string }> = [];
    const script: string[] = [];
    const refusedPositions: string[] = [];
    for (const pos of POSITIONS) {
      let pb;
      try {
        pb = parsePlaybook('/pb.yaml', playbookText(pos));
      } catch (err) {
        expect(err, pos.name).toBeInstanceOf(PlaybookError);
        expect((err as Error).message, pos.name).toMatch(CLEAR);
        refusedPositions.push(pos.name);
        continue;
      }
      expect(pos.command, `${pos.name} was accepted at load, but the test expected a refusal`).toBeDefined();
      const task = pb.plays[0].tasks[0];
      for (const v of values) {
        let params: CommandParams;
        try {
          params = resolveParams(pb, task, mergeVars({ extra: { v }, hostName: 'h1' }), 'h1') as CommandParams;
        } catch (err) {
          expect(err, `${pos.name} ${JSON.stringify(v)}`).toBeInstanceOf(PlaybookError);
          expect((err as Error).message, `${pos.name} ${JSON.stringify(v)}`).toMatch(CLEAR);
          continue;
        }
        const n = cases.length;
        cases.push({ what: `${pos.name} with ${JSON.stringify(v)}`, expected: pos.prints!(v) });
        // Each case in its own bash (root's login shell, as sshd runs a command), output to its file.
        script.push(`bash -c ${quote(pos.command!(params))} >${quote(join(out, String(n)))} 2>/dev/null </dev/null`);
      }
    }
    expect(refusedPositions.sort()).toEqual(POSITIONS.filter((p) => !p.command).map((p) => p.name).sort());
    const scriptFile = fx.write('fuzz.sh', script.join('\n') + '\n');
    const inv = fx.inventory('inv.yaml');
    const r = await fx.cli(['exec', '-i', inv, '--format', 'json', '--', 'bash', scriptFile]);
    expect(r.code, r.stderr).toBe(0);
    const wrong: string[] = [];
    cases.forEach((c, n) => {
      const got = existsSync(join(out, String(n))) ? readFileSync(join(out, String(n))) : Buffer.from('<missing>');
      if (!got.equals(Buffer.from(c.expected, 'utf8'))) wrong.push(`${c.what}: printed ${JSON.stringify(got.toString('utf8'))}`);
    });
    expect(wrong.slice(0, 10)).toEqual([]);
    expect(cases.length).toBeGreaterThan(RUNS * 8);
    expect(existsSync(CANARY), 'a template value ran as shell code').toBe(false);
    for (const d of ['/root', fx.dir]) expect(readdirSync(d).filter((f) => f.includes('mtaf-rel-tfuzz'))).toEqual([]);
  }, 240_000);
});
