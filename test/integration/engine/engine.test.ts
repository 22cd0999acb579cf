import { existsSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashTree, startFixture, type Fixture } from './fleet-fixture.js';

let fx: Fixture;

beforeAll(async () => {
  fx = await startFixture();
}, 120_000);

afterAll(async () => {
  if (process.env.MTAF_ENG_SSHD_LOG) console.log(fx?.sshdLog().split('\n').slice(-60).join('\n'));
  await fx?.cleanup();
});

const FILE_PLAYBOOK = `
- name: configure app
  hosts: mta
  serial: 1
  tasks:
    - name: whole config file
      file:
        path: "{{ target_dir }}/app.conf"
        content: "threads = {{ threads | default(8) }}\\n"
        mode: "0640"
    - name: one line in limits
      file: { path: "{{ target_dir }}/limits.conf", line: "nofile = 65536", regexp: "^nofile" }
`;

function seed(): void {
  for (const h of ['h1', 'h2']) {
    writeFileSync(join(fx.hostDir(h), 'app.conf'), 'threads = 2\n');
    writeFileSync(join(fx.hostDir(h), 'limits.conf'), '# limits\nnofile = 1024\n');
  }
}

describe('engine end to end (real sshd)', () => {
  it('run --check shows the changes and leaves hosts byte-for-byte unchanged', async () => {
    seed();
    const pb = fx.write('pb-file.yaml', FILE_PLAYBOOK);
    const before = hashTree(join(fx.dir, 'hosts'));
    const r = await fx.cli(['run', pb, '-i', fx.inventory, '--check', '--diff']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('-threads = 2');
    expect(r.stdout).toContain('+threads = 8');
    expect(r.stdout).toContain('+nofile = 65536');
    expect(hashTree(join(fx.dir, 'hosts'))).toEqual(before);
    expect(existsSync(join(fx.dir, 'lock-h1'))).toBe(false);
  }, 300_000);

  it('run applies, then a second run reports 0 changes', async () => {
    seed();
    const pb = fx.write('pb-file.yaml', FILE_PLAYBOOK);
    const first = await fx.cli(['run', pb, '-i', fx.inventory, '--format', 'json', '-e', 'threads=16']);
    expect(first.code, first.stderr).toBe(0);
    const j1 = JSON.parse(first.stdout);
    expect(j1.summary).toMatchObject({ changed: 2, failed: 0 });
    expect(j1.hosts.map((h: { changes: number }) => h.changes)).toEqual([2, 2]);
    expect(readFileSync(join(fx.hostDir('h1'), 'app.conf'), 'utf8')).toBe('threads = 16\n');
    expect((statSync(join(fx.hostDir('h1'), 'app.conf')).mode & 0o777).toString(8)).toBe('640');
    expect(readFileSync(join(fx.hostDir('h2'), 'limits.conf'), 'utf8')).toBe('# limits\nnofile = 65536\n');
    const second = await fx.cli(['run', pb, '-i', fx.inventory, '--format', 'json', '-e', 'threads=16']);
    expect(second.code).toBe(0);
    const j2 = JSON.parse(second.stdout);
    expect(j2.summary).toMatchObject({ ok: 2, changed: 0 });
    expect(j2.hosts.every((h: { changes: number }) => h.changes === 0)).toBe(true);
    // history
    const runs = await fx.cli(['runs', '--format', 'json']);
    const ids = JSON.parse(runs.stdout).map((x: { runId: string }) => x.runId);
    expect(ids).toContain(j1.runId);
    expect(ids).toContain(j2.runId);
    const mode = statSync(join(fx.stateDir, 'runs', j1.runId, 'journal.jsonl')).mode & 0o777;
    expect(mode).toBe(0o600);
    expect(statSync(join(fx.stateDir, 'runs')).mode & 0o777).toBe(0o700);
  }, 600_000);

  it('plan, drift on one host by hand, apply: that host refused with the drift named, the other applied', async () => {
    seed();
    // No serial: both hosts in one batch, so one refused host does not stop the other.
    const pb = fx.write('pb-file-1batch.yaml', FILE_PLAYBOOK.replace('  serial: 1\n', ''));
    const planFile = join(fx.dir, 'change.plan');
    const p = await fx.cli(['plan', pb, '-i', fx.inventory, '--out', planFile, '-e', 'threads=32']);
    expect(p.code, p.stderr).toBe(0);
    const digest = /plan digest \(sha256\): ([0-9a-f]{64})/.exec(p.stdout)?.[1];
    expect(digest).toBeDefined();
    expect(statSync(planFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(fx.hostDir('h1'), 'app.conf'), 'utf8')).toBe('threads = 2\n');
    writeFileSync(join(fx.hostDir('h1'), 'app.conf'), 'threads = 3\n');

    const noTty = await fx.cli(['apply', planFile]);
    expect(noTty.code).toBe(1);
    expect(noTty.stderr).toMatch(/--yes/);

    const a = await fx.cli(['apply', planFile, '--yes', '--format', 'json']);
    expect(a.code, a.stderr).toBe(3);
    const j = JSON.parse(a.stdout);
    const h1 = j.hosts.find((h: { name: string }) => h.name === 'h1');
    const h2 = j.hosts.find((h: { name: string }) => h.name === 'h2');
    expect(h1.status).toBe('refused');
    expect(h1.error).toMatch(new RegExp(`file ${fx.hostDir('h1')}/app.conf changed \\(sha256 [0-9a-f]{8} -> [0-9a-f]{8}`));
    expect(h2.status).toBe('changed');
    expect(readFileSync(join(fx.hostDir('h1'), 'app.conf'), 'utf8')).toBe('threads = 3\n');
    expect(readFileSync(join(fx.hostDir('h2'), 'app.conf'), 'utf8')).toBe('threads = 32\n');
  }, 600_000);

  it('serial 1: a refused first batch stops the run, the other host is reported as not run', async () => {
    seed();
    const pb = fx.write('pb-file.yaml', FILE_PLAYBOOK);
    const planFile = join(fx.dir, 'serial.plan');
    expect((await fx.cli(['plan', pb, '-i', fx.inventory, '--out', planFile])).code).toBe(0);
    writeFileSync(join(fx.hostDir('h1'), 'limits.conf'), 'nofile = 1\n');
    const a = await fx.cli(['apply', planFile, '--yes', '--format', 'json']);
    expect(a.code).toBe(3);
    const j = JSON.parse(a.stdout);
    expect(j.hosts).toHaveLength(1);
    expect(j.hosts[0].error).toMatch(/limits\.conf changed/);
    expect(j.notRun).toEqual(['h2']);
    expect(j.stopped).toMatch(/batch 1 of 2/);
    expect(readFileSync(join(fx.hostDir('h2'), 'app.conf'), 'utf8')).toBe('threads = 2\n');
  }, 600_000);

  it('a modified or truncated plan file is refused with exit 1', async () => {
    seed();
    const pb = fx.write('pb-file.yaml', FILE_PLAYBOOK);
    const planFile = join(fx.dir, 'tamper.plan');
    expect((await fx.cli(['plan', pb, '-i', fx.inventory, '--out', planFile, '--format', 'json'])).code).toBe(0);
    const text = readFileSync(planFile, 'utf8');
    writeFileSync(planFile, text.replace('threads = 8', 'threads = 9'));
    const a = await fx.cli(['apply', planFile, '--yes']);
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(/modified after it was written/);
    writeFileSync(planFile, text.slice(0, text.length / 2));
    const b = await fx.cli(['apply', planFile, '--yes']);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/not valid JSON/);
    expect(readFileSync(join(fx.hostDir('h1'), 'app.conf'), 'utf8')).toBe('threads = 2\n');
  }, 600_000);

  it('a failing command after a file change rolls the host back automatically', async () => {
    seed();
    const pb = fx.write(
      'pb-fail.yaml',
      `
- hosts: mta
  tasks:
    - name: new config
      file: { path: "{{ target_dir }}/app.conf", content: "threads = 99\\n" }
    - name: broken reload
      command: { cmd: "echo reload failed >&2; exit 3" }
`,
    );
    const r = await fx.cli(['run', pb, '-i', fx.inventory, '--limit', 'h1', '--format', 'json']);
    expect(r.code).toBe(2);
    const j = JSON.parse(r.stdout);
    expect(j.hosts[0]).toMatchObject({ name: 'h1', status: 'failed' });
    expect(j.hosts[0].error).toMatch(/reload failed/);
    expect(readFileSync(join(fx.hostDir('h1'), 'app.conf'), 'utf8')).toBe('threads = 2\n');
    const journal = readFileSync(join(fx.stateDir, 'runs', j.runId, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(journal.map((x: { type: string }) => x.type)).toEqual(['intent', 'done', 'intent', 'failed', 'undo-failed', 'undone']);
  }, 300_000);

  it('SIGKILL mid-run, then rollback restores the file from the journal', async () => {
    seed();
    const pb = fx.write(
      'pb-slow.yaml',
      `
- hosts: mta
  tasks:
    - name: new config
      file: { path: "{{ target_dir }}/app.conf", content: "threads = 77\\n" }
    - name: slow step
      command: { cmd: "echo $$ > {{ target_dir }}/sleep.pid; exec sleep 300" }
`,
    );
    const child = fx.spawnCli(['run', pb, '-i', fx.inventory, '--limit', 'h1']);
    let childOutput = '';
    child.stdout!.on('data', (d: Buffer) => (childOutput += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (childOutput += d.toString()));
    const exited = new Promise((r) => child.once('exit', r));
    try {
      const deadline = Date.now() + 180_000;
      while (!existsSync(join(fx.hostDir('h1'), 'sleep.pid'))) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the run never reached the slow command: ${childOutput}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(readFileSync(join(fx.hostDir('h1'), 'app.conf'), 'utf8')).toBe('threads = 77\n');
    } finally {
      child.kill('SIGKILL');
      await exited;
      // The remote command outlives its runner; stop it by its own pid.
      const pidFile = join(fx.hostDir('h1'), 'sleep.pid');
      for (let i = 0; i < 50 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 100));
      if (existsSync(pidFile)) {
        try {
          process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    const runs = JSON.parse((await fx.cli(['runs', '--format', 'json'])).stdout) as Array<{ runId: string; finishedAt: string | null; playbook: string }>;
    const killed = runs.find((r) => r.playbook.endsWith('pb-slow.yaml'))!;
    expect(killed.finishedAt).toBeNull();
    // A new run is refused by the dead run's lock, never breaking it silently.
    const blocked = await fx.cli(['run', pb, '-i', fx.inventory, '--limit', 'h1', '--format', 'json']);
    expect(blocked.code).toBe(3);
    expect(JSON.parse(blocked.stdout).hosts[0].error).toContain(`locked by run ${killed.runId}`);

    const rb = await fx.cli(['rollback', killed.runId]);
    expect(rb.stdout).toMatch(/run: echo .*sleep 300.*has no undo/s);
    expect(readFileSync(join(fx.hostDir('h1'), 'app.conf'), 'utf8')).toBe('threads = 2\n');
    expect(existsSync(join(fx.dir, 'lock-h1'))).toBe(false);
    // Everything restorable is restored; a second rollback has only the command left to report.
    const again = await fx.cli(['rollback', killed.runId, '--format', 'json']);
    expect(JSON.parse(again.stdout).problems.map((p: { change: string }) => p.change)).toEqual([
      // A template in shell text is always one single-quoted word.
      `run: echo $$ > '${fx.hostDir('h1')}'/sleep.pid; exec sleep 300`,
    ]);
  }, 900_000);
});
