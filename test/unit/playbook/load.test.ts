import { describe, expect, it } from 'vitest';
import { parsePlaybook } from '../../../src/playbook/load.js';
import { problems } from './problems.js';


describe('parsePlaybook', () => {
  it('reads plays, tasks, handlers, serial forms and when', () => {
    const pb = parsePlaybook(
      '/pb.yaml',
      `
- name: tune
  hosts: [mta, relay]
  serial: [1, "30%", 5]
  max_fail_percentage: 10
  vars: { x: 1 }
  tasks:
    - name: conf
      file: { path: /etc/x, content: "{{ x }}" }
      notify: reload
      register: conf
      when: x is defined and conf_enabled | default(true)
      tags: [conf]
  handlers:
    - name: reload
      command: { argv: [systemctl, reload, pmta] }
`.replace(' | default(true)', ''),
    );
    const play = pb.plays[0];
    expect(play.hosts).toBe('mta:relay');
    expect(play.serial).toEqual([{ count: 1 }, { percent: 30 }, { count: 5 }]);
    expect(play.maxFailPercentage).toBe(10);
    expect(play.tasks[0]).toMatchObject({ name: 'conf', kind: 'file', notify: ['reload'], register: 'conf', tags: ['conf'], line: 8 });
    expect(play.tasks[0].when).toHaveLength(1);
    expect(play.handlers[0]).toMatchObject({ name: 'reload', kind: 'command' });
    expect(pb.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('names file, line and path for unknown keys and unknown step kinds', () => {
    const msg = problems(`- hosts: all
  tasks:
    - name: ok
      file: { path: /etc/a, content: a }
    - name: typo
      fiel: { path: /etc/b }
    - name: extra key
      file: { path: /etc/c, content: c }
      notfy: x
  colour: blue
`);
    expect(msg).toContain('/pb.yaml:6: plays[0].tasks[1].fiel: unknown step kind or key "fiel"');
    expect(msg).toContain('/pb.yaml:9: plays[0].tasks[2].notfy: unknown key "notfy"');
    expect(msg).toContain('/pb.yaml:10: plays[0].colour: unknown key "colour"');
  });

  it('translates param errors into plain words at the param line', () => {
    const msg = problems(`- hosts: all
  tasks:
    - name: bad
      file:
        path: /etc/a
        content: 5
        mode: rw
`);
    expect(msg).toContain('/pb.yaml:6: plays[0].tasks[0].file.content: must be a string, not number 5');
    expect(msg).toContain('/pb.yaml:7: plays[0].tasks[0].file.mode: must be an octal mode string');
  });

  it('rejects two step kinds in one task, a task with none, bad when, unknown handler', () => {
    const msg = problems(`- hosts: all
  tasks:
    - name: two
      file: { path: /etc/a, content: a }
      command: { cmd: x }
    - name: none
    - name: when
      command: { cmd: x }
      when: "a =="
    - name: notify
      command: { cmd: x }
      notify: nope
`);
    expect(msg).toMatch(/:5: plays\[0\]\.tasks\[0\]\.command: a task names exactly one step kind/);
    expect(msg).toMatch(/:6: plays\[0\]\.tasks\[1\]: names no step kind/);
    expect(msg).toMatch(/:9: plays\[0\]\.tasks\[2\]\.when: invalid condition/);
    expect(msg).toMatch(/:12: plays\[0\]\.tasks\[3\]\.notify: notifies "nope"/);
  });

  it('reports YAML syntax errors and a non-list playbook with a line', () => {
    expect(problems('- hosts: [a\n')).toMatch(/^\/pb\.yaml:\d+: not valid YAML/);
    expect(problems('hosts: all\n')).toContain('a playbook is a list of plays');
  });

  it('checks health_gate and gather_facts', () => {
    expect(problems(`- hosts: all\n  health_gate: {}\n  tasks: []\n`)).toContain('plays[0].health_gate: health_gate needs cmd, argv or no_new_critical: true');
    expect(problems(`- hosts: all\n  health_gate: { cmd: a, argv: [b] }\n  tasks: []\n`)).toContain('cmd or argv, not both');
    const pb = parsePlaybook('/pb.yaml', `- hosts: all\n  gather_facts: true\n  health_gate: { no_new_critical: true, cmd: "pmta show status" }\n  tasks: []\n`);
    expect(pb.plays[0]).toMatchObject({ gatherFacts: true, healthGate: { noNewCritical: true, cmd: 'pmta show status' } });
  });

  it('leaves templated params for per-host validation', () => {
    const pb = parsePlaybook('/pb.yaml', `- hosts: all\n  tasks:\n    - file: { path: "{{ dir }}/x", content: a }\n`);
    expect(pb.plays[0].tasks[0].params).toEqual({ path: '{{ dir }}/x', content: 'a' });
  });
});
