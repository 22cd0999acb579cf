/**
 * Hostile values in inventories and playbooks are refused by schema, before any host is
 * contacted, with a message naming file, line and field (issue 8, "Hostile and malformed input").
 */
import { describe, expect, it } from 'vitest';
import { parseInventory } from '../../src/inventory/index.js';
import { parsePlaybook } from '../../src/playbook/index.js';
import { InventoryError, PlaybookError } from '../../src/util/errors.js';

const HOSTILE = [`a'b`, `a"b`, 'a$(touch /tmp/mtaf-rel-x)', 'a`id`', 'a;id', 'a|id', 'a&id', 'a\nid', 'a\u0000id', 'a b'];

function inventoryError(text: string, file = 'inv.yaml'): string {
  try {
    parseInventory(text, file);
  } catch (err) {
    expect(err).toBeInstanceOf(InventoryError);
    return (err as Error).message;
  }
  throw new Error(`inventory was accepted:\n${text}`);
}

function playbookError(text: string): string {
  try {
    parsePlaybook('/pb/hostile.yaml', text);
  } catch (err) {
    expect(err).toBeInstanceOf(PlaybookError);
    return (err as Error).message;
  }
  throw new Error(`playbook was accepted:\n${text}`);
}

describe('inventory: hostile names and connection variables are refused with file:line: field', () => {
  it.each(HOSTILE)('host name %j', (bad) => {
    const msg = inventoryError(`all:\n  hosts:\n    ok1:\n    ${JSON.stringify(bad)}:\n`);
    expect(msg).toMatch(/^invalid inventory: inv\.yaml:4: all\.hosts\./);
    expect(msg).toMatch(/host name .* must not contain/);
    // The message itself stays on one line: a newline in the name cannot forge output lines.
    expect(msg.split('\n')).toHaveLength(1);
  });

  it.each(HOSTILE)('group name %j', (bad) => {
    const msg = inventoryError(`all:\n  children:\n    ${JSON.stringify(bad)}:\n      hosts:\n        h1:\n`);
    expect(msg).toMatch(/inv\.yaml:3: all\.children\./);
    expect(msg).toMatch(/group name .* must not contain/);
  });

  it.each(HOSTILE)('ansible_host and ansible_user %j', (bad) => {
    const msg = inventoryError(`all:\n  hosts:\n    h1:\n      ansible_host: ${JSON.stringify(bad)}\n      ansible_user: ${JSON.stringify(bad)}\n`);
    expect(msg).toContain('inv.yaml:4: all.hosts.h1.ansible_host: must be a host name or IP address');
    expect(msg).toContain('inv.yaml:5: all.hosts.h1.ansible_user: must be a user name');
  });

  it('INI: hostile host and group names name the line', () => {
    const msg = inventoryError('[mta]\nmta01\nmta$(id) ansible_port=22\n[a;b]\nx1\n', 'inv.ini');
    expect(msg).toContain('inv.ini:3:');
    expect(msg).toContain('must not contain "$"');
    expect(msg).toContain('inv.ini:4:');
    expect(msg).toContain('must not contain ";"');
  });

  it('variable names that are not identifiers', () => {
    const msg = inventoryError('all:\n  vars:\n    "x;y": 1\n  hosts:\n    h1:\n');
    expect(msg).toContain('inv.yaml:3: all.vars.x;y: variable name "x;y" must be letters, digits and _');
  });

  it('hostile variable values are kept as inert strings (not evaluated), secrets wrapped', () => {
    const inv = parseInventory('all:\n  hosts:\n    h1:\n      note: "$(touch /tmp/mtaf-rel-never); `id` | x & y \' \\""\n      db_password: "p$(id)"\n', 'inv.yaml');
    const vars = inv.hosts.get('h1')!.vars;
    expect(vars.note).toBe(`$(touch /tmp/mtaf-rel-never); \`id\` | x & y ' "`);
    expect(String(vars.db_password)).toBe('***');
  });
});

function task(step: string): string {
  return `- hosts: all\n  tasks:\n    - name: t\n      ${step}\n`;
}

describe('playbook: hostile step parameters are refused with file:line: path', () => {
  it.each([
    ['sysctl name with ..', 'sysctl: { name: "net..ipv4", value: "1" }', /cannot contain "\.\."|looks like net/],
    ['sysctl name with /', 'sysctl: { name: "net/ipv4/../../etc", value: "1" }', /looks like net|cannot contain/],
    ['sysctl name with $()', 'sysctl: { name: "net.$(id)", value: "1" }', /looks like net/],
    ['sysctl value with a newline', 'sysctl: { name: net.core.somaxconn, value: "1\\nkernel.x = 2" }', /newline or NUL/],
    ['sysctl value with NUL', 'sysctl: { name: net.core.somaxconn, value: "1\\0" }', /newline or NUL/],
    ['directive name with a newline', 'pmta-config: { directive: "max-smtp-out\\n<domain x>", value: "5" }', /directive name looks like/],
    ['directive name with ;', 'pmta-config: { directive: "a;b", value: "5" }', /directive name looks like/],
    ['directive value with a newline', 'pmta-config: { directive: max-smtp-out, value: "5\\n</domain>" }', /newline or NUL/],
    ['block with a newline', 'pmta-config: { directive: max-smtp-out, value: "5", block: "domain x\\n<domain y" }', /block/],
    ['device outside /dev', 'spool-migrate: { device: /tmp/disk.img }', /under \/dev\//],
    ['device with ..', 'spool-migrate: { device: /dev/../etc/passwd }', /"\.\."/],
    ['device with $()', 'spool-migrate: { device: "/dev/$(id)" }', /letters, digits/],
    ['device with a newline', 'spool-migrate: { device: "/dev/sdb\\n/dev/sda" }', /letters, digits/],
    ['mountpoint with ;', 'spool-migrate: { device: /dev/sdb, mountpoint: "/srv/a;rm" }', /letters, digits/],
    ['file path with a newline', 'file: { path: "/etc/x\\n/etc/y", content: "" }', /NUL or newline/],
    ['file path relative', 'file: { path: "../etc/passwd", content: "" }', /absolute path/],
    ['file line with a newline', 'file: { path: /etc/x, line: "a\\nb" }', /single line/],
    ['service name starting with -', 'service: { name: "-x", state: restarted }', /service name/],
    ['file owner with shell characters', 'file: { path: /etc/x, content: "", owner: "root;id" }', /owner/],
    ['file mode not octal', 'file: { path: /etc/x, content: "", mode: "0644; id" }', /octal mode/],
    ['systemd-limit unit with $()', 'systemd-limit: { unit: "pmta$(id)", limits: { LimitNOFILE: 65536 } }', /service name/],
    ['command argv with NUL', 'command: { argv: ["echo", "a\\0b"] }', /NUL/],
  ])('%s', (_label, step, why) => {
    const msg = playbookError(task(step));
    expect(msg).toMatch(/(^|\n\s*)\/pb\/hostile\.yaml:4: plays\[0\]\.tasks\[0\]\./);
    expect(msg).toMatch(why);
  });
});

describe('command step: values templated into shell text are quoted', () => {
  it('cmd and unless get each {{ }} as one quoted word; argv stays literal', async () => {
    const { resolveParams } = await import('../../src/playbook/index.js');
    const pb = parsePlaybook(
      '/pb/cmd.yaml',
      `- hosts: all\n  tasks:\n    - name: t\n      command: { cmd: "echo {{ evil }} > {{ dir }}/out", unless: "test -e {{ evil }}" }\n`,
    );
    const evil = `x'; touch /tmp/mtaf-rel-never $(id) \`id\``;
    const params = resolveParams(pb, pb.plays[0].tasks[0], { evil, dir: '/srv/a b' }, 'h1') as { cmd: string; unless: string };
    expect(params.cmd).toBe(`echo 'x'\\''; touch /tmp/mtaf-rel-never $(id) \`id\`' > '/srv/a b'/out`);
    expect(params.unless).toBe(`test -e 'x'\\''; touch /tmp/mtaf-rel-never $(id) \`id\`'`);
  });
});
