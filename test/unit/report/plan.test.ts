/**
 * Every rendering of a plan shows what will run besides the changes: each play's batches,
 * stop rule and health gate command, exactly as it will execute on the hosts.
 */
import { describe, expect, it } from 'vitest';
import { renderPlanMarkdown, renderPlanText } from '../../../src/report/plan.js';
import { healthGateCommand } from '../../../src/engine/health-gate.js';
import type { PlanBody, Rolling } from '../../../src/engine/planfile.js';
import { samplePlanBody } from '../engine/fakes.js';
import { STEP_KINDS } from '../../../src/steps/registry.js';
import { execAction } from '../../../src/steps/actions.js';
import type { StepPlan } from '../../../src/steps/types.js';
import { argv } from '../../../src/transport/quote.js';

/** The sample plan with its play named mta and rolled by `rolling`. */
function body(rolling: Rolling): PlanBody {
  const b = samplePlanBody();
  b.plays[0] = { ...b.plays[0]!, name: 'mta', rolling };
  return b;
}

const GATE_CMD = "pmta show status | grep -q 'running' && test $(ls /var/spool/pmta | wc -l) -lt 100";

describe('plan renderings show the rolling rules and the health gate', () => {
  it('text: the gate command as it will run (sh -c with its quoting), timeout, batches and stop rule', () => {
    const text = renderPlanText(body({ serial: [{ count: 1 }, { percent: 30 }], maxFailPercentage: 10, healthGate: { cmd: GATE_CMD, timeoutSeconds: 20 } }), { diff: true });
    const run = healthGateCommand({ cmd: GATE_CMD })!.text;
    expect(run).toBe(`sh -c '${GATE_CMD.replace(/'/g, `'\\''`)}'`);
    expect(text).toContain(`  health gate after each batch: on each host, exit 0 = healthy, timeout 20s: $ ${run}\n`);
    expect(text).toContain('  batches (serial): 1 host(s), then 30% of the hosts (the last size repeats)\n');
    expect(text).toContain('  stop the play: when more than 10% of a batch failed (max_fail_percentage)\n');
  });

  it('text: argv gates are quoted word by word; no_new_critical and "none" are said', () => {
    const argvGate = renderPlanText(body({ serial: [], healthGate: { argv: ['/usr/local/bin/check', 'a b'], noNewCritical: true } }), { diff: false });
    expect(argvGate).toContain("exit 0 = healthy: $ /usr/local/bin/check 'a b'\n");
    expect(argvGate).toContain('health gate after each batch: no new critical finding');
    expect(argvGate).toContain('batches (serial): all hosts in one batch');
    expect(argvGate).toContain('stop the play: when every host of a batch failed');
    expect(renderPlanText(body({ serial: [] }), { diff: false })).toContain('  health gate after each batch: none\n');
  });

  it('markdown: the gate command in a fence that a backtick run in it cannot close', () => {
    const cmd = 'echo ```; echo `date`';
    const md = renderPlanMarkdown(body({ serial: [{ count: 2 }], healthGate: { cmd } }));
    const run = healthGateCommand({ cmd })!.text;
    expect(md).toContain('## Play: mta\n\n- batches (serial): 2 host(s) per batch\n- stop the play: when every host of a batch failed\n');
    expect(md).toContain(`- health gate after each batch: on each host, exit 0 = healthy:\n\n  \`\`\`\`sh\n  ${run}\n  \`\`\`\`\n`);
    expect(renderPlanMarkdown(body({ serial: [] }))).toContain('- health gate after each batch: none\n');
  });
});

describe('plan renderings show every command a change runs, then its checks', () => {
  /** The sample plan with a sysctl-like change and one planned by the real command step. */
  function withChanges(): PlanBody {
    const b = samplePlanBody();
    const set = (v: string) => execAction(argv('sysctl', '-w', `net.core.somaxconn=${v}`));
    const sysctl: StepPlan = {
      kind: 'changes',
      changes: [{ summary: 'set', label: 'exact', diff: { type: 'text', text: '' }, do: [set('4096')], undo: [set('128')], verify: [execAction(argv('sysctl', '-n', 'net.core.somaxconn'))] }],
    };
    const command = STEP_KINDS.command!.plan({}, { cmd: 'echo a\necho ```b' });
    b.plays[0]!.hosts[0]!.tasks = [
      { name: 'somaxconn', kind: 'sysctl', handler: false, params: {}, notify: [], observations: {}, plan: sysctl },
      { name: 'two lines', kind: 'command', handler: false, params: {}, notify: [], observations: {}, plan: command },
    ];
    return b;
  }

  it('text: do and verify lines with the exact shell text, multi-line commands indented', () => {
    const text = renderPlanText(withChanges(), { diff: false });
    expect(text).toContain('        do: sysctl -w net.core.somaxconn=4096\n        verify: sysctl -n net.core.somaxconn\n        rollback: sysctl -w net.core.somaxconn=128\n');
    expect(text).toContain("        do: sh -c 'echo a\n            echo ```b'\n");
  });

  it('markdown: the commands in fences a backtick run in them cannot close', () => {
    const md = renderPlanMarkdown(withChanges());
    expect(md).toContain('Runs:\n\n```sh\nsysctl -w net.core.somaxconn=4096\n```\n\nThen checks:\n\n```sh\nsysctl -n net.core.somaxconn\n```\n');
    expect(md).toContain("Runs:\n\n````sh\nsh -c 'echo a\necho ```b'\n````\n");
  });
});

describe('plan renderings say which tasks are predicted', () => {
  it('text and markdown: the predicted task, that it is re-planned at apply, and why', () => {
    const b = samplePlanBody();
    const why = 'planned against the host as observed, but task "make it" runs before it and may change anything (re-planned at apply time against the real host)';
    b.plays[0]!.hosts[0]!.tasks[0] = { ...b.plays[0]!.hosts[0]!.tasks[0]!, name: 'after the command', predicted: why };
    expect(renderPlanText(b, { diff: false })).toContain(`    ? task "after the command" [file]: PREDICTED, re-planned at apply: ${why}\n`);
    expect(renderPlanMarkdown(b)).toContain('| after the command | **predicted, re-planned at apply**: planned against the host as observed');
  });
});
