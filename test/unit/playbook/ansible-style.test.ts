/**
 * Playbooks written the way Ansible users write them (issue #15 item 1): YAML 1.1 booleans,
 * FQCN and short module names mapped to step kinds with their arguments, free-form
 * command/shell (split like Python's shlex, checked against python3's own shlex), handlers
 * with listen, and every Ansible keyword mtafleet lacks refused at load with what to do instead.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parsePlaybook } from '../../../src/playbook/load.js';
import { splitFreeForm, takeTrailingShellArgs } from '../../../src/playbook/free-form.js';
import { STEP_KINDS } from '../../../src/steps/registry.js';
import { problems } from './problems.js';


const ANSIBLE_STYLE = `
- name: tune the MTAs
  hosts: mta
  become: yes
  gather_facts: no
  tasks:
    - name: widen the port range
      ansible.posix.sysctl:
        name: net.ipv4.ip_local_port_range
        value: 10240 65535
        sysctl_set: yes
        state: present
        reload: yes
        sysctl_file: /etc/sysctl.d/60-mta.conf
    - name: backlog
      sysctl: { name: net.core.somaxconn, value: 4096 }
    - name: motd
      ansible.builtin.copy:
        dest: /etc/motd
        content: "managed\\n"
        mode: 0644
        owner: root
    - name: one line
      ansible.builtin.lineinfile:
        dest: /etc/pmta/config
        regexp: '^max-smtp-out '
        line: max-smtp-out 40
      notify: reload pmta
    - name: make the db
      command: /usr/local/bin/mkdb "the db" creates=/var/lib/db
    - name: count
      shell: ls /var/spool/pmta | wc -l > /tmp/count creates=/tmp/count
    - name: with args
      ansible.builtin.command: pmta show status
      args:
        creates: /tmp/x
    - name: cmd in a mapping
      ansible.builtin.command:
        cmd: systemctl is-active pmta
  handlers:
    - name: restart pmta
      ansible.builtin.systemd:
        name: pmta
        state: reloaded
      listen: reload pmta
`;

describe('playbooks in Ansible style', () => {
  it('reads booleans, FQCN and short names, free form, args and listen as mtafleet steps', () => {
    const pb = parsePlaybook('/pb.yaml', ANSIBLE_STYLE);
    const play = pb.plays[0]!;
    expect(play.become).toBe(true);
    expect(play.gatherFacts).toBe(false);
    const byName = Object.fromEntries(play.tasks.map((t) => [t.name, { kind: t.kind, params: t.params }]));
    expect(byName).toEqual({
      'widen the port range': { kind: 'sysctl', params: { name: 'net.ipv4.ip_local_port_range', value: '10240 65535', file: '/etc/sysctl.d/60-mta.conf' } },
      backlog: { kind: 'sysctl', params: { name: 'net.core.somaxconn', value: '4096' } },
      motd: { kind: 'file', params: { path: '/etc/motd', content: 'managed\n', mode: '0644', owner: 'root' } },
      'one line': { kind: 'file', params: { path: '/etc/pmta/config', regexp: '^max-smtp-out ', line: 'max-smtp-out 40' } },
      'make the db': { kind: 'command', params: { argv: ['/usr/local/bin/mkdb', 'the db'], creates: '/var/lib/db' } },
      count: { kind: 'command', params: { cmd: 'ls /var/spool/pmta | wc -l > /tmp/count', creates: '/tmp/count' } },
      'with args': { kind: 'command', params: { argv: ['pmta', 'show', 'status'], creates: '/tmp/x' } },
      'cmd in a mapping': { kind: 'command', params: { argv: ['systemctl', 'is-active', 'pmta'] } },
    });
    // every translated task is a valid step of its kind
    for (const t of [...play.tasks, ...play.handlers]) expect(STEP_KINDS[t.kind]!.params.safeParse(t.params).success, t.name).toBe(true);
    // notify by a topic resolves to the handlers listening to it
    expect(play.tasks.find((t) => t.name === 'one line')!.notify).toEqual(['restart pmta']);
    expect(play.handlers[0]).toMatchObject({ kind: 'service', params: { name: 'pmta', state: 'reloaded' }, listen: ['reload pmta'] });
  });

  it("keeps mtafleet's own command: {cmd: ...} as shell text", () => {
    const pb = parsePlaybook('/pb.yaml', `- hosts: all\n  tasks:\n    - command: { cmd: "echo $HOME | wc -c" }\n`);
    expect(pb.plays[0]!.tasks[0]!.params).toEqual({ cmd: 'echo $HOME | wc -c' });
  });

  it.each([
    ['with_dict', `      with_dict: { a: 1 }`, /pb\.yaml:\d+: .*not supported by mtafleet: with_dict — use loop: with a list of mappings/],
    ['until', `      until: r.rc == 0`, /not supported by mtafleet: until — retry inside the shell text/],
    ['environment', `      environment: { A: b }`, /not supported by mtafleet: environment — /],
    ['delegate_to', `      delegate_to: localhost`, /not supported by mtafleet: delegate_to — /],
    ['block', `      block: []`, /not supported by mtafleet: block — /],
  ])('refuses the task keyword %s with what to do instead, naming the line', (_key, line, message) => {
    const text = `- hosts: all\n  tasks:\n    - name: t\n      command: "true"\n${line}\n`;
    expect(problems(text)).toMatch(message);
    expect(problems(text)).not.toMatch(/unknown key/);
  });

  it.each([
    ['roles', `  roles: [common]`, /pb\.yaml:2: .*not supported by mtafleet: roles — roles are not supported: put the role tasks in the play/],
    ['pre_tasks', `  pre_tasks: []`, /not supported by mtafleet: pre_tasks — put them at the start of tasks:/],
  ])('refuses the play keyword %s with what to do instead', (_key, line, message) => {
    expect(problems(`- hosts: all\n${line}\n  tasks:\n    - command: "true"\n`)).toMatch(message);
  });

  it('reads import_playbook as an import (a missing file is named), and include_playbook as not supported', () => {
    expect(problems(`- import_playbook: other.yml\n`)).toMatch(/pb\.yaml:1: plays\[0\]\.import_playbook: cannot read \/other\.yml/);
    expect(problems(`- include_playbook: other.yml\n`)).toMatch(/not supported by mtafleet: include_playbook — run the other playbook with its own mtafleet command/);
  });

  it.each([
    ['ansible.builtin.apt', /Ansible module ansible.builtin.apt has no mtafleet equivalent: use command: argv: \[apt-get, install/],
    ['template', /Ansible module template has no mtafleet equivalent: render the text into file: content:/],
    ['community.general.ufw', /Ansible module community.general.ufw has no mtafleet equivalent: use command:\/shell:/],
  ])('an Ansible module without an equivalent (%s) gets one line saying what to use', (module, message) => {
    expect(problems(`- hosts: all\n  tasks:\n    - ${module}: { name: x }\n`)).toMatch(message);
  });

  it.each([
    ['ansible.builtin.service: { name: pmta, state: started, enabled: yes }', /enabled — mtafleet does not change boot-time enablement/],
    ['ansible.posix.sysctl: { name: vm.swappiness, value: 1, state: absent }', /state: absent — set the value you want instead/],
    ['ansible.builtin.copy: { src: files/motd, dest: /etc/motd }', /src — copying a file from the control node is not available: put its text in content:/],
    ['ansible.builtin.command: { cmd: make, chdir: /opt/x }', /chdir — write "cd DIR && \.\.\." with shell:/],
    ['ansible.builtin.file: { path: /opt/x, state: directory }', /file state: directory — only a file's presence/],
  ])('an argument with no mtafleet meaning is refused, not dropped: %s', (task, message) => {
    expect(problems(`- hosts: all\n  tasks:\n    - ${task}\n`)).toMatch(message);
  });

  it('listen on a task (not a handler) and a notify nobody listens to are errors', () => {
    expect(problems(`- hosts: all\n  tasks:\n    - command: "true"\n      listen: x\n`)).toMatch(/listen: is for handlers/);
    expect(problems(`- hosts: all\n  tasks:\n    - command: "true"\n      notify: nobody\n`)).toMatch(/notifies "nobody", but the play has no handler of that name \(nor one that listens to it\)/);
  });
});

describe('free-form words', () => {
  const CASES = [
    'pmta show status',
    `/bin/echo "a b" 'c d' e\\ f`,
    `printf "%s\\n" "x \\"quoted\\" \\$HOME"`,
    `a'b'"c"d  trailing   `,
    `echo 'it''s' ""`,
    `x="1 2" y`,
    `sed -e 's/a b/c/' file`,
  ];
  it.each(CASES)('splits %j as python3 shlex.split does', (text) => {
    const py = spawnSync('python3', ['-c', 'import json,shlex,sys; print(json.dumps(shlex.split(sys.argv[1])))', text], { encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    expect(splitFreeForm(text)).toEqual(JSON.parse(py.stdout));
  });

  it('keeps a {{ }} template in its word and refuses unclosed quotes', () => {
    expect(splitFreeForm('echo {{ greeting }} x{{ a }}y')).toEqual(['echo', '{{ greeting }}', 'x{{ a }}y']);
    expect(() => splitFreeForm(`echo 'open`)).toThrow(/unterminated ' quote \(No closing quotation\)/);
    expect(() => splitFreeForm(`echo {{ open`)).toThrow(/no closing/);
  });

  it('takes trailing module arguments out of shell text only at the end', () => {
    expect(takeTrailingShellArgs('make install creates=/opt/x chdir=/src')).toEqual({ text: 'make install', args: { creates: '/opt/x', chdir: '/src' } });
    expect(takeTrailingShellArgs('echo creates=/x | cat')).toEqual({ text: 'echo creates=/x | cat', args: {} });
  });
});
