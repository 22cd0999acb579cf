import { describe, expect, it } from 'vitest';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { resolveConnectionSpec } from '../../../src/transport/spec.js';
import { lookupSshConfig } from '../../../src/transport/sshconfig.js';
import type { Inventory, InventoryHost } from '../../../src/inventory/types.js';
import { InputError } from '../../../src/util/errors.js';
import { Secret } from '../../../src/util/secret.js';

const sshConfig = join(__dirname, '../../fixtures/transport/ssh_config');
const noConfig = join(__dirname, '../../fixtures/transport/empty_ssh_config');
const host = (name: string, vars: Record<string, unknown> = {}): InventoryHost => ({ name, vars, groups: ['all'] });

describe('lookupSshConfig', () => {
  it('reads HostName (with %h), Port, User, IdentityFile (~ expanded), ProxyJump, UserKnownHostsFile', () => {
    expect(lookupSshConfig('mta07', sshConfig)).toEqual({
      hostName: 'mta07.dc1.example.net',
      port: 2222,
      user: 'ops',
      identityFiles: [join(homedir(), '.ssh/mtaf-tr-does-not-exist'), '/etc/hostname'],
      proxyJump: 'bastion',
      userKnownHostsFile: join(homedir(), '.ssh/fleet_known_hosts'),
    });
  });

  it('an explicit file that does not exist is an input error', () => {
    expect(() => lookupSshConfig('x', '/nonexistent/mtaf-tr-config')).toThrow(InputError);
  });
});

describe('resolveConnectionSpec', () => {
  it('falls back to defaults: port 22, current user, ~/.ssh/known_hosts, no become', () => {
    const spec = resolveConnectionSpec(host('10.9.9.9'), { sshConfigFile: noConfig });
    expect(spec).toMatchObject({
      name: '10.9.9.9',
      host: '10.9.9.9',
      port: 22,
      user: userInfo().username,
      become: false,
      knownHostsFile: join(homedir(), '.ssh/known_hosts'),
      acceptNewHostKeys: false,
    });
    expect(spec.jump).toBeUndefined();
  });

  it('uses ssh_config when the inventory says nothing, keeping only key files that exist', () => {
    const spec = resolveConnectionSpec(host('mta07'), { sshConfigFile: sshConfig });
    expect(spec).toMatchObject({ host: 'mta07.dc1.example.net', port: 2222, user: 'ops', privateKeyFiles: ['/etc/hostname'] });
    expect(spec.knownHostsFile).toBe(join(homedir(), '.ssh/fleet_known_hosts'));
    expect(spec.jump).toMatchObject({ name: 'bastion', host: 'bastion.dc1.example.net', port: 2200, user: 'jumper', become: false });
  });

  it('inventory vars win over ssh_config; --known-hosts wins over everything', () => {
    const vars = {
      ansible_host: '192.0.2.55',
      ansible_port: '2022',
      ansible_user: 'root',
      ansible_ssh_private_key_file: '~/keys/fleet',
      ansible_become: 'yes',
      ansible_become_user: 'pmta',
      ansible_become_password: 'pw',
      mtafleet_known_hosts: '~/kh-from-inventory',
    };
    const spec = resolveConnectionSpec(host('mta07', vars), { sshConfigFile: sshConfig, connectTimeoutMs: 1234 });
    expect(spec).toMatchObject({
      host: '192.0.2.55',
      port: 2022,
      user: 'root',
      privateKeyFiles: [join(homedir(), 'keys/fleet')],
      become: true,
      becomeUser: 'pmta',
      knownHostsFile: join(homedir(), 'kh-from-inventory'),
      connectTimeoutMs: 1234,
    });
    expect(spec.becomePassword).toBeInstanceOf(Secret);
    expect(spec.becomePassword!.reveal()).toBe('pw');
    expect(JSON.stringify(spec)).not.toContain('"pw"');
    const flagged = resolveConnectionSpec(host('mta07', vars), { sshConfigFile: sshConfig, knownHostsFile: '/tmp/flag_kh' });
    expect(flagged.knownHostsFile).toBe('/tmp/flag_kh');
  });

  it('mtafleet_jump names an inventory host (its vars apply) or user@host:port', () => {
    const bastion = host('bastion1', { ansible_host: '198.51.100.1', ansible_user: 'jump', ansible_become: true });
    const inventory: Inventory = { file: '/inv.yaml', hosts: new Map([['bastion1', bastion]]), groups: new Map() };
    const viaInventory = resolveConnectionSpec(host('mta01', { mtafleet_jump: 'bastion1' }), { sshConfigFile: noConfig, inventory });
    expect(viaInventory.jump).toMatchObject({ name: 'bastion1', host: '198.51.100.1', user: 'jump', port: 22, become: false });
    const literal = resolveConnectionSpec(host('mta01', { mtafleet_jump: 'ops@gw.example:2201' }), { sshConfigFile: noConfig });
    expect(literal.jump).toMatchObject({ host: 'gw.example', user: 'ops', port: 2201 });
    const chain = resolveConnectionSpec(host('mta01', { mtafleet_jump: 'a.example,b.example:23' }), { sshConfigFile: noConfig });
    expect(chain.jump).toMatchObject({ host: 'b.example', port: 23, jump: { host: 'a.example', port: 22 } });
  });

  it('refuses a jump loop and a bad port', () => {
    const a = host('a', { mtafleet_jump: 'b' });
    const b = host('b', { mtafleet_jump: 'a' });
    const inventory: Inventory = { file: '/inv.yaml', hosts: new Map([['a', a], ['b', b]]), groups: new Map() };
    expect(() => resolveConnectionSpec(a, { sshConfigFile: noConfig, inventory })).toThrow(/jump host loop: a -> b -> a/);
    expect(() => resolveConnectionSpec(host('x', { ansible_port: 'http' }), { sshConfigFile: noConfig })).toThrow(/ansible_port/);
  });
});
