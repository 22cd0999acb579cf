/**
 * `vars_files:` as Ansible reads it: mappings next to the playbook merged over the play's vars
 * (later files win), a list entry takes the first file that exists; the playbook digest covers
 * every file read, so a plan records them and a changed vars file changes the digest.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPlaybook } from '../../../src/playbook/load.js';
import { PlaybookError } from '../../../src/util/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'mtaf-varsfiles-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}

const PLAYBOOK = `- hosts: all
  vars: { nofile: 1024, keep: yes }
  vars_files:
    - vars/common.yml
    - [vars/missing.yml, vars/site.yml]
  tasks:
    - command: "true"
`;

describe('vars_files', () => {
  it('merges the files over the play vars, later files winning, and the first existing alternative', () => {
    mkdirSync(join(dir, 'vars'), { recursive: true });
    write('vars/common.yml', 'nofile: 4096\nreload: yes\ndomains: [gmail.com]\n');
    write('vars/site.yml', 'nofile: 65535\n');
    const pb = loadPlaybook(write('pb.yml', PLAYBOOK));
    expect(pb.plays[0]!.vars).toEqual({ nofile: 65535, keep: true, reload: true, domains: ['gmail.com'] });
  });

  it('the digest covers the vars files: the same playbook text with a changed vars file digests differently', () => {
    const file = write('pb2.yml', PLAYBOOK);
    const first = loadPlaybook(file).sha256;
    expect(loadPlaybook(file).sha256).toBe(first);
    write('vars/site.yml', 'nofile: 20000\n');
    expect(loadPlaybook(file).sha256).not.toBe(first);
  });

  it.each([
    ['a missing file', '    - vars/nope.yml', /pb-bad\.yml:3: .*vars\/nope\.yml: cannot read it|pb-bad\.yml:3: .*cannot read/],
    ['a templated name', '    - "vars/{{ env }}.yml"', /pb-bad\.yml:3: .*a templated vars_files name is not supported/],
    ['no alternative exists', '    - [vars/a.yml, vars/b.yml]', /pb-bad\.yml:3: .*none of vars\/a\.yml, vars\/b\.yml exists/],
    ['a list instead of a mapping', '    - vars/list.yml', /vars\/list\.yml: must be a mapping of variable names to values/],
  ])('%s is an error naming the playbook line', (_what, entry, message) => {
    write('vars/list.yml', '- a\n- b\n');
    const file = write('pb-bad.yml', `- hosts: all\n  vars_files:\n${entry}\n  tasks:\n    - command: "true"\n`);
    expect(() => loadPlaybook(file)).toThrow(PlaybookError);
    expect(() => loadPlaybook(file)).toThrow(message);
  });
});
