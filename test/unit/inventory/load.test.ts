import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadInventory, parseInventory } from '../../../src/inventory/index.js';
import { Secret } from '../../../src/util/secret.js';

const fixtures = join(__dirname, '../../fixtures/inventory');

describe.each(['nested.yaml', 'nested.ini'])('loading %s', (name) => {
  const load = () => loadInventory(join(fixtures, name));

  it('keeps hosts in file order, with every group they belong to', async () => {
    const inv = await load();
    expect([...inv.hosts.keys()]).toEqual(['loner', 'mta02', 'mta03', 'mta01']);
    expect(inv.hosts.get('mta01')!.groups.sort()).toEqual(['all', 'dc_fra', 'lonely_group', 'pool_a', 'region_eu']);
    expect(inv.hosts.get('mta02')!.groups.sort()).toEqual(['all', 'dc_fra', 'pool_a', 'pool_b', 'region_eu']);
    expect(inv.hosts.get('loner')!.groups.sort()).toEqual(['all', 'ungrouped']);
  });

  it('builds the group tree three levels deep, with ungrouped and root groups under all', async () => {
    const inv = await load();
    expect(inv.groups.get('all')!.children[0]).toBe('ungrouped');
    expect([...inv.groups.get('all')!.children].sort()).toEqual(['lonely_group', 'region_eu', 'ungrouped']);
    expect(inv.groups.get('region_eu')!.children).toEqual(['dc_fra']);
    expect([...inv.groups.get('dc_fra')!.children].sort()).toEqual(['pool_a', 'pool_b']);
    expect(inv.groups.get('pool_b')!.hosts).toEqual(['mta02', 'mta03']);
    expect(inv.groups.get('ungrouped')!.hosts).toEqual(['loner']);
  });

  it('merges variables all < parent < child < host', async () => {
    const inv = await load();
    const mta01 = inv.hosts.get('mta01')!.vars;
    expect(mta01.level).toBe('pool_a');
    expect(mta01.region_only).toBe('eu');
    expect(mta01.only_all).toBe('from-all');
    expect(inv.hosts.get('mta03')!.vars.level).toBe('host');
    expect(inv.hosts.get('loner')!.vars.level).toBe('all');
  });

  it('lets the alphabetically later sibling group win, whatever the file order', async () => {
    const inv = await load();
    expect(inv.hosts.get('mta02')!.vars.sibling).toBe('b');
    expect(inv.hosts.get('mta02')!.vars.level).toBe('pool_b');
  });

  it('types connection variables: port a number, become a boolean', async () => {
    const inv = await load();
    expect(inv.hosts.get('mta01')!.vars.ansible_port).toBe(2200);
    expect(inv.hosts.get('mta02')!.vars.ansible_become).toBe(true);
    expect(inv.hosts.get('mta01')!.vars.ansible_host).toBe('192.0.2.1');
    expect(inv.hosts.get('loner')!.vars.ansible_user).toBe('deploy');
  });
});

describe('INI value typing', () => {
  // As `ansible-inventory -i test/fixtures/inventory/typed.ini --list` (2.14) answers: values are
  // Python literals, so lowercase `true` stays a string, and host-line quotes are removed before
  // typing (`quoted="42"` is the number 42). ini-values.test.ts asks Ansible live.
  it('reads numbers, booleans, quoted strings and lists like Ansible', async () => {
    const inv = await loadInventory(join(fixtures, 'typed.ini'));
    const v = inv.hosts.get('mta01')!.vars;
    expect(v.ansible_port).toBe(2222);
    expect(v.ratio).toBe(0.5);
    expect(v.enabled).toBe('true');
    expect(v.disabled).toBe(false);
    expect(v.quoted).toBe(42);
    expect(v.label).toBe('two words');
    expect(v.path).toBe('/var/spool/pmta');
    expect(v.list).toEqual([1, 2]);
    expect(v.max_smtp_out).toBe(800);
    expect(v.quoted_number).toBe('800');
    expect(v.flag).toBe(true);
    expect(v.spaced).toBe('a value with spaces   ; not a comment, as in Ansible');
  });

  it('expands host ranges and host:port entries', async () => {
    const inv = await loadInventory(join(fixtures, 'typed.ini'));
    expect([...inv.hosts.keys()]).toEqual(['mta01', 'mta02.example.net', 'mta03.example.net', 'mta04.example.net', 'mta05.example.net']);
    expect(inv.hosts.get('mta05.example.net')!.vars.ansible_port).toBe(2022);
  });
});

describe('YAML specifics', () => {
  it('reads yes/no as booleans (YAML 1.1, as Ansible) and accepts become words', () => {
    const inv = parseInventory('all:\n  hosts:\n    a:\n      ansible_become: no\n    b:\n      ansible_become: "On"\n', 'x.yaml');
    expect(inv.hosts.get('a')!.vars.ansible_become).toBe(false);
    expect(inv.hosts.get('b')!.vars.ansible_become).toBe(true);
  });

  it('keeps keys as written even where YAML 1.1 would read a boolean (on:, off:)', () => {
    const inv = parseInventory('all:\n  hosts:\n    a:\n      on: 1\n      off: 2\n', 'x.yaml');
    expect(inv.hosts.get('a')!.vars).toEqual({ on: 1, off: 2 });
  });

  it('keeps dates as written and reads octal and sexagesimal numbers as Ansible does', () => {
    const inv = parseInventory('all:\n  hosts:\n    a:\n      since: 2026-01-01\n      mode: 0644\n', 'x.yaml');
    expect(inv.hosts.get('a')!.vars).toMatchObject({ since: '2026-01-01', mode: 0o644 });
  });

  it('accepts top-level groups besides all, null host values and string sections', () => {
    const inv = parseInventory('pool_gmail:\n  hosts: mta01\nall:\n  hosts:\n    mta02: ~\n', 'x.yaml');
    expect([...inv.hosts.keys()]).toEqual(['mta01', 'mta02']);
    expect(inv.groups.get('all')!.children).toContain('pool_gmail');
    expect(inv.hosts.get('mta02')!.groups).toEqual(['all', 'ungrouped']);
  });

  it('expands anchors and merge keys', () => {
    const text = 'x-common: &common\n  vars: {ansible_port: 2222}\nall:\n  children:\n    g:\n      <<: *common\n      hosts: {mta01: }\n';
    // x-common is a group-looking key at the top level: it becomes a group of its own.
    const inv = parseInventory(text, 'x.yaml');
    expect(inv.hosts.get('mta01')!.vars.ansible_port).toBe(2222);
  });

  it('uses ansible_group_priority before the name among siblings, and keeps it out of vars', () => {
    const text = [
      'all:',
      '  children:',
      '    a_pool:',
      '      vars: {ansible_group_priority: 10, x: a}',
      '      hosts: {h1: }',
      '    b_pool:',
      '      vars: {x: b}',
      '      hosts: {h1: }',
    ].join('\n');
    const inv = parseInventory(text, 'x.yaml');
    expect(inv.hosts.get('h1')!.vars.x).toBe('a');
    expect(inv.hosts.get('h1')!.vars).not.toHaveProperty('ansible_group_priority');
  });

  it('lets a deeper group win over a shallower one even when the shallower sorts later', () => {
    const text = 'all:\n  children:\n    zz_parent:\n      vars: {x: parent}\n      children:\n        aa_child:\n          vars: {x: child}\n          hosts: {h1: }\n    zz_other:\n      vars: {x: other}\n      hosts: {h1: }\n';
    expect(parseInventory(text, 'x.yaml').hosts.get('h1')!.vars.x).toBe('child');
  });
});

describe('paths and secrets', () => {
  it('resolves key and known_hosts paths against the inventory directory', () => {
    const inv = parseInventory('all:\n  vars:\n    ansible_ssh_private_key_file: keys/id_ed25519\n    mtafleet_known_hosts: /etc/ssh/kh\n  hosts: {a: }\n', '/srv/fleet/inv.yaml');
    expect(inv.hosts.get('a')!.vars.ansible_ssh_private_key_file).toBe('/srv/fleet/keys/id_ed25519');
    expect(inv.hosts.get('a')!.vars.mtafleet_known_hosts).toBe('/etc/ssh/kh');
    expect(inv.file).toBe('/srv/fleet/inv.yaml');
  });

  it('wraps secret-named variables in Secret, nested ones too', async () => {
    const inv = await loadInventory(join(fixtures, 'secrets.yaml'));
    const v = inv.hosts.get('mta01')!.vars;
    expect(v.ansible_become_password).toBeInstanceOf(Secret);
    expect((v.ansible_become_password as Secret).reveal()).toBe('hunter2-group');
    expect((v.ansible_ssh_pass as Secret).reveal()).toBe('s3cret-ssh');
    expect(v.api_token).toBeInstanceOf(Secret);
    expect((v.smtp as Record<string, unknown>).password).toBeInstanceOf(Secret);
    expect((v.smtp as Record<string, unknown>).user).toBe('relay');
    expect((inv.hosts.get('mta02')!.vars.ansible_password as Secret).reveal()).toBe('918273');
  });
});

describe('file handling', () => {
  it('detects INI without an extension and reports a missing file', async () => {
    const inv = parseInventory('[mta]\nmta01\n', 'hosts');
    expect(inv.groups.get('mta')!.hosts).toEqual(['mta01']);
    await expect(loadInventory(join(fixtures, 'nope.yaml'))).rejects.toThrow(/cannot read inventory file ".*nope.yaml": no such file/);
  });
});

describe('group_vars/ and host_vars/ next to the inventory', () => {
  it('reads them with Ansible precedence: file group vars < group_vars < file host vars < host_vars', async () => {
    const inv = await loadInventory(join(fixtures, 'with-vars-dirs/hosts.ini'));
    const mta01 = inv.hosts.get('mta01.example.net')!.vars;
    const mta02 = inv.hosts.get('mta02.example.net')!.vars;
    expect(mta01.level).toBe('host-file');
    expect((mta01.ansible_become_password as Secret).reveal()).toBe('from-host-vars-file');
    expect(mta02.level).toBe('gmail-file');
    // As in Ansible, group_vars/all.yml outranks a deeper group's vars written in the inventory.
    expect(mta02.from_inline).toBe('all-file');
    expect(mta02.all_inline).toBe(1);
    expect(mta02.dc).toBe('fra-override');
    expect(mta02.ansible_port).toBe(2200);
    expect(mta02.ansible_user).toBe('deploy');
    expect(mta02.ansible_ssh_private_key_file).toBe(join(fixtures, 'with-vars-dirs/keys/fleet'));
    expect(inv.groups.get('dc_fra')!.vars.dc).toBe('fra-override');
    expect(inv.groups.has('no_such_group')).toBe(false);
  });

  it('reports a bad value in a group_vars file with that file, line and variable', async () => {
    const err = await loadInventory(join(fixtures, 'bad-vars-dirs/hosts.yaml')).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/bad-vars-dirs\/group_vars\/mta\.yml:2: ansible_port: must be a whole number between 1 and 65535, got "abc"/);
  });
});

describe('old Ansible variable spellings', () => {
  it('ansible_ssh_host/port/user also set the current names, unless those are set alongside', () => {
    const inv = parseInventory('[mta]\nmta01 ansible_ssh_host=192.0.2.9 ansible_ssh_port=2022 ansible_ssh_user=ops\nmta02 ansible_ssh_host=192.0.2.8 ansible_host=192.0.2.7 ansible_become_pass=pw\n', 'old.ini');
    expect(inv.hosts.get('mta01')!.vars).toMatchObject({ ansible_host: '192.0.2.9', ansible_port: 2022, ansible_user: 'ops' });
    expect(inv.hosts.get('mta02')!.vars.ansible_host).toBe('192.0.2.7');
    expect(inv.hosts.get('mta02')!.vars.ansible_become_password).toBeInstanceOf(Secret);
    expect(() => parseInventory('[mta]\nmta01 ansible_ssh_port=x\n', 'old.ini')).toThrow('old.ini:2: mta.hosts.mta01.ansible_ssh_port: must be a whole number');
  });
});
