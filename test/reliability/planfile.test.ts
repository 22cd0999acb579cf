/**
 * Plan files that are truncated, hand-edited, reordered, from another inventory, binary,
 * UTF-16, empty or huge: `mtafleet apply` exits 1 (PlanFileError) with a clear message and
 * opens no connection (sshd logs none) — the target file stays as it was.
 */
import { closeSync, existsSync, ftruncateSync, openSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planDigest, type PlanDocument } from '../../src/engine/planfile.js';
import { STEP_KINDS } from '../../src/steps/registry.js';
import { startOneHost, type OneHost } from './fixture.js';

let fx: OneHost;
let planText: string;
let inv: string;
let target: string;
let planMode: number;

const accepted = () => (fx.sshd.log().match(/Accepted publickey/g) ?? []).length;
const connections = () => (fx.sshd.log().match(/Connection from/g) ?? []).length;

beforeAll(async () => {
  fx = await startOneHost('plan');
  target = join(fx.dir, 'target');
  mkdirSync(target);
  writeFileSync(join(target, 'app.conf'), 'threads = 2\n');
  inv = fx.inventory('inv.yaml', [`target: ${target}`]);
  const pb = fx.write('pb.yaml', `- hosts: mta\n  tasks:\n    - name: conf\n      file: { path: "{{ target }}/app.conf", content: "threads = 8\\n" }\n`);
  const planFile = join(fx.dir, 'good.plan');
  const r = await fx.cli(['plan', pb, '-i', inv, '--out', planFile]);
  if (r.code !== 0) throw new Error(`plan failed (${r.code}): ${r.stderr}${r.stdout}`);
  planText = readFileSync(planFile, 'utf8');
  planMode = statSync(planFile).mode & 0o777;
}, 90_000);

afterAll(async () => {
  await fx?.cleanup();
});

const doc = (): PlanDocument => JSON.parse(planText) as PlanDocument;
/** Re-signs an edited body the way an attacker (or a careless script) would. */
function resealed(d: PlanDocument): string {
  const { digest: _old, ...body } = d;
  return JSON.stringify({ ...body, digest: planDigest(body as never) }, null, 2);
}

async function applyRefused(name: string, content: string | Buffer, pattern: RegExp, exitCode = 1): Promise<string> {
  const file = fx.write(name, content);
  const before = connections();
  const started = Date.now();
  const r = await fx.cli(['apply', file, '--yes']);
  expect(r.code, r.stderr + r.stdout).toBe(exitCode);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/internal error/);
  expect(Date.now() - started).toBeLessThan(15_000);
  if (exitCode === 1) expect(connections(), 'apply opened an ssh connection').toBe(before);
  expect(readFileSync(join(target, 'app.conf'), 'utf8')).toBe('threads = 2\n');
  return r.stderr;
}

/**
 * An attacker who can write the plan file recomputes the digest and, for edited params, lets
 * mtafleet's own planner re-derive the changes, so the derivation check alone passes. Apply
 * re-renders the play from the playbook the plan names and refuses what it could not produce.
 */
describe('apply refuses a resealed plan the playbook could not have produced (exit 1, nothing runs)', () => {
  let gatePlan: string;
  let gatePlanText: string;
  const canary = () => join(fx.dir, 'pwned-canary');
  const gateTarget = () => join(target, 'gate.conf');

  beforeAll(async () => {
    const pb = fx.write(
      'pb-gate.yaml',
      [
        '- hosts: mta',
        '  serial: 1',
        '  max_fail_percentage: 0',
        '  health_gate: { argv: ["test", "-d", "/"], timeout_seconds: 30 }',
        '  tasks:',
        '    - name: gate conf',
        '      file: { path: "{{ target }}/gate.conf", content: "gated\\n" }',
        '    - name: note',
        '      command: { argv: ["true"] }',
        '',
      ].join('\n'),
    );
    const file = join(fx.dir, 'gate.plan');
    const r = await fx.cli(['plan', pb, '-i', inv, '--out', file]);
    if (r.code !== 0) throw new Error(`plan failed (${r.code}): ${r.stderr}${r.stdout}`);
    gatePlan = readFileSync(file, 'utf8');
    gatePlanText = r.stdout;
  }, 60_000);

  async function refusedResealed(name: string, d: PlanDocument, pattern: RegExp): Promise<void> {
    const file = fx.write(name, resealed(d));
    const before = connections();
    const r = await fx.cli(['apply', file, '--yes']);
    expect(r.code, r.stderr + r.stdout).toBe(1);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).toMatch(/\(hand-edited and resealed\?\); make a new plan/);
    // Refused before the operator is asked to confirm (without --yes, not "no terminal to ask on").
    const asked = await fx.cli(['apply', file]);
    expect(asked.code).toBe(1);
    expect(asked.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(connections(), 'apply opened an ssh connection').toBe(before);
    expect(existsSync(canary()), 'the attacker\'s command ran').toBe(false);
    expect(existsSync(gateTarget()), 'a change was applied').toBe(false);
  }

  it('a health gate command added to the plan', async () => {
    const d = JSON.parse(gatePlan) as PlanDocument;
    d.plays[0].rolling.healthGate = { cmd: `touch ${canary()}` };
    await refusedResealed('gate-added.plan', d, /play "mta": the health gate .* is not what the playbook .* says/);
  });

  it('the rolling rules loosened (serial, max_fail_percentage)', async () => {
    const d = JSON.parse(gatePlan) as PlanDocument;
    d.plays[0].rolling.serial = [];
    delete d.plays[0].rolling.maxFailPercentage;
    await refusedResealed('rolling.plan', d, /play "mta": the rolling rules .* not what the playbook .* says/);
  });

  it('a command task\'s argv edited, its changes re-derived by mtafleet\'s own planner', async () => {
    const d = JSON.parse(gatePlan) as PlanDocument;
    const task = d.plays[0].hosts[0].tasks.find((t) => t.kind === 'command')!;
    task.params = { argv: ['touch', canary()] };
    task.plan = STEP_KINDS.command.plan(task.observations, task.params);
    await refusedResealed('argv.plan', d, /host h1: task "note": params .* not what the playbook renders/);
  });

  it('a file task\'s content edited, its changes re-derived by mtafleet\'s own planner', async () => {
    const d = JSON.parse(gatePlan) as PlanDocument;
    const task = d.plays[0].hosts[0].tasks.find((t) => t.kind === 'file')!;
    task.params = { ...(task.params as object), content: 'pwned\n' };
    task.plan = STEP_KINDS.file.plan(task.observations, task.params);
    await refusedResealed('content.plan', d, /host h1: task "gate conf": params .* not what the playbook renders/);
  });

  it('the printed plan shows the rolling rules and the health gate command', () => {
    expect(gatePlanText).toContain('PLAY mta\n  batches (serial): 1 host(s) per batch\n  stop the play: when more than 0% of a batch failed (max_fail_percentage)\n');
    expect(gatePlanText).toContain('  health gate after each batch: on each host, exit 0 = healthy, timeout 30s: $ test -d /\n');
  });

  it('the honest plan with its health gate still applies, and the gate runs', async () => {
    const r = await fx.cli(['apply', fx.write('gate-good.plan', gatePlan), '--yes']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    // What the operator confirms names the playbook and the gate command as it runs.
    expect(r.stderr).toMatch(/^playbook \S+pb-gate\.yaml \(sha256 [0-9a-f]{64}\)$/m);
    expect(r.stderr).toContain('play "mta": health gate after each batch: on each host, exit 0 = healthy, timeout 30s: $ test -d /\n');
    expect(readFileSync(gateTarget(), 'utf8')).toBe('gated\n');
    expect(existsSync(canary())).toBe(false);
  });
});

describe('apply refuses damaged or foreign plan files (exit 1, no host touched)', () => {
  it('the good plan has a change and mode 0600 (sanity: the cases below differ only by the damage)', () => {
    expect(doc().plays[0].hosts[0].tasks[0].plan.kind).toBe('changes');
    expect(planMode.toString(8)).toBe('600');
  });

  it('truncated', async () => {
    await applyRefused('trunc.plan', planText.slice(0, Math.floor(planText.length / 2)), /not valid JSON \(truncated or damaged\?\)/);
  });

  it('empty', async () => {
    await applyRefused('empty.plan', '', /not valid JSON/);
  });

  it('binary garbage', async () => {
    await applyRefused('garbage.plan', randomBytes(8192), /not (valid JSON|a plan file|an mtafleet plan)/);
  });

  it('UTF-16', async () => {
    await applyRefused('u16.plan', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(planText, 'utf16le')]), /not valid JSON|UTF-16/);
  });

  it('hand-edited: a change\'s new content altered, digest left', async () => {
    const d = doc();
    const text = JSON.stringify(d, null, 2).replace('threads = 8', 'threads = 9');
    expect(text).not.toBe(JSON.stringify(d, null, 2));
    await applyRefused('edited.plan', text, /modified after it was written/);
  });

  it('hand-edited: an undo action removed, digest left', async () => {
    const d = doc();
    d.plays[0].hosts[0].tasks[0].plan = { kind: 'noop', reason: 'nothing' } as never;
    await applyRefused('edited2.plan', JSON.stringify(d, null, 2), /modified after it was written/);
  });

  it('reordered arrays (tasks/changes) break the digest', async () => {
    const d = doc();
    const host = d.plays[0].hosts[0];
    host.tasks = [...host.tasks, { ...host.tasks[0], name: 'dup' }].reverse();
    await applyRefused('reordered.plan', JSON.stringify(d, null, 2), /modified after it was written/);
  });

  it('missing digest / digest not hex', async () => {
    const d = doc() as unknown as Record<string, unknown>;
    delete d.digest;
    await applyRefused('nodigest.plan', JSON.stringify(d), /damaged: digest/);
    await applyRefused('baddigest.plan', JSON.stringify({ ...doc(), digest: 'x' }), /damaged: digest/);
  });

  it('not a plan at all (valid JSON of another shape), wrong version', async () => {
    await applyRefused('other.plan', JSON.stringify({ hosts: [] }), /not an mtafleet plan file/);
    await applyRefused('v2.plan', resealed({ ...doc(), version: 2 as never }), /plan format version 2/);
  });

  it('resealed, but from a different inventory (sha256 differs)', async () => {
    const d = doc();
    d.inventory.sha256 = 'a'.repeat(64);
    await applyRefused('otherinv.plan', resealed(d), /inventory .* changed since the plan was made/);
  });

  it('resealed, naming an inventory that does not exist', async () => {
    const d = doc();
    d.inventory.path = join(fx.dir, 'no-such-inventory.yaml');
    await applyRefused('noinv.plan', resealed(d), /cannot read inventory file .*no such file/);
  });

  it('resealed, with a host that is not in the inventory', async () => {
    const d = doc();
    d.plays[0].hosts[0].host = 'ghost';
    await applyRefused('ghost.plan', resealed(d), /host ghost of the plan is not in/);
  });

  it('the inventory changed on disk after planning (a host added)', async () => {
    const original = readFileSync(inv, 'utf8');
    try {
      writeFileSync(inv, original + '    other:\n      hosts:\n        h2:\n          ansible_host: 127.0.0.1\n');
      await applyRefused('good-stale.plan', planText, /changed since the plan was made/);
    } finally {
      writeFileSync(inv, original);
    }
  });

  it('host_vars/ added after planning (not covered by the inventory file digest)', async () => {
    const dir = join(fx.dir, 'host_vars');
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, 'h1.yaml'), `ansible_port: 1\n`);
      await applyRefused('good-hostvars.plan', planText, /host h1: its inventory variables .* changed since the plan was made/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('resealed with an altered fingerprint: refused before any host is touched', async () => {
    const d = doc();
    d.plays[0].hosts[0].fingerprint = 'f'.repeat(64);
    await applyRefused('drift.plan', resealed(d), /fingerprint is not the hash of the recorded observations/);
  });

  it('resealed with a change altered (new digest computed): the change is re-derived and refused', async () => {
    const text = JSON.stringify(doc(), null, 2).replace(
      Buffer.from('threads = 8\n').toString('base64'),
      Buffer.from('threads = 9\n').toString('base64'),
    );
    const d = JSON.parse(text.replace('threads = 8', 'threads = 9')) as PlanDocument;
    expect(JSON.stringify(d)).not.toBe(JSON.stringify(doc()));
    await applyRefused('forged.plan', resealed(d), /not what mtafleet plans from the recorded observation and parameters/);
  });

  it('a 100 MB plan file is refused unread with a size message', async () => {
    const file = join(fx.dir, 'huge.plan');
    const fd = openSync(file, 'w');
    ftruncateSync(fd, 100 * 1024 * 1024);
    closeSync(fd);
    const r = await fx.cli(['apply', file, '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/MiB/);
  });

  it('a 100 MB plan file still ends in exit 1 within seconds', async () => {
    const file = join(fx.dir, 'huge2.plan');
    const fd = openSync(file, 'w');
    ftruncateSync(fd, 100 * 1024 * 1024);
    closeSync(fd);
    const started = Date.now();
    const r = await fx.cli(['apply', file, '--yes']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/refused unread/);
    // A bound against hanging on huge input, not a speed test.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('the host key changed between plan and apply: exit 4 with the new fingerprint, nothing written', async () => {
    const original = readFileSync(fx.knownHosts, 'utf8');
    const other = join(fx.dir, 'other_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other], { stdio: 'ignore' });
    const otherPub = readFileSync(`${other}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
    try {
      writeFileSync(fx.knownHosts, `[127.0.0.1]:${fx.sshd.port} ${otherPub}\n`);
      const acceptedBefore = accepted();
      const r = await fx.cli(['apply', fx.write('keychange.plan', planText), '--yes']);
      expect(r.code, r.stderr + r.stdout).toBe(4);
      expect(r.stdout + r.stderr).toMatch(/host key/i);
      expect(accepted(), 'apply authenticated to a host whose key changed').toBe(acceptedBefore);
      expect(readFileSync(join(target, 'app.conf'), 'utf8')).toBe('threads = 2\n');
    } finally {
      writeFileSync(fx.knownHosts, original);
    }
  });

  it('finally, the intact plan applies (the refusals above were not a broken fixture)', async () => {
    const file = fx.write('good-again.plan', planText);
    const r = await fx.cli(['apply', file, '--yes']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(readFileSync(join(target, 'app.conf'), 'utf8')).toBe('threads = 8\n');
  });
});
