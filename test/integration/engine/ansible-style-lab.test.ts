/**
 * A playbook written the way Ansible users write it (yes/no booleans, FQCN module names, a
 * loop over two sysctl keys, an unquoted octal mode, free-form command with creates=, a handler notified through `listen`,
 * variables from `-e @vars.yml`) runs on the lab unchanged: `run --check` previews it without
 * touching the host, `run` applies it, a second `run` changes nothing (issue #15, "Done when").
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
