/**
 * `- import_playbook:` (issue #15): the imported file's plays become plays of the run in order,
 * relative to the importing file, nested; a cycle is an error naming the files; a bad imported
 * file reports its own file and line; the playbook digest covers every imported file.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPlaybook } from '../../../src/playbook/load.js';
import { prepareHost } from '../../../src/engine/prepare.js';
import { PlaybookError } from '../../../src/util/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'mtaf-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  mkdirSync(join(dir, name, '..'), { recursive: true });
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}

const play = (name: string, extra = '') => `- name: ${name}\n  hosts: all\n  tasks:\n    - command: "true"\n${extra}`;

function message(file: string): string {
  try {
    loadPlaybook(file);
  } catch (err) {
    if (err instanceof PlaybookError) return err.message;
    throw err;
  }
  throw new Error('expected a PlaybookError');
}

describe('import_playbook', () => {
  it('puts the imported plays in order where the import stands, nested and relative to each importing file', () => {
    write('sub/inner.yml', play('inner'));
    write('sub/middle.yml', `${play('middle')}- import_playbook: inner.yml\n`);
    const top = write('site.yml', `${play('first')}- name: the middle part\n  import_playbook: sub/middle.yml\n${play('last')}`);
    const pb = loadPlaybook(top);
    expect(pb.plays.map((p) => p.name)).toEqual(['first', 'middle', 'inner', 'last']);
    // Each play keeps its own file, for errors.
    expect(pb.plays.map((p) => p.source.file)).toEqual([top, join(dir, 'sub/middle.yml'), join(dir, 'sub/inner.yml'), top]);
    expect(pb.plays[2]!.tasks[0]!.source.file).toBe(join(dir, 'sub/inner.yml'));
  });

  it('refuses a cycle, naming the files in order', () => {
    write('cyc/a.yml', `${play('a')}- import_playbook: b.yml\n`);
    write('cyc/b.yml', `- import_playbook: a.yml\n`);
    expect(message(join(dir, 'cyc/a.yml'))).toMatch(/cyc\/b\.yml:1: plays\[0\]\.import_playbook: import cycle: a\.yml -> b\.yml -> a\.yml/);
    write('cyc/self.yml', `- import_playbook: self.yml\n`);
    expect(message(join(dir, 'cyc/self.yml'))).toMatch(/import cycle: self\.yml -> self\.yml/);
  });

  it('reports a problem in an imported file with that file and its line', () => {
    write('bad/child.yml', `- hosts: all\n  tasks:\n    - name: x\n      sysctl: { name: net.core.somaxconn }\n`);
    const top = write('bad/top.yml', `${play('ok')}- import_playbook: child.yml\n`);
    expect(message(top)).toMatch(new RegExp(`${join(dir, 'bad/child.yml').replace(/[/.]/g, '\\$&')}:4: plays\\[0\\]\\.tasks\\[0\\]\\.sysctl`));
    write('bad/yaml.yml', `- hosts: all\n  tasks: [\n`);
    const top2 = write('bad/top2.yml', `- import_playbook: yaml.yml\n`);
    expect(message(top2)).toMatch(/top2\.yml:1: plays\[0\]\.import_playbook: the imported playbook is not valid: .*bad\/yaml\.yml:\d+: not valid YAML/);
  });

  it('a bad template param in an imported play names the imported file when rendered for a host', () => {
    write('render/child.yml', `- hosts: all\n  tasks:\n    - name: needs x\n      command: "echo {{ x }}"\n`);
    const top = write('render/top.yml', `- import_playbook: child.yml\n`);
    const pb = loadPlaybook(top);
    expect(() => prepareHost(pb, 0, { name: 'h1', vars: {}, groups: ['all'] }, {})).toThrow(/render\/child\.yml:4: plays\[0\]\.tasks\[0\]\.command.*undefined variable "x"/);
  });

  it.each([
    ['vars', '  vars: { a: 1 }', /not supported by mtafleet: vars on import_playbook/],
    ['when', '  when: x', /not supported by mtafleet: when on import_playbook/],
    ['hosts', '  hosts: all', /unknown key "hosts" beside import_playbook/],
  ])('refuses %s beside import_playbook', (_k, line, re) => {
    write('keys/child.yml', play('c'));
    expect(message(write('keys/top.yml', `- import_playbook: child.yml\n${line}\n`))).toMatch(re);
  });

  it('refuses a templated file name', () => {
    expect(message(write('tpl/top.yml', `- import_playbook: "{{ env }}.yml"\n`))).toMatch(/a templated file name is not supported/);
  });

  it('the digest covers the imported files: an edit to one, even nested, changes it', () => {
    write('dig/inner.yml', play('inner'));
    write('dig/middle.yml', `- import_playbook: inner.yml\n`);
    const top = write('dig/top.yml', `- import_playbook: middle.yml\n`);
    const first = loadPlaybook(top).sha256;
    expect(loadPlaybook(top).sha256).toBe(first);
    write('dig/inner.yml', play('inner', '    - command: "false"\n'));
    expect(loadPlaybook(top).sha256).not.toBe(first);
  });
});
