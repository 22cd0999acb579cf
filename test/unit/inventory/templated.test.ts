/**
 * Templated connection variables (templated.ts): resolved per host before they are checked;
 * anything that cannot be resolved is an error naming file, line, host and variable.
 * ansible-compat.test.ts compares the resolved inventories with Ansible.
 */
import { describe, expect, it } from 'vitest';
import { parseInventory } from '../../../src/inventory/index.js';
import { Secret } from '../../../src/util/secret.js';
import { parseError as parseErrorOf } from './parse-error.js';

const parseError = (text: string, file = 'inv.ini'): string => parseErrorOf(text, file);

describe('templated connection variables', () => {
  it('resolve from host vars, group vars, other templates and inventory_hostname, then are typed', () => {
    const inv = parseInventory('[mta]\nmta01 n=1 ssh_port=2201\n[mta:vars]\nbase=example.net\nfqdn={{ inventory_hostname }}.{{ base }}\nansible_host={{ fqdn }}\nansible_port={{ ssh_port }}\nansible_become="{{ want_root | default(\'yes\') }}"\n', 'inv.ini');
    const v = inv.hosts.get('mta01')!.vars;
    expect(v.ansible_host).toBe('mta01.example.net');
    expect(v.ansible_port).toBe(2201);
    expect(v.ansible_become).toBe(true);
    expect(v.fqdn, 'other variables keep their template, as ansible-inventory shows them').toBe('{{ inventory_hostname }}.{{ base }}');
  });

  it('a secret from another variable stays a secret', () => {
    const inv = parseInventory('all:\n  vars:\n    vault_become_password: hunter2\n    ansible_become_password: "{{ vault_become_password }}"\n  hosts:\n    mta01:\n', 'inv.yml');
    const pw = inv.hosts.get('mta01')!.vars.ansible_become_password;
    expect(pw).toBeInstanceOf(Secret);
    expect((pw as Secret).reveal()).toBe('hunter2');
  });

  it('an undefined variable names file, line, host and variable', () => {
    expect(parseError('[mta]\nmta01 myhost=192.0.2.1\nmta02\n[mta:vars]\nansible_host={{ myhost }}\n')).toBe(
      'invalid inventory: inv.ini:5: mta.vars.ansible_host: host "mta02": ansible_host "{{ myhost }}": undefined variable "myhost"',
    );
  });

  it('a value that resolves to something invalid says what it resolved to', () => {
    expect(parseError('[mta]\nmta01 p=abc ansible_port={{p}}\n')).toContain('inv.ini:2: mta.hosts.mta01.ansible_port: host "mta01": ansible_port "{{p}}" resolves to "abc", which must be a whole number between 1 and 65535');
    expect(parseError('[mta]\nmta01 h="a;b" ansible_host={{h}}\n')).toContain('resolves to "a;b", which must be a host name or IP address');
  });

  it('templates that refer to each other in a loop are an error, not a hang', () => {
    expect(parseError('[mta]\nmta01 a={{b}} b={{a}} ansible_host={{a}}\n')).toContain('ansible_host "{{a}}": templates refer to each other in a loop');
  });

  it('an expression mtafleet does not evaluate here is named, with what to write instead', () => {
    expect(parseError("[mta]\nmta01 ansible_host=\"{{ hostvars['x'].ip }}\"\n")).toContain(`is not supported in a connection variable: use {{ variable }}, {{ variable.key }} or {{ variable | default('value') }}`);
  });

  it('a secret cannot become part of a host name', () => {
    expect(parseError('[mta]\nmta01 api_token=abc ansible_host={{api_token}}\n')).toContain('ansible_host "{{api_token}}": the value is a secret');
  });
});
