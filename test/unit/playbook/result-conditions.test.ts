/**
 * changed_when / failed_when (issue #15): parsed at load for command/shell only; judged on the
 * command's own result with Ansible's order and defaults; the result is bounded host text in
 * fixed keys.
 */
import { describe, expect, it } from 'vitest';
import { parsePlaybook } from '../../../src/playbook/load.js';
import { commandResult, judgeResult, MAX_RESULT_TEXT, resultCheck } from '../../../src/playbook/result-conditions.js';
import { Secret } from '../../../src/util/secret.js';
import { problems } from './problems.js';

const task = (lines: string) => parsePlaybook('/pb.yaml', `- hosts: all\n  tasks:\n    - name: t\n      shell: run-it\n      register: out\n${lines}`).plays[0]!.tasks[0]!;

const r = (exitCode: number | null, stdout = '', stderr = '') => ({ exitCode, stdout, stderr });

describe('changed_when / failed_when at load', () => {
  it('keeps their text and the register name; ignore_errors is a flag', () => {
    const t = task(`      changed_when: false\n      failed_when: ["out.rc != 0", "'ERROR' in out.stdout"]\n      ignore_errors: yes\n`);
    expect(t.ignoreErrors).toBe(true);
    expect(t.changedWhen?.text).toEqual(['false']);
    expect(t.failedWhen?.text).toEqual(['out.rc != 0', "'ERROR' in out.stdout"]);
    expect(resultCheck(t, {})).toEqual({ changedWhen: ['false'], failedWhen: ['out.rc != 0', "'ERROR' in out.stdout"], register: 'out' });
  });

  it('refuses them on a step that knows what it changed, and a condition that does not parse, with the line', () => {
    expect(problems(`- hosts: all\n  tasks:\n    - sysctl: { name: a.b, value: "1" }\n      changed_when: false\n`)).toMatch(
      /pb\.yaml:4: plays\[0\]\.tasks\[0\]\.changed_when: not supported by mtafleet: changed_when on a sysctl task — /,
    );
    expect(problems(`- hosts: all\n  tasks:\n    - command: "true"\n      failed_when: "x =="\n`)).toMatch(/pb\.yaml:4: plays\[0\]\.tasks\[0\]\.failed_when: invalid condition/);
  });

  it('captures the other variables a condition reads (kept in the plan), and refuses a secret', () => {
    const t = task(`      failed_when: out.rc not in ok_codes\n`);
    expect(resultCheck(t, { ok_codes: [0, 2], unused: 1 })).toEqual({ failedWhen: ['out.rc not in ok_codes'], register: 'out', vars: { ok_codes: [0, 2] } });
    const s = task(`      failed_when: out.stdout == smtp_password\n`);
    expect(() => resultCheck(s, { smtp_password: new Secret('x') })).toThrow(/reads the secret smtp_password/);
  });
});

describe('judging a command result (Ansible semantics)', () => {
  const check = (lines: string) => resultCheck(task(lines), {})!;

  it('changed_when: false reports ok; a non-zero exit still fails without failed_when', () => {
    expect(judgeResult(check('      changed_when: false\n'), r(0, 'x'))).toEqual({ changed: false });
    expect(judgeResult(check('      changed_when: false\n'), r(3))).toEqual({ changed: false, failed: 'exit 3' });
  });

  it("failed_when replaces the exit code test: 'ERROR' in stdout, rc != 0 and rc != 2", () => {
    const err = check(`      failed_when: "'ERROR' in out.stdout"\n`);
    expect(judgeResult(err, r(1, 'all fine'))).toEqual({ changed: true });
    expect(judgeResult(err, r(0, 'line\nERROR: disk\n')).failed).toMatch(/failed_when 'ERROR' in out\.stdout is true \(exit 0\)/);
    const codes = check('      failed_when: out.rc != 0 and out.rc != 2\n');
    expect(judgeResult(codes, r(2)).failed).toBeUndefined();
    expect(judgeResult(codes, r(1)).failed).toMatch(/exit 1/);
  });

  it('a list is all-must-hold; changed_when is decided first and failed_when sees it', () => {
    const c = check(`      changed_when: "'created' in out.stdout_lines"\n      failed_when: [out.changed, "out.stderr != ''"]\n`);
    expect(judgeResult(c, r(0, 'created\n', ''))).toEqual({ changed: true });
    expect(judgeResult(c, r(0, 'created\n', 'warn')).failed).toBeDefined();
    expect(judgeResult(c, r(0, 'kept\n', 'warn'))).toEqual({ changed: false });
  });

  it('an undefined name in a condition fails the task with the reason', () => {
    expect(judgeResult(check('      failed_when: nope.rc == 1\n'), r(0)).failed).toMatch(/failed_when: .*nope/);
  });

  it('the result is bounded text in fixed keys: host output never becomes a key', () => {
    const big = 'x'.repeat(MAX_RESULT_TEXT + 10);
    const res = commandResult(r(0, `__proto__\n${big}`, 'constructor\n'), true, false);
    expect(Object.getPrototypeOf(res)).toBeNull();
    expect(Object.keys(res).sort()).toEqual(['changed', 'failed', 'rc', 'skipped', 'stderr', 'stderr_lines', 'stdout', 'stdout_lines']);
    expect((res.stdout as string).length).toBe(MAX_RESULT_TEXT);
    expect(res.stdout_lines).toEqual(['__proto__', 'x'.repeat(MAX_RESULT_TEXT - 10)]);
    expect(res.stderr_lines).toEqual(['constructor']);
  });
});
