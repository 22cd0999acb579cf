/**
 * Hostile host text through every printer: the audit table, Markdown, HTML and JSON; the text
 * and Markdown plan, `run --diff`, progress lines (plain and listr2 view), the run summary and
 * JSON, `runs` and `runs RUN_ID`, the rollback report, the apply headline, top-level errors
 * and `exec`. No terminal control character may survive; Markdown keeps its structure (every
 * fence closes after the hostile content, change and rollback lines stay outside code and
 * comments); HTML stays well-formed with no element from the host.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { renderHtml, renderJson, renderMarkdown, renderTable } from '../../../src/report/index.js';
import { BatchView, progressPrinter } from '../../../src/report/progress.js';
import { renderChangesText, renderPlanMarkdown, renderPlanText, renderRunText, runJson } from '../../../src/report/plan.js';
import type { PlanBody, PlanDocument } from '../../../src/engine/planfile.js';
import type { RunRecord, RunResult } from '../../../src/engine/run-record.js';
import type { EngineEvent } from '../../../src/engine/events.js';
import type { Change } from '../../../src/steps/types.js';
import { fileDiff, valueDiff } from '../../../src/steps/actions.js';
import { rollingText } from '../../../src/report/rolling-text.js';
import { renderRunRecord, runListLine } from '../../../src/cli/runs.js';
import { renderProblems } from '../../../src/cli/rollback.js';
import { planHeadline } from '../../../src/cli/plan-headline.js';
import { renderText as execText, toJson as execJson } from '../../../src/cli/exec.js';
import { handleError } from '../../../src/cli/main.js';
import { RefusedError, StepError } from '../../../src/util/errors.js';
import { sampleReport } from '../report/fixture.js';
import { parseStrict } from '../report/html-check.js';
import { markdownBlocks } from './markdown-check.js';

/** Clear screen, OSC title (BEL), CR overwrite, C1 CSI, RLO and LRI bidi, DEL, NUL. */
const H = 'x\u001b[2J\u001b]0;pwned\u0007\rOVERWRITE\u009b31m\u202eevil\u2066\u007f\u0000y';
/** A host file line that closes a ``` fence and opens an HTML comment hiding the rest. */
const FENCE = '```\n<!--\n';
const HTML = '</pre><script>alert(1)</script>';
/** A host newline in one-line text, trying to print a line of our own. */
const FAKE_LINE = '\nrun r0: ok=1 changed=0 failed=0 unreachable=0 refused=0';

const ACTIVE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

function assertInert(what: string, text: string): void {
  const m = ACTIVE.exec(text);
  expect(m, `${what} printed U+${m?.[0].codePointAt(0)!.toString(16).padStart(4, '0')} raw: ${JSON.stringify(text)}`).toBeNull();
}

/** A config change on a host file whose unchanged (context) lines hold `hostile`. */
function change(summary: string, hostile: string): Change {
  return {
    summary,
    label: 'exact',
    diff: fileDiff('/etc/pmta/config', `max-smtp-out 10\n${hostile}`, `max-smtp-out 20\n${hostile}`),
    do: [{ type: 'write-file', path: '/etc/pmta/config', contentBase64: Buffer.from('max-smtp-out 20\n').toString('base64') }],
    undo: [{ type: 'exec', command: `printf %s '${H}' > /etc/pmta/config` }],
  };
}

function hostilePlan(): PlanBody {
  const hostFile = `${FENCE}${H}\n${HTML}\n`;
  return {
    format: 'mtafleet-plan',
    version: 1,
    created: '2026-12-02T00:00:00Z',
    user: `ops${H}`,
    playbook: { path: 'pb.yaml', sha256: 'a'.repeat(64) },
    inventory: { path: 'inv.yaml', sha256: 'b'.repeat(64) },
    limit: null,
    extraVars: {},
    plays: [
      {
        index: 0,
        name: 'tune',
        rolling: { serial: [], healthGate: { cmd: `echo ${H.replace(/\0/g, "")}` } },
        hosts: [
          {
            host: 'mta01',
            fingerprint: 'c'.repeat(64),
            observations: {},
            lockPath: '/var/lock/mtafleet.lock',
            become: false,
            tasks: [
              { name: 'config', kind: 'pmta-config', handler: false, params: {}, notify: [], observations: {}, plan: { kind: 'changes', changes: [change(`update /etc/pmta/config ${H}`, hostFile)] } },
              {
                name: 'sysctl',
                kind: 'sysctl',
                handler: false,
                params: {},
                notify: [],
                observations: {},
                plan: { kind: 'changes', changes: [{ ...change('set net.core.somaxconn', ''), diff: valueDiff('net.core.somaxconn', `${H}${FAKE_LINE}`, '4096') }] },
              },
              { name: 'guard', kind: 'command', handler: false, params: {}, notify: [], observations: {}, plan: { kind: 'noop', reason: `${H} | ${HTML}${FAKE_LINE}` } },
              { name: 'disk', kind: 'spool-migrate', handler: false, params: {}, notify: [], observations: {}, plan: { kind: 'refused', reason: `${FENCE}${H}` } },
            ],
          },
        ],
        unreachable: [{ host: 'mta02', error: `mta02: banner ${H}${FAKE_LINE}` }],
      },
    ],
  };
}

function hostileRun(): RunRecord {
  return {
    runId: 'r1',
    check: false,
    command: 'run',
    startedAt: '2026-12-02T00:00:00Z',
    finishedAt: '2026-12-02T00:01:00Z',
    user: 'ops',
    playbook: 'pb.yaml',
    inventory: 'inv.yaml',
    hosts: [
      { name: 'mta01', status: 'failed', changes: 0, error: `mta01: \`cat x\` failed (exit 3): ${H}${FAKE_LINE}` },
      { name: 'mta02', status: 'refused', changes: 0, error: `mta02: locked by run r9${H} of mallory${H} since ?` },
    ],
    summary: { ok: 0, changed: 0, failed: 1, unreachable: 0, refused: 1 },
    notRun: [`mta03${H}`],
    stopped: `health gate: ${H}`,
  };
}

describe('hostile host text through every printer', () => {
  afterEach(() => vi.restoreAllMocks());

  it('audit table, Markdown, HTML and JSON', () => {
    const report = sampleReport();
    const [mta01, mta02, , mta04] = report.hosts;
    mta01!.findings[0]!.remedyVars = { note: H, spool_device: '/dev/nvme0n1' };
    mta01!.findings[0]!.evidence.push(`${FENCE}${H}`, HTML);
    mta01!.warnings.push(`${H}${FAKE_LINE}`);
    mta02!.findings[0]!.evidence.unshift(`${H} | ${FENCE}`);
    mta04!.error = `${H}${FAKE_LINE} ${HTML}`;

    const table = renderTable(report);
    assertInert('audit table', table);
    expect(table).toContain('\\x1b[2J');
    expect(table).not.toMatch(/^run r0/m);

    const md = renderMarkdown(report, { inventoryFile: 'inv.yaml' });
    assertInert('audit markdown', md);
    const blocks = markdownBlocks(md);
    expect(blocks.unclosed).toBe(false);
    // The remedy command stays one closed block, its hostile -e value shown visibly.
    expect(blocks.fences).toHaveLength(1);
    expect(blocks.fences[0]!.join('\n')).toContain("-e 'note=x\\x1b[2J");
    expect(blocks.prose.join('\n')).not.toMatch(/<!--|<script|<\/pre/);
    // Every table row keeps its five cells: a host `|` is escaped.
    for (const row of blocks.prose.filter((l) => l.startsWith('| mta'))) expect(row.split(/(?<!\\)\|/)).toHaveLength(7);

    const html = renderHtml(report, { inventoryFile: 'inv.yaml' });
    assertInert('audit html', html);
    expect(() => parseStrict(html)).not.toThrow();
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;/pre&gt;&lt;script&gt;');

    const json = renderJson(report);
    assertInert('audit json', json);
    expect(JSON.parse(json).hosts[3].error).toBe(mta04!.error);
  });

  it('text plan and run --diff: one line per line, controls visible', () => {
    const body = hostilePlan();
    const text = renderPlanText(body, { diff: true });
    assertInert('text plan', text);
    expect(text).toContain(' x\\x1b[2J\\x1b]0;pwned\\x07\\rOVERWRITE\\x9b31m\\u202eevil\\u2066\\x7f\\x00y');
    // A host newline in one-line text cannot print a line that looks like ours.
    expect(text).not.toMatch(/^run r0/m);
    expect(text).toMatch(/^1 change\(s\)|^2 change\(s\)/m);

    const task = body.plays[0]!.hosts[0]!.tasks[0]!;
    const diff = renderChangesText('mta01', task.name, task.plan.kind === 'changes' ? task.plan.changes : []);
    assertInert('run --diff', diff);
    expect(diff).toContain('+max-smtp-out 20');
  });

  it('Markdown plan: fences close after the hostile file, changes and rollbacks stay visible', () => {
    const md = renderPlanMarkdown(hostilePlan(), 'd'.repeat(64));
    const blocks = markdownBlocks(md);
    expect(blocks.unclosed).toBe(false);
    // The play's health gate, then per change a diff block and a block of the commands it
    // runs; the hostile ``` and <!-- (context lines, indented one space, which would close a
    // fixed ``` fence) are inside the first diff.
    expect(blocks.fences).toHaveLength(5);
    expect(blocks.fences[1]).toEqual(expect.arrayContaining([' ```', ' <!--', '-max-smtp-out 10', '+max-smtp-out 20']));
    const prose = blocks.prose.join('\n');
    expect(prose).not.toMatch(/<!--|<script|<\/pre/);
    expect(blocks.prose.filter((l) => l.startsWith('Rollback: '))).toHaveLength(2);
    expect(blocks.prose.filter((l) => l.startsWith('#### '))).toHaveLength(2);
    // The task table keeps four rows of three cells each.
    const rows = blocks.prose.filter((l) => /^\| (config|sysctl|guard|disk) /.test(l));
    expect(rows).toHaveLength(4);
    for (const row of rows) expect(row.split(/(?<!\\)\|/)).toHaveLength(5);
    assertInert('markdown plan', md);
  });

  it('progress lines, plain and in the live view', () => {
    const events: EngineEvent[] = [
      { type: 'batch-start', play: `tune${H}`, batch: 1, batches: 1, hosts: ['mta01', `mta02${H}`] },
      { type: 'change-applied', host: 'mta01', task: 't', summary: `update ${H}`, ok: false, error: `${H}${FAKE_LINE}` },
      { type: 'rollback', host: 'mta01', summary: `restore ${H}`, ok: false, error: H },
      { type: 'host-done', host: 'mta01', outcome: { name: 'mta01', status: 'failed', changes: 0, error: `${H}${FAKE_LINE}` } },
      { type: 'batch-done', play: 'tune', batch: 1, outcomes: [{ name: 'mta01', status: 'failed', changes: 0, error: H }] },
      { type: 'run-stopped', reason: `health gate ${H}` },
    ];
    const lines: string[] = [];
    const print = progressPrinter((l) => lines.push(l));
    const view = new BatchView();
    const shown: string[] = [];
    for (const e of events) {
      print(e);
      view.apply(e);
      shown.push(view.title, view.lastLine);
    }
    for (const l of [...lines, ...shown]) {
      assertInert('progress', l);
      expect(l).not.toContain('\n');
    }
    expect(lines.join('\n')).toContain('FAILED update x\\x1b[2J');
  });

  it('run summary and run JSON', () => {
    const result: RunResult = hostileRun();
    const text = renderRunText(result);
    assertInert('run summary', text);
    expect(text.trimEnd().split('\n')).toHaveLength(5); // 2 hosts, not run, stopped, summary
    expect(text).toContain('(exit 3): x\\x1b[2J');
    const json = runJson(result);
    assertInert('run json', json);
    expect(JSON.parse(json).hosts[0].error).toBe(result.hosts[0]!.error);
  });

  it('runs and runs RUN_ID', () => {
    const record = hostileRun();
    const one = renderRunRecord(record);
    assertInert('runs RUN_ID', one);
    expect(one).not.toMatch(/^run r0/m);
    expect(one).toContain('locked by run r9x\\x1b[2J');
    const listed = runListLine({ ...record, user: `ops${H}`, playbook: `pb${H}${FAKE_LINE}` });
    assertInert('runs', listed);
    expect(listed).not.toContain('\n');
  });

  it('rollback problems and the apply headline', () => {
    const problems = renderProblems([
      { kind: 'failed', host: 'mta01', change: `write ${H}`, reason: `${H}${FAKE_LINE}`, manual: [`printf %s '${H}' > /etc/x`] },
    ]);
    assertInert('rollback problems', problems);
    expect(problems.trimEnd().split('\n')).toHaveLength(2);
    const doc = { ...hostilePlan(), digest: `e${H}` } as PlanDocument;
    const headline = planHeadline(`plan${H}.json`, doc);
    assertInert('apply headline', headline);
    // plan line, digest, playbook, then one line per rolling rule of the one play
    expect(headline.trimEnd().split('\n')).toHaveLength(3 + rollingText(doc.plays[0]!.rolling).length);
  });

  it('top-level errors quoting host text', () => {
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
      written.push(String(s));
      return true;
    });
    expect(handleError(new RefusedError(`mta01: locked by run ${H}`))).toBe(3);
    expect(handleError(new StepError(`mta01: failed: ${H}`))).toBe(2);
    expect(handleError(new Error(`boom ${H}`))).toBe(70);
    vi.restoreAllMocks();
    expect(written).toHaveLength(3);
    for (const w of written) assertInert('error message', w);
    expect(written[0]).toContain('locked by run x\\x1b[2J');
  });

  it('exec: visible escapes on a terminal, exact bytes when raw, JSON escaped', () => {
    const outcome = { name: `mta01${H}`, status: 'ok' as const, value: { stdout: `${H}\nline 2\n`, stderr: HTML + H, exitCode: 1, signal: null, durationMs: 1 } };
    const tty = execText(outcome, { raw: false });
    assertInert('exec on a terminal', tty);
    expect(tty).toContain('x\\x1b[2J\\x1b]0;pwned\\x07\\rOVERWRITE');
    expect(tty).toContain('\nline 2\n');
    // Piped or redirected: the output is the command's, byte for byte; the header is ours.
    const raw = execText(outcome, { raw: true });
    expect(raw).toContain(`${H}\nline 2\n`);
    assertInert('exec header', raw.split('\n')[0]!);
    const down = execText({ name: 'mta02', status: 'unreachable', error: new StepError(`banner ${H}${FAKE_LINE}`) });
    assertInert('exec unreachable', down);
    expect(down.trimEnd().split('\n')).toHaveLength(1);
    expect(execJson(outcome).stdout).toBe(`${H}\nline 2\n`);
  });
});
