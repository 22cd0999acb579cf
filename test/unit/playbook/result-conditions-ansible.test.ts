/**
 * changed_when / failed_when / ignore_errors judged by mtafleet and by Debian's ansible-core
 * (`ansible-playbook` on localhost, connection local) on the same commands: the same changed
 * and failed per task, and the run's exit code 0 when the only failures were ignored (issue #15).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePlaybook } from '../../../src/playbook/load.js';
import { judgeResult, resultCheck } from '../../../src/playbook/result-conditions.js';

const dir = mkdtempSync(join(tmpdir(), 'mtaf-ansible-results-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** [shell text, extra task lines] — task i registers `r<i>` (`r.` below) and ignores errors, so all run. */
const CASES: Array<[string, string]> = [
  ['exit 3', ''],
  ['exit 3', 'changed_when: false'],
  ['echo kept', `changed_when: "'created' in r.stdout"`],
  ['echo ERROR; exit 0', `failed_when: "'ERROR' in r.stdout"`],
  ['exit 2', 'failed_when: r.rc != 0 and r.rc != 2'],
  ['exit 1', 'failed_when: r.rc != 0 and r.rc != 2'],
  ['echo a; echo b >&2', `failed_when: ["r.stdout_lines | length == 1", "r.stderr != ''"]`],
  ['echo created', `changed_when: "'created' in r.stdout"\n      failed_when: r.changed`],
];

describe('changed_when / failed_when / ignore_errors as ansible-playbook judges them', () => {
  it('gives the same changed and failed for every case, and exit 0 when every failure is ignored', () => {
    const tasks = CASES.map(([cmd, extra], i) => `    - name: case ${i}\n      shell: ${JSON.stringify(cmd)}\n      register: r${i}\n      ignore_errors: yes\n${extra ? `      ${extra.replace(/\br\./g, `r${i}.`)}\n` : ''}`).join('');
    const out = join(dir, 'results.json');
    // ansible-core alone has no json stdout callback: the registered results are written to a file.
    const dump = `    - copy:\n        dest: ${out}\n        content: "{{ [${CASES.map((_c, i) => `r${i}`).join(', ')}] | to_json }}"\n`;
    const text = `- hosts: localhost\n  connection: local\n  gather_facts: no\n  tasks:\n${tasks}`;
    writeFileSync(join(dir, 'pb.yml'), text + dump);
    const run = spawnSync('ansible-playbook', ['-i', 'localhost,', join(dir, 'pb.yml')], {
      encoding: 'utf8',
      env: { ...process.env, ANSIBLE_LOCALHOST_WARNING: 'false', ANSIBLE_NOCOLOR: '1', HOME: dir },
      timeout: 120_000,
    });
    expect(run.status, run.stdout + run.stderr).toBe(0); // failures ignored: Ansible exits 0, as mtafleet does
    expect(run.stdout).toMatch(/\.\.\.ignoring/);
    const results = JSON.parse(readFileSync(out, 'utf8')) as Array<{ changed: boolean; failed?: boolean; rc: number; stdout: string; stderr: string }>;
    expect(results).toHaveLength(CASES.length);

    // The same tasks read by mtafleet (connection: local is Ansible's; mtafleet's tasks do not need it).
    const ours = parsePlaybook('/pb.yml', text.replace('  connection: local\n', '')).plays[0]!.tasks;
    results.forEach((a, i) => {
      const check = resultCheck(ours[i]!, {}) ?? {};
      // Ansible strips the one trailing newline the command printed; mtafleet sees raw output.
      const verdict = judgeResult(check, { exitCode: a.rc, stdout: a.stdout === '' ? '' : `${a.stdout}\n`, stderr: a.stderr === '' ? '' : `${a.stderr}\n` });
      expect({ case: CASES[i], changed: verdict.changed, failed: verdict.failed !== undefined }).toEqual({ case: CASES[i], changed: a.changed, failed: a.failed === true });
    });
    expect(ours.every((t) => t.ignoreErrors)).toBe(true);
  }, 150_000);
});
