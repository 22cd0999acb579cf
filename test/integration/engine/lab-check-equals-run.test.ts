/**
 * Issue #14 items 1-3 on a lab host: for every shipped playbook, the changes `plan` shows are
 * the changes `run` then applies (per task, by summary), and a second plan has none left;
 * two sysctl tasks in one play plan and run both; audit-remediate.yaml with several findings
 * (two edits of /etc/pmta/config, a drop-in, sysctls, two handlers) goes plan file -> apply ->
 * re-run with zero changes -> rollback; a command followed by a task on what it touches is
 * shown predicted and re-planned at apply.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostState } from '../../helpers/host-state.js';
import { startLab, type LabHandle } from '../../helpers/lab.js';
import { buildOnce, ROOT, runCli } from './fleet-fixture.js';

const MP = '/var/spool/pmta-nvme-chk';
let lab: LabHandle;
let dir: string;

beforeAll(async () => {
  buildOnce();
  dir = mkdtempSync(join(tmpdir(), 'mtaf-chk-'));
  lab = await startLab({ name: 'chk1', hosts: 1, scenarios: ['healthy'], usedDevices: 'none' });
  // spool-migrate keeps its records under /var/lib/mtafleet, which lab hosts share with the
  // machine (and other labs): this host gets its own, so spool-finalize sees only its migration.
  const own = await lab.run(lab.hosts[0].name, 'mkdir -p /var/lib/mtafleet && mount -t tmpfs -o mode=0755 mtaf-chk-state /var/lib/mtafleet');
  if (own.exitCode !== 0) throw new Error(`cannot give the lab host its own /var/lib/mtafleet: ${own.stderr}`);
}, 300_000);

afterAll(async () => {
  try {
    if (lab) await lab.run(lab.hosts[0].name, `umount ${MP} 2>/dev/null; umount /var/lib/mtafleet 2>/dev/null; rm -f /etc/mtaf-chk-marker; true`);
  } finally {
    await lab?.down();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

const cli = (args: string[]) => runCli([...args, '--state-dir', join(dir, 'state')], { ...process.env, HOME: dir, NO_COLOR: '1' });
const host = () => lab.hosts[0].name;

interface PlanTask {
  name: string;
  handler: boolean;
  predicted?: string;
  plan: { kind: string; reason?: string; changes?: Array<{ summary: string; label: string }> };
}

async function planOf(args: string[]): Promise<PlanTask[]> {
  const r = await cli(['plan', ...args, '--format', 'json']);
  expect(r.code, r.stdout.slice(0, 2000) + r.stderr).toBe(0);
  const body = JSON.parse(r.stdout) as { plays: Array<{ hosts: Array<{ tasks: PlanTask[] }> }> };
  return body.plays.flatMap((p) => p.hosts.flatMap((h) => h.tasks));
}

/** task -> the summaries of its changes: exact ones by text, predicted ones as "(predicted)" (they name counts seen at that moment). */
function planned(tasks: PlanTask[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const t of tasks) {
    if (t.plan.kind !== 'changes') continue;
    out[t.name] = t.plan.changes!.map((c) => (c.label === 'exact' ? c.summary : '(predicted)'));
  }
  return out;
}

/** task -> the summaries of the changes a run applied, from its journal (intent records). */
function applied(runId: string, plan: PlanTask[]): Record<string, string[]> {
  const labels = new Map(plan.flatMap((t) => (t.plan.changes ?? []).map((c) => [`${t.name}\0${c.summary}`, c.label] as const)));
  const out: Record<string, string[]> = {};
  const lines = readFileSync(join(dir, 'state', 'runs', runId, 'journal.jsonl'), 'utf8').trim().split('\n');
  for (const l of lines.map((x) => JSON.parse(x) as { type: string; task: string; summary: string })) {
    if (l.type !== 'intent') continue;
    const label = labels.get(`${l.task}\0${l.summary}`) ?? 'predicted';
    (out[l.task] ??= []).push(label === 'exact' ? l.summary : '(predicted)');
  }
  return out;
}

function changeCount(tasks: PlanTask[]): number {
  return tasks.reduce((n, t) => n + (t.plan.changes?.length ?? 0), 0);
}

async function runJson(args: string[]): Promise<{ runId: string; hosts: Array<{ status: string; changes: number; error: string | null }> }> {
  const r = await cli(['run', ...args, '--format', 'json']);
  expect(r.code, r.stdout.slice(0, 3000) + r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

const FINDINGS = ['-e', 'findings=fd-limit,port-exhaustion,thread-contention,isp-limit', '-e', 'nofile=16384'];

/** Each shipped playbook with the vars it needs on a lab host. */
const PLAYBOOKS: Array<{ file: string; vars: () => string[] }> = [
  { file: 'network-tuning.yaml', vars: () => [] },
  { file: 'pmta-threads.yaml', vars: () => [] },
  // The sandbox caps the hard open-files limit at 20000: the default 65535 cannot be granted.
  { file: 'fd-limit.yaml', vars: () => ['-e', 'nofile=16384'] },
  { file: 'isp-limits.yaml', vars: () => [] },
  { file: 'audit-remediate.yaml', vars: () => FINDINGS },
  { file: 'spool-migrate-nvme.yaml', vars: () => ['-e', `device=${lab.hosts[0].nvmeDevice}`, '-e', `mountpoint=${MP}`] },
];
// spool-finalize.yaml needs a migration to finalize: the last test of this file.
const AFTER_A_MIGRATION = ['spool-finalize.yaml'];

describe('--check tells the truth', () => {
  it('covers every shipped playbook', () => {
    const shipped = readdirSync(join(ROOT, 'playbooks')).filter((f) => f.endsWith('.yaml')).sort();
    expect([...PLAYBOOKS.map((p) => p.file), ...AFTER_A_MIGRATION].sort()).toEqual(shipped);
  });

  for (const { file, vars } of PLAYBOOKS) {
    it(`${file}: plan = what run applies, a second plan is empty, rollback restores the start`, async () => {
      const args = [join(ROOT, 'playbooks', file), '-i', lab.inventoryFile, ...vars()];
      const start = await hostState(lab, host());
      const plan = await planOf(args);
      expect(changeCount(plan)).toBeGreaterThan(0);
      expect(plan.filter((t) => t.plan.kind === 'refused')).toEqual([]);

      const run = await runJson(args);
      expect(run.hosts[0]).toMatchObject({ status: 'changed', error: null });
      expect(applied(run.runId, plan)).toEqual(planned(plan));

      const again = await planOf(args);
      expect(planned(again)).toEqual({});

      const back = await cli(['rollback', run.runId]);
      expect(back.code, back.stdout + back.stderr).toBe(0);
      expect(await hostState(lab, host())).toBe(start);
    }, 600_000);
  }
});

describe('plans that hold for whole playbooks', () => {
  it('two sysctl tasks in one play: both planned (the second against the first one\'s drop-in), both run', async () => {
    const pb = join(dir, 'two-sysctl.yaml');
    writeFileSync(
      pb,
      `- hosts: all
  tasks:
    - name: FIN timeout
      sysctl: { name: net.ipv4.tcp_fin_timeout, value: "13" }
    - name: backlog
      sysctl: { name: net.core.somaxconn, value: "4097" }
`,
    );
    const start = await hostState(lab, host());
    const check = await cli(['run', pb, '-i', lab.inventoryFile, '--check']);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(await hostState(lab, host())).toBe(start);
    const plan = await planOf([pb, '-i', lab.inventoryFile]);
    const summaries = planned(plan);
    expect(summaries['FIN timeout']).toContain('set net.ipv4.tcp_fin_timeout 60 -> 13 (runtime)');
    expect(summaries.backlog.join('\n')).toMatch(/edit \/etc\/sysctl.d\/90-mtafleet.conf: net.core.somaxconn = 4097/);
    const run = await runJson([pb, '-i', lab.inventoryFile]);
    expect(applied(run.runId, plan)).toEqual(summaries);
    const conf = await lab.run(host(), 'cat /etc/sysctl.d/90-mtafleet.conf; sysctl -n net.ipv4.tcp_fin_timeout net.core.somaxconn');
    expect(conf.stdout).toMatch(/net.ipv4.tcp_fin_timeout = 13\nnet.core.somaxconn = 4097\n13\n4097\n$/);
    expect(planned(await planOf([pb, '-i', lab.inventoryFile]))).toEqual({});
    expect((await cli(['rollback', run.runId])).code).toBe(0);
    expect(await hostState(lab, host())).toBe(start);
  }, 300_000);

  it('audit-remediate.yaml with four findings: plan file -> apply -> re-run with 0 changes -> rollback', async () => {
    const args = [join(ROOT, 'playbooks/audit-remediate.yaml'), '-i', lab.inventoryFile, ...FINDINGS];
    const start = await hostState(lab, host());
    const planFile = join(dir, 'fix.plan');
    const made = await cli(['plan', ...args, '--out', planFile]);
    expect(made.code, made.stdout + made.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(planFile, 'utf8')) as { plays: Array<{ hosts: Array<{ tasks: PlanTask[] }> }> };
    const tasks = doc.plays[0].hosts[0].tasks;
    const edits = tasks.filter((t) => t.name.startsWith('thread-contention') || t.name.startsWith('isp-limit'));
    expect(edits.map((t) => t.plan.kind)).toEqual(['changes', 'changes']);
    // The second edit of /etc/pmta/config is planned on the text the first one leaves.
    expect(Object.keys(edits[1].basis ?? {})).toEqual(['pmta config /etc/pmta/config']);
    expect(edits.map((t) => t.predicted)).toEqual([undefined, undefined]);
    expect(tasks.map((t) => t.name)).toEqual(expect.arrayContaining(['reload pmta', 'restart pmta']));
    const apply = await cli(['apply', planFile, '--yes', '--format', 'json']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    const result = JSON.parse(apply.stdout) as { runId: string; hosts: Array<{ status: string }> };
    expect(result.hosts[0].status).toBe('changed');
    expect(applied(result.runId, tasks)).toEqual(planned(tasks));
    const config = await lab.run(
      host(),
      `b=$(sed -n '/^<domain gmail.com>/,/^<\\/domain>/p' /etc/pmta/config) &&
      printf '%s\\n' "$b" | grep -Eq '^\\s*max-smtp-out\\s+2\\s*$' && printf '%s\\n' "$b" | grep -Eq '^\\s*max-msg-per-connection\\s+20\\s*$' &&
      grep -qx "queue-processing-threads $(nproc)" /etc/pmta/config && grep -qx 'LimitNOFILE=16384' /etc/systemd/system/pmta.service.d/mtafleet-limits.conf &&
      [ "$(sysctl -n net.ipv4.tcp_fin_timeout)" = 10 ] && echo applied`,
    );
    expect(config.stdout.trim(), config.stderr).toBe('applied');
    const again = await runJson(args);
    expect(again.hosts[0]).toMatchObject({ status: 'ok', changes: 0 });
    const back = await cli(['rollback', result.runId]);
    expect(back.code, back.stdout + back.stderr).toBe(0);
    expect(await hostState(lab, host())).toBe(start);
  }, 600_000);

  it('audit-remediate.yaml with five findings (spool-io too): the config edits after the migration are predicted; the plan file applies after mail changed the spool, re-planning them; re-run 0, rollback', async () => {
    const args = [
      join(ROOT, 'playbooks/audit-remediate.yaml'), '-i', lab.inventoryFile,
      '-e', 'findings=spool-io,fd-limit,port-exhaustion,thread-contention,isp-limit', '-e', 'nofile=16384',
      '-e', `device=${lab.hosts[0].nvmeDevice}`, '-e', `mountpoint=${MP}`,
    ];
    const start = await hostState(lab, host());
    const tasks = await planOf(args);
    const edits = tasks.filter((t) => t.name.startsWith('thread-contention') || t.name.startsWith('isp-limit'));
    // The migration repoints <spool> in /etc/pmta/config (its copies are predicted): both config
    // edits read that file, so they are predicted and re-planned at apply; the others are exact.
    expect(edits.map((t) => t.predicted)).toEqual([
      expect.stringMatching(/reads pmta config \/etc\/pmta\/config, which task "spool-io: move the spool to the NVMe disk" changes/),
      expect.stringMatching(/reads pmta config \/etc\/pmta\/config/),
    ]);
    expect(tasks.filter((t) => t.predicted === undefined && t.plan.kind === 'changes').map((t) => t.name)).toEqual([
      'spool-io: move the spool to the NVMe disk',
      'fd-limit: LimitNOFILE drop-in',
      'port-exhaustion: port range, FIN timeout, TIME-WAIT reuse, backlog',
      'reload pmta',
      'restart pmta',
    ]);
    // A plan approved a moment ago still applies although mail kept arriving in the spool
    // (its byte and file counts are not part of the drift fingerprint).
    const planFile = join(dir, 'fix5.plan');
    const made = await cli(['plan', ...args, '--out', planFile]);
    expect(made.code, made.stdout + made.stderr).toBe(0);
    const spoolBytes = async () => (await lab.run(host(), 'du -sb /var/spool/pmta | cut -f1')).stdout.trim();
    const before = await spoolBytes();
    let now = before;
    for (let i = 0; i < 40 && now === before; i += 1) {
      await new Promise((r) => setTimeout(r, 500));
      now = await spoolBytes();
    }
    expect(now, 'the healthy host receives mail: its spool changes').not.toBe(before);
    const apply = await cli(['apply', planFile, '--yes', '--format', 'json']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    const run = JSON.parse(apply.stdout) as { runId: string; hosts: Array<{ status: string; error: string | null }> };
    expect(run.hosts[0]).toMatchObject({ status: 'changed', error: null });
    expect(applied(run.runId, tasks)).toEqual(planned(tasks));
    const effect = await lab.run(
      host(),
      `b=$(sed -n '/^<domain gmail.com>/,/^<\\/domain>/p' /etc/pmta/config) &&
      printf '%s\\n' "$b" | grep -Eq '^\\s*max-smtp-out\\s+2\\s*$' && grep -qx "queue-processing-threads $(nproc)" /etc/pmta/config &&
      grep -qx '<spool ${MP}>' /etc/pmta/config && findmnt -n ${MP} >/dev/null && echo applied`,
    );
    expect(effect.stdout.trim(), effect.stderr).toBe('applied');
    expect(planned(await planOf(args))).toEqual({});
    const back = await cli(['rollback', run.runId]);
    expect(back.code, back.stdout + back.stderr).toBe(0);
    expect(await hostState(lab, host())).toBe(start);
  }, 600_000);

  it('a command followed by a task on what it touches: the plan says predicted, apply re-plans it', async () => {
    const pb = join(dir, 'command-then-file.yaml');
    writeFileSync(
      pb,
      `- hosts: all
  tasks:
    - name: make the marker
      command: { cmd: "printf 'made by a command\\\\n' > /etc/mtaf-chk-marker", creates: /etc/mtaf-chk-marker }
    - name: marker line
      file: { path: /etc/mtaf-chk-marker, line: "made by a command" }
`,
    );
    await lab.run(host(), 'rm -f /etc/mtaf-chk-marker');
    const planFile = join(dir, 'cmd.plan');
    const made = await cli(['plan', pb, '-i', lab.inventoryFile, '--out', planFile]);
    expect(made.code, made.stdout + made.stderr).toBe(0);
    expect(made.stdout).toMatch(/\? task "marker line" \[file\]: PREDICTED, re-planned at apply: .*task "make the marker" runs before it/);
    const doc = JSON.parse(readFileSync(planFile, 'utf8')) as { plays: Array<{ hosts: Array<{ tasks: PlanTask[] }> }> };
    const [cmd, line] = doc.plays[0].hosts[0].tasks;
    expect(cmd.plan.changes!.map((c) => c.label)).toEqual(['predicted']);
    expect(line.predicted).toBeDefined();
    // Planned against the host as observed (no file yet): create it with the line.
    expect(line.plan.changes!.map((c) => [c.summary, c.label])).toEqual([['create /etc/mtaf-chk-marker', 'predicted']]);
    const apply = await cli(['apply', planFile, '--yes', '--format', 'json']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    const result = JSON.parse(apply.stdout) as { runId: string; hosts: Array<{ status: string; changes: number }> };
    // Re-planned at apply: the command made the file with the line, so the second task had nothing to do.
    expect(result.hosts[0]).toMatchObject({ status: 'changed', changes: 1 });
    expect(Object.keys(applied(result.runId, doc.plays[0].hosts[0].tasks))).toEqual(['make the marker']);
    expect((await lab.run(host(), 'cat /etc/mtaf-chk-marker')).stdout).toBe('made by a command\n');
    expect(planned(await planOf([pb, '-i', lab.inventoryFile]))).toEqual({});
    await lab.run(host(), 'rm -f /etc/mtaf-chk-marker');
  }, 300_000);
});

describe('--check tells the truth after a migration (last: the spool stays migrated)', () => {
  it('spool-finalize.yaml: plan = what run applies, a second plan is empty', async () => {
    const migrate = await runJson([join(ROOT, 'playbooks/spool-migrate-nvme.yaml'), '-i', lab.inventoryFile, '-e', `device=${lab.hosts[0].nvmeDevice}`, '-e', `mountpoint=${MP}`]);
    expect(migrate.hosts[0]).toMatchObject({ status: 'changed', error: null });
    // The old spool the migration kept, as its record names it (and it exists).
    const kept = (await lab.run(host(), `sed -n 's/.*"kept":"\\([^"]*\\)".*/\\1/p' /var/lib/mtafleet/spool-migrate/*.kept`)).stdout.trim();
    expect(kept).toMatch(/^\/var\/spool\//);
    expect((await lab.run(host(), `test -d ${kept} && echo kept`)).stdout.trim()).toBe('kept');
    const args = [join(ROOT, 'playbooks/spool-finalize.yaml'), '-i', lab.inventoryFile];
    const plan = await planOf(args);
    expect(planned(plan)).toEqual({ 'Delete kept spools': [expect.stringContaining(`delete the old spool ${kept}`)] });
    const run = await runJson(args);
    expect(run.hosts[0]).toMatchObject({ status: 'changed', error: null });
    expect(applied(run.runId, plan)).toEqual(planned(plan));
    // Deleted, or (a mount point of its own, as on the lab) emptied.
    expect((await lab.run(host(), `if [ ! -e ${kept} ] || [ -z "$(find ${kept} -mindepth 1 -print -quit)" ]; then echo gone; fi`)).stdout.trim()).toBe('gone');
    expect(planned(await planOf(args))).toEqual({});
  }, 600_000);
});
