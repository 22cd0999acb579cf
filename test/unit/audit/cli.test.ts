/**
 * `mtafleet audit` through the real CLI entry (in-process): bad arguments exit 1 before any
 * host is touched; an inventory whose only host refuses connections gives the JSON contract
 * on stdout (and nothing else) with exit 4.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { capturedOutput, restoreCapture } from '../../helpers/capture-output.js';
import { freePort } from '../../helpers/sshd.js';
import { AuditContract } from '../report/contract.js';

describe('mtafleet audit (CLI)', () => {
  let dir: string;
  let inventory: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mtaf-rep-cli-'));
    inventory = join(dir, 'inv.yaml');
    const port = await freePort();
    writeFileSync(inventory, `all:\n  hosts:\n    ghost:\n      ansible_host: 127.0.0.1\n      ansible_port: ${port}\n      ansible_user: root\n`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const io = capturedOutput();
  const capture = (): void => io.start();
  afterEach(restoreCapture);

  it.each([
    [['--format', 'pdf'], /--format/],
    [['--window', '0'], /--window/],
    [['--fail-on', 'info'], /--fail-on/],
    [['--forks', '0'], /./],
  ])('refuses %j with exit 1', async (args, message) => {
    capture();
    expect(await main(['node', 'mtafleet', 'audit', '-i', inventory, ...args])).toBe(1);
    expect(io.err).toMatch(message);
    expect(io.out).toBe('');
  });

  it('exits 1 for a missing inventory', async () => {
    capture();
    expect(await main(['node', 'mtafleet', 'audit', '-i', join(dir, 'nope.yaml'), '--format', 'json'])).toBe(1);
    expect(io.out).toBe('');
  });

  it('reports an unreachable host as JSON only, exit 4', async () => {
    capture();
    const code = await main(['node', 'mtafleet', 'audit', '-i', inventory, '--format', 'json', '--known-hosts', join(dir, 'known_hosts')]);
    expect(code).toBe(4);
    const report = AuditContract.parse(JSON.parse(io.out));
    expect(report.summary).toEqual({ hosts: 1, reachable: 0, byKind: {} });
    expect(report.hosts[0]).toMatchObject({ name: 'ghost', reachable: false, findings: [] });
    expect(report.hosts[0]!.error).toMatch(/ghost/);
  });
});
