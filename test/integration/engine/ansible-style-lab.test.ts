/**
 * A playbook written the way Ansible users write it (yes/no booleans, FQCN module names, a
 * loop over two sysctl keys, an unquoted octal mode, free-form command with creates=, a handler notified through `listen`,
 * variables from `-e @vars.yml`) runs on the lab unchanged: `run --check` previews it without
 * touching the host, `run` applies it, a second `run` changes nothing (issue #15, "Done when").
 * A second one uses ignore_errors, changed_when, failed_when, import_playbook and a gathered
 * fact in a param: planned to a file, applied from it, judged on plan and run output.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type LabHandle } from '../../helpers/lab.js';
import { buildOnce, runCli } from './fleet-fixture.js';

let lab: LabHandle;
let dir: string;

beforeAll(async () => {
  buildOnce();
  dir = mkdtempSync(join(tmpdir(), 'mtaf-ansible-style-'));
  lab = await startLab({ name: 'ans1', hosts: 1, scenarios: ['healthy'] });
}, 300_000);

afterAll(async () => {
  await lab?.down();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const cli = (args: string[]) => runCli([...args, '--state-dir', join(dir, 'state')], { ...process.env, HOME: dir });

const PLAYBOOK = `---
- name: Tune the MTAs (written for Ansible)
  hosts: all
  become: yes
  gather_facts: no
  tasks:
    - name: Shorter FIN timeout
      ansible.posix.sysctl:
        name: net.ipv4.tcp_fin_timeout
        value: "{{ fin }}"
        sysctl_set: yes
        state: present
        reload: yes
    - name: Socket backlog and SYN queue
      sysctl:
        name: "{{ item.key }}"
        value: "{{ item.value }}"
      loop:
        - { key: net.core.somaxconn, value: 2048 }
        - { key: net.ipv4.tcp_max_syn_backlog, value: 4096 }
      loop_control: { label: "{{ item.key }}" }
    - name: Banner next to the config
      ansible.builtin.copy:
        dest: /etc/pmta/banner.txt
        content: "managed by mtafleet\\n"
        mode: 0644
      notify: pmta config changed
    - name: Marker
      command: touch /root/ansible-style-marker creates=/root/ansible-style-marker
  handlers:
    - name: Reload PowerMTA
      ansible.builtin.service:
        name: pmta
        state: reloaded
      listen: pmta config changed
`;

const STATE = "sysctl -n net.ipv4.tcp_fin_timeout net.core.somaxconn net.ipv4.tcp_max_syn_backlog; stat -c '%a' /etc/pmta/banner.txt 2>&1; cat /etc/pmta/banner.txt 2>&1; test -e /root/ansible-style-marker && echo marker || echo no-marker";

describe('an Ansible-style playbook on the lab', () => {
  it('check previews it without changing anything, run applies it, a second run changes nothing', async () => {
    const host = lab.hosts[0]!.name;
    const pb = join(dir, 'tune.yml');
    writeFileSync(pb, PLAYBOOK);
    writeFileSync(join(dir, 'vars.yml'), 'fin: 19\n');
    const before = (await lab.run(host, STATE)).stdout;
    expect(before).toMatch(/no-marker/);
    const reloads = async (): Promise<number> => Number((await lab.run(host, 'grep -c "Configuration reloaded" /var/log/pmta/pmta.log || true')).stdout.trim());
    const reloadsBefore = await reloads();

    const check = await cli(['run', pb, '-i', lab.inventoryFile, '--check', '-e', `@${join(dir, 'vars.yml')}`]);
    expect(check.code, check.stderr).toBe(0);
    for (const what of [/tcp_fin_timeout/, /Socket backlog and SYN queue \(item=net\.core\.somaxconn\)/, /tcp_max_syn_backlog/, /\/etc\/pmta\/banner\.txt/, /touch \/root\/ansible-style-marker/, /Reload PowerMTA/]) expect(check.stdout).toMatch(what);
    expect((await lab.run(host, STATE)).stdout).toBe(before);

    const run = await cli(['run', pb, '-i', lab.inventoryFile, '-e', `@${join(dir, 'vars.yml')}`, '--format', 'json']);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.hosts[0]).toMatchObject({ name: host, status: 'changed' });
    expect((await lab.run(host, STATE)).stdout).toBe('19\n2048\n4096\n644\nmanaged by mtafleet\nmarker\n');
    // The handler ran through its `listen` topic: PowerMTA's log says it reloaded, once.
    expect(await reloads()).toBe(reloadsBefore + 1);

    const again = await cli(['run', pb, '-i', lab.inventoryFile, '-e', `@${join(dir, 'vars.yml')}`, '--format', 'json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).hosts[0]).toMatchObject({ status: 'ok', changes: 0 });
    expect(await reloads()).toBe(reloadsBefore + 1);
  }, 600_000);
});

const RESULTS = `---
- name: Facts and results
  hosts: all
  become: yes
  tasks:
    - name: Note named from a fact
      ansible.builtin.copy:
        dest: "/etc/pmta/note-{{ ansible_hostname }}.txt"
        content: "{{ ansible_hostname }} runs {{ ansible_distribution }} with {{ ansible_processor_vcpus }} cpu(s)\\n"
    - name: Status is read-only
      shell: pmta show status
      register: st
      changed_when: false
    - name: Might fail
      command: /bin/false
      ignore_errors: yes
    - name: Exit 2 means kept
      shell: "echo kept; exit 2"
      register: r2
      failed_when: r2.rc != 0 and r2.rc != 2
      changed_when: "'created' in r2.stdout"
- import_playbook: parts/marker.yml
`;

const IMPORTED = `- name: Imported marker
  hosts: all
  gather_facts: no
  tasks:
    - name: Marker from the imported playbook
      command: touch /root/imported-marker creates=/root/imported-marker
`;

describe('ignore_errors, changed_when, failed_when, import_playbook and facts on the lab', () => {
  it('plans them (fact in a param, the imported play), applies the plan, reports the ignored failure, and a rerun changes nothing', async () => {
    const host = lab.hosts[0]!.name;
    const sub = join(dir, 'results');
    mkdirSync(join(sub, 'parts'), { recursive: true });
    const pb = join(sub, 'site.yml');
    writeFileSync(pb, RESULTS);
    writeFileSync(join(sub, 'parts', 'marker.yml'), IMPORTED);
    const short = (await lab.run(host, 'uname -n')).stdout.trim().split('.')[0]!;
    const note = `/etc/pmta/note-${short}.txt`;

    const planFile = join(sub, 'site.plan');
    const plan = await cli(['plan', pb, '-i', lab.inventoryFile, '--out', planFile]);
    expect(plan.code, plan.stderr).toBe(0);
    for (const what of [
      `* create ${note}  (exact)`,
      'task "Status is read-only" [command] (changed_when: false)',
      'task "Might fail" [command] (ignore_errors)',
      `task "Exit 2 means kept" [command] (changed_when: 'created' in r2.stdout; failed_when: r2.rc != 0 and r2.rc != 2)`,
      'PLAY Imported marker',
    ]) expect(plan.stdout).toContain(what);
    // The plan records the facts its params were rendered from.
    const doc = JSON.parse(readFileSync(planFile, 'utf8'));
    expect(doc.plays[0].hosts[0].facts).toMatchObject({ ansible_hostname: short, ansible_distribution: 'Debian' });
    expect(await lab.run(host, `test -e ${note} || echo absent`)).toMatchObject({ stdout: 'absent\n' });

    const applied = await cli(['apply', planFile, '--yes', '--format', 'json']);
    expect(applied.code, applied.stderr + applied.stdout).toBe(0);
    const result = JSON.parse(applied.stdout);
    expect(result.hosts[0]).toMatchObject({ name: host, status: 'changed', changes: 2, ignored: [{ task: 'Might fail' }] });
    expect(result.hosts[0].ignored[0].error).toMatch(/\/bin\/false.*failed \(exit 1\)/);
    expect(result.summary).toMatchObject({ changed: 1, failed: 0, ignored: 1 });
    const cpus = (await lab.run(host, 'getconf _NPROCESSORS_ONLN')).stdout.trim();
    expect((await lab.run(host, `cat ${note}; test -e /root/imported-marker && echo marker`)).stdout).toBe(`${short} runs Debian with ${cpus} cpu(s)\nmarker\n`);

    // Text output says it too, as Ansible's "...ignoring"; the commands judged ok change nothing.
    const again = await cli(['run', pb, '-i', lab.inventoryFile]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`${host}\\s+ok\\s+0 change\\(s\\)`));
    expect(again.stdout).toMatch(/task "Might fail" FAILED: .*\.\.\.ignoring/);
    expect(again.stdout).toMatch(/ok=1 changed=0 failed=0 unreachable=0 refused=0 ignored=1/);

    // An edit to the imported file after a plan is refused like any playbook edit.
    const plan2 = await cli(['plan', pb, '-i', lab.inventoryFile, '--out', planFile]);
    expect(plan2.code, plan2.stderr).toBe(0);
    writeFileSync(join(sub, 'parts', 'marker.yml'), IMPORTED.replace('imported-marker', 'other-marker').replace('imported-marker', 'other-marker'));
    const stale = await cli(['apply', planFile, '--yes']);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/site\.yml changed since the plan was made/);

    // failed_when without ignore_errors fails the host (exit 2) with the condition named.
    writeFileSync(pb, `- hosts: all\n  gather_facts: no\n  tasks:\n    - shell: echo ERROR here\n      register: out\n      failed_when: "'ERROR' in out.stdout"\n`);
    const failing = await cli(['run', pb, '-i', lab.inventoryFile, '--format', 'json']);
    expect(failing.code).toBe(2);
    expect(JSON.parse(failing.stdout).hosts[0]).toMatchObject({ status: 'failed', error: expect.stringMatching(/failed_when 'ERROR' in out\.stdout is true \(exit 0\)/) });
  }, 600_000);
});
