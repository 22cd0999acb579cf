/**
 * ignore_errors, changed_when and failed_when through the one execution path (issue #15):
 * the plan carries them, `run` applies that plan, and the outcome says what was ignored. Real
 * step kinds (command) on a scripted fake host; the lab test runs the same on real sshd.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePlaybook } from '../../../src/playbook/load.js';
import { prepareHost } from '../../../src/engine/prepare.js';
import { planHost } from '../../../src/engine/plan-host.js';
import { runHost } from '../../../src/engine/host-work.js';
import { Journal, pendingUndos, readJournal } from '../../../src/engine/journal.js';
import { renderPlanText } from '../../../src/report/plan.js';
import { STEP_KINDS } from '../../../src/steps/registry.js';
import type { EngineEvent } from '../../../src/engine/events.js';
import type { Command } from '../../../src/transport/quote.js';
import type { ExecResult } from '../../../src/transport/types.js';
import { FakeHost, fakeKind, memoryLock, useFakeKind } from './fakes.js';

const dir = useFakeKind();
const kinds = () => ({ ...STEP_KINDS, fake: fakeKind });

/** A host whose commands answer from a script: `sh -c 'TEXT'` -> the entry whose key TEXT starts with. */
class ScriptedHost extends FakeHost {
  constructor(private readonly answers: Record<string, Partial<ExecResult>>) {
    super('h1');
  }
  override async exec(command: Command): Promise<ExecResult> {
    const base = await super.exec(command);
    const m = /^sh -c '?(.*?)'?$/s.exec(command.text);
    const key = m ? Object.keys(this.answers).find((k) => m[1].startsWith(k)) : undefined;
    return key === undefined ? base : { ...base, ...this.answers[key] };
  }
  /** Paths whose next write fails (then writes work again). */
  readonly failOnce = new Set<string>();
  override async writeFileAtomic(path: string, data: string | Buffer): Promise<void> {
    if (this.failOnce.delete(path)) this.failWrites.add(path);
    try {
      await super.writeFileAtomic(path, data);
    } finally {
      this.failWrites.delete(path);
    }
  }
}

function setup(yaml: string, conn: FakeHost) {
  const pb = parsePlaybook('/pb.yaml', yaml);
  const prepared = prepareHost(pb, 0, { name: 'h1', vars: {}, groups: ['all'] }, {});
  const events: EngineEvent[] = [];
  const journalFile = join(dir(), `${Math.random().toString(36).slice(2)}.jsonl`);
  const journal = new Journal(journalFile, 'r1');
  const opts = { runId: 'r1', user: 'u', journal, autoRollback: true, emit: (e: EngineEvent) => events.push(e), kinds: kinds(), lock: memoryLock() };
  return { pb, prepared, events, opts, journal, journalFile };
}

const PLAY = `
- hosts: all
  gather_facts: no
  tasks:
    - name: first
      fake: { key: /a, value: "1" }
    - name: may fail
      shell: check-it
      ignore_errors: yes
      notify: h
    - name: read only
      shell: status
      register: st
      changed_when: false
      notify: h
    - name: judged
      shell: probe
      register: out
      failed_when: out.rc != 0 and out.rc != 2
      changed_when: "'created' in out.stdout"
    - name: last
      fake: { key: /b, value: "2" }
  handlers:
    - name: h
      fake: { key: /h, value: "ran" }
`;

describe('ignore_errors, changed_when, failed_when', () => {
  it('the plan shows them, and changed_when: false is planned as no change (nor a notify)', async () => {
    const conn = new ScriptedHost({});
    const { prepared } = setup(PLAY, conn);
    const plan = await planHost(conn, prepared, kinds());
    const byName = new Map(plan.tasks.map((t) => [t.name, t]));
    expect(byName.get('may fail')).toMatchObject({ ignoreErrors: true });
    expect(byName.get('read only')?.result).toEqual({ changedWhen: ['false'], register: 'st' });
    expect(byName.get('judged')?.result).toEqual({ changedWhen: ["'created' in out.stdout"], failedWhen: ['out.rc != 0 and out.rc != 2'], register: 'out' });
    // "may fail" notifies h (a command plans a change); "read only" does not.
    expect(plan.tasks.filter((t) => t.handler).map((t) => t.name)).toEqual(['h']);
    const text = renderPlanText({ format: 'mtafleet-plan', version: 1, created: '', user: '', playbook: { path: '/pb.yaml', sha256: '' }, inventory: { path: '', sha256: '' }, limit: null, extraVars: {}, plays: [{ index: 0, name: 'p', rolling: { serial: [] }, hosts: [{ ...plan, lockPath: '/l', become: false }], unreachable: [] }] }, { diff: false });
    expect(text).toContain('task "may fail" [command] (ignore_errors)');
    expect(text).toContain('task "read only" [command] (changed_when: false)');
    expect(text).toContain(`task "judged" [command] (changed_when: 'created' in out.stdout; failed_when: out.rc != 0 and out.rc != 2)`);
  });

  it('a failing task with ignore_errors is reported and the host goes on, with no rollback for it', async () => {
    const conn = new ScriptedHost({ 'check-it': { exitCode: 1, stderr: 'nope' }, status: { stdout: 'fine' }, probe: { exitCode: 2, stdout: 'kept' } });
    const { prepared, events, opts, journal, journalFile } = setup(PLAY, conn);
    const r = await runHost(conn, prepared, 0, opts);
    expect(r).toMatchObject({ status: 'changed', error: null });
    // Every change is journalled; `rollback` would undo the two writes and report the failed
    // command (no undo), and skip the commands judged not changed.
    journal.close();
    const records = readJournal(journalFile, 'r1');
    expect(records.filter((x) => x.type === 'intent').map((x) => (x as { task: string }).task)).toEqual(['first', 'may fail', 'read only', 'judged', 'last']);
    expect(records.filter((x) => x.type === 'done' && x.unchanged).length).toBe(2);
    expect(pendingUndos(records).map((p) => p.task)).toEqual(['last', 'may fail', 'first']);
    expect(r.ignored).toEqual([{ task: 'may fail', error: expect.stringMatching(/check-it.*failed \(exit 1\): nope/) }]);
    // first and last: the commands report ok (changed_when), the failed one changed nothing.
    expect(conn.files.get('/a')).toBe('1');
    expect(conn.files.get('/b')).toBe('2');
    expect(r.changes).toBe(2);
    expect(events.filter((e) => e.type === 'rollback')).toEqual([]);
    expect(events.some((e) => e.type === 'task-ignored' && e.task === 'may fail')).toBe(true);
    // No task that notifies h changed anything (one failed, one reports ok): h does not run.
    expect(conn.files.get('/h')).toBeUndefined();
    expect(conn.log).toContain('exec sh -c probe'); // the host went on past the failure
  });

  it('failed_when decides over the exit code; a failure without ignore_errors rolls the host back', async () => {
    const conn = new ScriptedHost({ 'check-it': { exitCode: 0 }, status: {}, probe: { exitCode: 0, stdout: 'created\nERROR' } });
    const yaml = PLAY.replace('failed_when: out.rc != 0 and out.rc != 2', `failed_when: "'ERROR' in out.stdout"`);
    const { prepared, opts } = setup(yaml, conn);
    const r = await runHost(conn, prepared, 0, opts);
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/task "judged": failed_when 'ERROR' in out\.stdout is true \(exit 0\)/);
    expect(conn.files.get('/a')).toBeUndefined(); // rolled back
    expect(conn.files.has('/b')).toBe(false); // never reached
  });

  it('after an ignored failure the later tasks are re-planned against the host, not the projection', async () => {
    const conn = new ScriptedHost({});
    conn.failOnce.add('/x');
    const { prepared, opts, events } = setup(
      `
- hosts: all
  gather_facts: no
  tasks:
    - name: breaks
      fake: { key: /x, value: "1" }
      ignore_errors: yes
    - name: after
      fake: { key: /y, value: "1" }
    - name: again
      fake: { key: /x, value: "1" }
`,
      conn,
    );
    const plan = await planHost(conn, prepared, kinds());
    expect(plan.tasks[2]!.plan.kind).toBe('noop'); // planned against what "breaks" would write
    const r = await runHost(conn, prepared, 0, opts);
    expect(r.ignored?.map((i) => i.task)).toEqual(['breaks']);
    expect(r.status).toBe('changed');
    // "again" was a no-op in the plan; re-planned against the host (the write failed) it writes /x.
    const again = events.filter((e) => e.type === 'task-planned' && e.task === 'again').at(-1);
    expect(again).toMatchObject({ plan: { kind: 'changes', changes: [{ label: 'predicted' }] } });
    expect(conn.log.filter((l) => l.startsWith('write'))).toEqual(['write /x=1', 'write /y=1', 'write /x=1']);
  });
});

describe('register across tasks', () => {
  it("a later when on a command's rc is refused at plan time with what to do instead", async () => {
    const conn = new ScriptedHost({});
    const { prepared } = setup(`- hosts: all\n  gather_facts: no\n  tasks:\n    - shell: "true"\n      register: prev\n    - command: "true"\n      when: prev.rc == 0\n`, conn);
    await expect(planHost(conn, prepared, kinds())).rejects.toThrow(/when: undefined variable "prev\.rc".*not supported by mtafleet: a when on a registered command's rc — .*changed_when\/failed_when/);
  });
});
