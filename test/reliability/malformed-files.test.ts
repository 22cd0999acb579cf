/**
 * Malformed input files: YAML alias bombs, 100 MB files, binary garbage, UTF-16 — each a
 * clear typed error (exit 1 through the CLI), quickly and without reading a huge file into memory.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadInventory } from '../../src/inventory/index.js';
import { loadPlaybook } from '../../src/playbook/index.js';
import { InventoryError, PlaybookError } from '../../src/util/errors.js';
import { buildOnce, runCli } from './fixture.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mtaf-rel-files-'));
  buildOnce();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Nine levels of nine aliases each: 9^9 strings if expanded naively. */
function aliasBomb(indent: string): string {
  const lines = [`${indent}l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]`];
  for (let i = 1; i < 9; i++) lines.push(`${indent}l${i}: &l${i} [${Array(9).fill(`*l${i - 1}`).join(',')}]`);
  return lines.join('\n');
}

const INVENTORY_BOMB = `all:\n  vars:\n${aliasBomb('    ')}\n  hosts:\n    h1:\n`;
const PLAYBOOK_BOMB = `- hosts: all\n  vars:\n${aliasBomb('    ')}\n  tasks: []\n`;

function file(name: string, data: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
}

function sparse(name: string, bytes: number): string {
  const p = join(dir, name);
  const fd = openSync(p, 'w');
  ftruncateSync(fd, bytes);
  closeSync(fd);
  return p;
}

async function rejects(p: Promise<unknown> | (() => unknown), type: Function, pattern: RegExp): Promise<void> {
  const started = Date.now();
  let caught: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected an error').toBeInstanceOf(type);
  expect((caught as Error).message).toMatch(pattern);
  expect(Date.now() - started).toBeLessThan(3_000);
}

const UTF16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('all:\n  hosts:\n    h1:\n', 'utf16le')]);
const UTF16_NO_BOM = Buffer.from('all:\n  hosts:\n    h1:\n', 'utf16le');
const GARBAGE = randomBytes(64 * 1024);

describe('inventory loader', () => {
  it('a YAML alias bomb is a clear InventoryError naming file and line', async () => {
    const p = file('bomb.yaml', INVENTORY_BOMB);
    await rejects(loadInventory(p), InventoryError, /bomb\.yaml:\d+: all\.vars\.l\d: .*alias bomb/);
  });
  it('a 100 MB file is refused unread', async () => {
    await rejects(loadInventory(sparse('huge.yaml', 100 * 1024 * 1024)), InventoryError, /huge\.yaml.*100\.0 MiB, more than the 10 MiB/);
  });
  it('binary garbage', async () => {
    await rejects(loadInventory(file('garbage.yaml', GARBAGE)), InventoryError, /garbage\.yaml.*(binary|not valid UTF-8)/);
  });
  it('UTF-16 with and without a byte order mark', async () => {
    await rejects(loadInventory(file('u16.yaml', UTF16)), InventoryError, /u16\.yaml.*UTF-16/);
    await rejects(loadInventory(file('u16nobom.ini', UTF16_NO_BOM)), InventoryError, /u16nobom\.ini.*UTF-16/);
  });
  it('group_vars / host_vars files: alias bomb, binary and oversize files are problems naming the file', async () => {
    const base = join(dir, 'withvars');
    mkdirSync(join(base, 'group_vars'), { recursive: true });
    mkdirSync(join(base, 'host_vars'), { recursive: true });
    writeFileSync(join(base, 'inv.yaml'), 'all:\n  hosts:\n    h1:\n    h2:\n');
    writeFileSync(join(base, 'group_vars', 'all.yaml'), aliasBomb(''));
    writeFileSync(join(base, 'host_vars', 'h1.yaml'), GARBAGE);
    const fd = openSync(join(base, 'host_vars', 'h2.yaml'), 'w');
    ftruncateSync(fd, 11 * 1024 * 1024);
    closeSync(fd);
    let message = '';
    await rejects(
      loadInventory(join(base, 'inv.yaml')).catch((err: Error) => {
        message = err.message;
        throw err;
      }),
      InventoryError,
      /problems/,
    );
    expect(message).toMatch(/group_vars\/all\.yaml:\d+: l\d: .*alias bomb/);
    expect(message).toMatch(/host_vars\/h1\.yaml:1: cannot read: .*(binary|UTF-8)/);
    expect(message).toMatch(/host_vars\/h2\.yaml:1: cannot read: .*more than the 10 MiB/);
  });

  it('an empty inventory holds no hosts (not an error)', async () => {
    const inv = await loadInventory(file('empty.yaml', ''));
    expect(inv.hosts.size).toBe(0);
  });
  it('a UTF-8 byte order mark is accepted', async () => {
    const inv = await loadInventory(file('bom.yaml', '\uFEFFall:\n  hosts:\n    h1:\n'));
    expect([...inv.hosts.keys()]).toEqual(['h1']);
  });
});

describe('playbook loader', () => {
  it('a YAML alias bomb is a clear PlaybookError', async () => {
    await rejects(() => loadPlaybook(file('bomb-pb.yaml', PLAYBOOK_BOMB)), PlaybookError, /bomb-pb\.yaml.*alias bomb/);
  });
  it('a 100 MB file is refused unread', async () => {
    await rejects(() => loadPlaybook(sparse('huge-pb.yaml', 100 * 1024 * 1024)), PlaybookError, /huge-pb\.yaml.*more than the 10 MiB/);
  });
  it('binary garbage and UTF-16', async () => {
    await rejects(() => loadPlaybook(file('garbage-pb.yaml', GARBAGE)), PlaybookError, /garbage-pb\.yaml.*(binary|UTF-8)/);
    await rejects(() => loadPlaybook(file('u16-pb.yaml', UTF16)), PlaybookError, /u16-pb\.yaml.*UTF-16/);
  });
  it('an empty playbook is a clear error', async () => {
    await rejects(() => loadPlaybook(file('empty-pb.yaml', '')), PlaybookError, /a playbook is a list of plays/);
  });
});

describe('through the CLI: exit 1 with the message on stderr', () => {
  it.each([
    ['bomb', () => file('cli-bomb.yaml', INVENTORY_BOMB), /alias bomb/],
    ['100 MB', () => sparse('cli-huge.yaml', 100 * 1024 * 1024), /more than the 10 MiB/],
    ['garbage', () => file('cli-garbage.yaml', GARBAGE), /binary|UTF-8/],
    ['UTF-16', () => file('cli-u16.yaml', UTF16), /UTF-16/],
  ])('inventory --list: %s', async (_label, make, pattern) => {
    const started = Date.now();
    const r = await runCli(['inventory', '-i', make(), '--list'], { ...process.env, HOME: dir });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.stdout).toBe('');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it.each([
    ['bomb', () => file('cli-bomb-pb.yaml', PLAYBOOK_BOMB), /alias bomb/],
    ['100 MB', () => sparse('cli-huge-pb.yaml', 100 * 1024 * 1024), /more than the 10 MiB/],
    ['UTF-16', () => file('cli-u16-pb.yaml', UTF16), /UTF-16/],
  ])('run --check with a bad playbook: %s', async (_label, make, pattern) => {
    const inv = file('cli-ok.yaml', 'all:\n  hosts:\n    h1:\n      ansible_host: 127.0.0.1\n      ansible_port: 1\n');
    const r = await runCli(['run', make(), '-i', inv, '--check', '--state-dir', join(dir, 'state')], { ...process.env, HOME: dir });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/internal error/);
  });
});
