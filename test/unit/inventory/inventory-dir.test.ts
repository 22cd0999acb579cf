/**
 * `-i DIR` beyond what the compatibility suite compares with Ansible (ansible-compat.test.ts,
 * fixtures/inventory/compat/dir): the errors, the scripts mtafleet will not run, and the plan
 * fingerprint covering every file read.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inventoryBytes, loadInventory } from '../../../src/inventory/index.js';
import { ignoredInInventoryDir } from '../../../src/inventory/inventory-dir.js';
import { InventoryError } from '../../../src/util/errors.js';

const root = mkdtempSync(join(tmpdir(), 'mtaf-invdir-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function dirWith(name: string, files: Record<string, string>): string {
  const dir = join(root, name);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

async function loadError(dir: string): Promise<string> {
  const err = await loadInventory(dir).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(InventoryError);
  return (err as Error).message;
}

describe('inventory directories', () => {
  it('ignores what Ansible 2.14 ignores (INVENTORY_IGNORE_EXTS, hidden, group_vars, host_vars, vars_plugins)', () => {
    for (const name of ['.git', 'group_vars', 'host_vars', 'vars_plugins', 'hosts.ini', 'a.cfg', 'b.retry', 'c.orig', 'd.bak', 'e~', 'f.swp', 'README.md', 'notes.txt', 'g.rst', 'h.pyc', 'i.rpm']) {
      expect(ignoredInInventoryDir(name), name).toBe(true);
    }
    for (const name of ['hosts', 'hosts.yml', 'prod.yaml', 'x.json', 'group_vars.yml', 'inventory']) expect(ignoredInInventoryDir(name), name).toBe(false);
  });

  it('a problem in one file names that file inside the directory, with its line', async () => {
    const dir = dirWith('bad-one', { '01-ok': '[mta]\nmta01\n', '02-bad.yml': 'all:\n  hosts:\n    mta02:\n      ansible_port: abc\n' });
    expect(await loadError(dir)).toContain(`${join(dir, '02-bad.yml')}:4: all.hosts.mta02.ansible_port: must be a whole number between 1 and 65535, got "abc"`);
  });

  it('[x:vars] for a group no file defines is still refused, naming the file', async () => {
    const dir = dirWith('undefined-vars', { '01-hosts': '[mta]\nmta01\n', '02-vars': '[ghost:vars]\nx=1\n' });
    expect(await loadError(dir)).toContain(`${join(dir, '02-vars')}:1: ghost.vars: section [ghost:vars] is for group "ghost", which is not defined anywhere`);
  });

  it('a directory with no inventory file in it is an error that says what Ansible ignores', async () => {
    const dir = dirWith('empty', { 'hosts.ini': '[mta]\nmta01\n', 'README.md': 'x\n' });
    expect(await loadError(dir)).toMatch(/inventory directory ".*empty" holds no inventory file \(Ansible ignores .*\.ini/);
  });

  it('an executable file (an inventory script to Ansible) is refused, not run', async () => {
    const dir = dirWith('script', { hosts: '[mta]\nmta01\n', 'ec2.py': '#!/bin/sh\necho "{}"\n' });
    chmodSync(join(dir, 'ec2.py'), 0o755);
    expect(await loadError(dir)).toContain(`${join(dir, 'ec2.py')}:1: is executable: Ansible would run it as an inventory script; mtafleet does not run inventory scripts`);
  });

  it('a link back to a containing directory is a loop, refused by name, not followed forever', async () => {
    const dir = dirWith('loop', { 'hosts': '[mta]\nmta01\n' });
    mkdirSync(join(dir, 'sub'));
    symlinkSync('..', join(dir, 'sub', 'up'));
    expect(await loadError(dir)).toContain(`${join(dir, 'sub', 'up')}:1: is a link back to a directory that contains it (a loop); remove the link`);
  });

  it('the plan fingerprint covers every file read, and only those', async () => {
    const dir = dirWith('digest', { '01-hosts': '[mta]\nmta01\n', '02-more.yml': 'all:\n  hosts:\n    mta02:\n', 'ignored.ini': '[x]\ny\n' });
    const before = inventoryBytes(await loadInventory(dir));
    writeFileSync(join(dir, 'ignored.ini'), '[x]\nz\n');
    expect(inventoryBytes(await loadInventory(dir)).equals(before), 'an ignored file does not count').toBe(true);
    writeFileSync(join(dir, '02-more.yml'), 'all:\n  hosts:\n    mta03:\n');
    expect(inventoryBytes(await loadInventory(dir)).equals(before), 'a file read does').toBe(false);
  });

  it('host names from a directory are never object keys with a prototype meaning', async () => {
    const dir = dirWith('hostile', { '01-hosts': '[mta]\n__proto__ x=1\nconstructor\n', '02-more.yml': 'all:\n  children:\n    mta:\n      hosts:\n        toString: {}\n' });
    const inv = await loadInventory(dir);
    expect([...inv.hosts.keys()]).toEqual(['__proto__', 'constructor', 'toString']);
    expect(inv.hosts.get('__proto__')!.vars.x).toBe(1);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});
