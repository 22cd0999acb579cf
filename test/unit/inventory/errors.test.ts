import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadInventory, parseInventory } from '../../../src/inventory/index.js';
import { InventoryError } from '../../../src/util/errors.js';
import { parseError as parseErrorOf } from './parse-error.js';

const fixtures = join(__dirname, '../../fixtures/inventory');

async function loadError(name: string): Promise<InventoryError> {
  const err = await loadInventory(join(fixtures, name)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InventoryError);
  return err as InventoryError;
}

const parseError = (text: string, file = 'inv.yaml'): string => parseErrorOf(text, file);

describe('inventory errors name file, line and path in plain words', () => {
  it('bad port type', async () => {
    const { message } = await loadError('bad-port.yaml');
    expect(message).toContain('bad-port.yaml:9: all.children.gmail.hosts.mta03.ansible_port: must be a whole number between 1 and 65535, got "abc"');
  });

  it('unknown top-level key', async () => {
    const { message } = await loadError('unknown-top.yaml');
    expect(message).toMatch(/unknown-top\.yaml:4: hostz: unknown top-level key "hostz"/);
  });

  it('unknown key inside a group', async () => {
    const { message } = await loadError('unknown-group-key.yaml');
    expect(message).toMatch(/unknown-group-key\.yaml:6: all\.children\.pool_gmail\.varz: unknown key "varz" in group "pool_gmail": a group holds only hosts, vars and children/);
  });

  it('host names with shell metacharacters, all of them reported', async () => {
    const { message } = await loadError('bad-hostname.yaml');
    expect(message).toContain('2 problems');
    expect(message).toContain('bad-hostname.yaml:4: all.hosts.mta02;rm -rf /: host name "mta02;rm -rf /" must not contain');
    expect(message).toContain('bad-hostname.yaml:6: all.hosts.mta$(id): host name "mta$(id)" must not contain "$"');
  });

  it('malformed YAML', async () => {
    const { message } = await loadError('malformed.yaml');
    expect(message).toMatch(/malformed\.yaml:\d+: YAML syntax error/);
    const line = Number(/malformed\.yaml:(\d+):/.exec(message)![1]);
    expect(line).toBeGreaterThanOrEqual(4);
  });

  it('INI syntax error', async () => {
    const { message } = await loadError('bad-syntax.ini');
    expect(message).toMatch(/bad-syntax\.ini:4: \[mta:vars: INI syntax error: bad section header/);
  });

  it.each([
    ['ansible_port: 0', 'must be a whole number between 1 and 65535, got 0'],
    ['ansible_port: 70000', 'must be a whole number between 1 and 65535, got 70000'],
    ['ansible_port: 22.5', 'must be a whole number between 1 and 65535, got 22.5'],
    ['ansible_host: "192.0.2.1; reboot"', 'ansible_host: must be a host name or IP address'],
    ['ansible_host: "-oProxyCommand=x"', 'ansible_host: must be a host name or IP address'],
    ['ansible_user: "root$(id)"', 'ansible_user: must be a user name'],
    ['ansible_become: maybe', 'ansible_become: must be true or false (yes/no, on/off, 1/0 also work), got "maybe"'],
    ['ansible_ssh_private_key_file: [a]', 'ansible_ssh_private_key_file: must be a file path (no newlines or NUL bytes), got a list'],
    ['mtafleet_known_hosts: "a\\nb"', 'mtafleet_known_hosts: must be a file path'],
    ['mtafleet_jump: "ops@bastion:99999"', 'mtafleet_jump: must be a jump host'],
    ['mtafleet_jump: "bastion; id"', 'mtafleet_jump: must be a jump host'],
    ['mtafleet_jump: "a,-oProxyCommand=x"', 'mtafleet_jump: must be a jump host'],
    ['mtafleet_jump: "a,,b"', 'mtafleet_jump: must be a jump host'],
    ['ansible_become_password: [x]', 'ansible_become_password: must be a string, got ***'],
    ['"bad-name": 1', 'variable name "bad-name" must be letters, digits and _'],
  ])('rejects %s', (line, expected) => {
    const message = parseError(`all:\n  hosts:\n    mta01:\n      ${line}\n`);
    expect(message).toContain(`inv.yaml:4: all.hosts.mta01.`);
    expect(message).toContain(expected);
  });

  it.each([
    'ops@bastion.example.net:2202',
    'bastion.example.net',
    'bastion:22',
    'ops@[2001:db8::1]:22',
    'ssh://ops@bastion:22',
    'outer.example.net,ops@inner:2202',
  ])('accepts jump host %s', (jump) => {
    const inv = parseInventory(`all:\n  hosts:\n    mta01:\n      mtafleet_jump: "${jump}"\n`, 'inv.yaml');
    expect(inv.hosts.get('mta01')!.vars.mtafleet_jump).toBe(jump);
  });

  it('reports a bad group name with its path', () => {
    const message = parseError('all:\n  children:\n    "gmail|pool":\n      hosts: {a: }\n');
    expect(message).toContain('inv.yaml:3: all.children.gmail|pool: group name "gmail|pool" must not contain "|"');
  });

  it('reports bad structure: hosts as a list, host vars as a scalar, top level a list', () => {
    expect(parseError('all:\n  hosts:\n    - mta01\n')).toContain('inv.yaml:3: all.hosts: hosts must be a mapping of host names');
    expect(parseError('all:\n  hosts:\n    mta01: 5\n')).toContain('inv.yaml:3: all.hosts.mta01: host "mta01" must map to its variables');
    expect(parseError('- all\n')).toContain('inv.yaml:1: the top level must be a mapping');
    expect(parseError('all:\n  hosts: {a: }\nvars:\n  x: 1\n')).toContain('did you mean to put "vars:" under "all:"?');
  });

  it('reports a group loop', () => {
    const message = parseError('all:\n  children:\n    a:\n      children:\n        b:\n          children:\n            a:\n');
    expect(message).toContain('groups form a loop: a -> b -> a');
  });

  it('reports every problem, capped at 20', () => {
    const hosts = Array.from({ length: 25 }, (_, i) => `    h${i}:\n      ansible_port: x${i}`).join('\n');
    const message = parseError(`all:\n  hosts:\n${hosts}\n`);
    expect(message).toContain('25 problems');
    expect(message).toContain('inv.yaml:4: all.hosts.h0.ansible_port');
    expect(message).toContain('... and 5 more');
    expect(message.split('\n').filter((l) => l.includes('ansible_port'))).toHaveLength(20);
  });

  it('INI: unknown section type, key=value errors, undefined groups, bad quotes', () => {
    const message = parseError(
      ['[mta]', 'mta01 ansible_port', 'mta02 label="unterminated', '[mta:hosts2]', 'x', '[ghost:vars]', 'a=1', '[mta:children]', 'nowhere', '[mta:vars]', 'novalue', 'mta03;id'].join('\n'),
      'inv.ini',
    );
    expect(message).toContain('inv.ini:2: mta.hosts.mta01: INI syntax error: expected key=value after the host name, got "ansible_port"');
    expect(message).toContain('inv.ini:3: mta.hosts: INI syntax error: unterminated " quote');
    expect(message).toContain('inv.ini:4: [mta:hosts2]: INI syntax error: unknown section type "hosts2"');
    expect(message).toContain('inv.ini:6: ghost.vars: section [ghost:vars] is for group "ghost", which is not defined anywhere');
    expect(message).toContain('inv.ini:9: mta.children.nowhere: section [mta:children] names group "nowhere", which is not defined anywhere');
    expect(message).toContain('inv.ini:11: mta.vars: INI syntax error: expected key=value in [mta:vars], got "novalue"');
  });

  it('INI: bad connection variable on a host line names line and path', () => {
    const message = parseError('[pool_gmail]\nmta01 ansible_host=192.0.2.1\nmta03 ansible_port=abc\n', 'fleet.ini');
    expect(message).toBe('invalid inventory: fleet.ini:3: pool_gmail.hosts.mta03.ansible_port: must be a whole number between 1 and 65535, got "abc"');
  });

  it('never shows a rejected secret value', () => {
    const message = parseError('all:\n  hosts:\n    mta01:\n      db_password: {a: [1]}\n      ansible_become_password: [hunter2]\n');
    expect(message).not.toContain('hunter2');
  });
});
