import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'vitest';
import { startFixture } from './fleet-fixture.js';
it('show', async () => {
  const fx = await startFixture();
  try {
    for (const h of ['h1', 'h2']) writeFileSync(join(fx.hostDir(h), 'app.conf'), 'threads = 2\n');
    const pb = fx.write('pb.yaml', `
- name: configure app
  hosts: mta
  serial: 1
  tasks:
    - name: whole config file
      file: { path: "{{ target_dir }}/app.conf", content: "threads = 8\\n", mode: "0640" }
      notify: reload
    - name: guarded
      command: { cmd: "touch {{ target_dir }}/done", creates: "{{ target_dir }}/done" }
  handlers:
    - name: reload
      command: { argv: [echo, reloaded] }
`);
    let r = fx.cli(['plan', pb, '-i', fx.inventory]);
    console.log(r.code, r.stdout, r.stderr);
    r = fx.cli(['plan', pb, '-i', fx.inventory, '--format', 'markdown', '--limit', 'h1']);
    console.log(r.code, r.stdout, r.stderr);
    r = fx.cli(['run', pb, '-i', fx.inventory]);
    console.log(r.code, r.stdout, r.stderr);
    r = fx.cli(['runs']);
    console.log(r.code, r.stdout, r.stderr);
    const id = r.stdout.split(' ')[0];
    r = fx.cli(['runs', id]);
    console.log(r.code, r.stdout, r.stderr);
    r = fx.cli(['rollback', id]);
    console.log(r.code, r.stdout, r.stderr);
  } finally {
    await fx.cleanup();
  }
}, 120000);
