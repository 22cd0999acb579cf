/**
 * `run` and `rollback` through the real CLI record a row each in the default store
 * (STATE_DIR/history.sqlite): who (user@host), when, playbook, hosts, outcome; `--no-history`
 * records nothing. The inventory's one host refuses connections, so nothing is changed anywhere.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../../src/history/index.js';
import { buildOnce, ROOT, runCli } from '../../helpers/cli.js';
import { freePort } from '../../helpers/sshd.js';

let dir: string;
let inventory: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  buildOnce();
  dir = mkdtempSync(join(tmpdir(), 'mtaf-hist-runs-'));
  inventory = join(dir, 'inv.yaml');
  writeFileSync(inventory, `mta:\n  hosts:\n    ghost:\n      ansible_host: 127.0.0.1\n      ansible_port: ${await freePort()}\n      ansible_user: root\n`);
  const { MTAFLEET_DB: _db, ...rest } = process.env;
  env = { ...rest, MTAFLEET_STATE_DIR: join(dir, 'state') };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('run history through the CLI', () => {
  it('records run and rollback rows; --no-history records none', async () => {
    const playbook = join(ROOT, 'playbooks', 'fd-limit.yaml');
    const run = await runCli(['run', playbook, '-i', inventory, '--format', 'json'], env);
    expect(run.code).toBe(4);
    const runId = (JSON.parse(run.stdout) as { runId: string }).runId;
    const check = await runCli(['run', playbook, '-i', inventory, '--check', '--no-history', '--format', 'json'], env);
    expect(check.code).toBe(4);
    const rollback = await runCli(['rollback', runId], env);
    expect(rollback.code).toBe(0);

    const store = await openStore({ backend: 'sqlite', file: join(dir, 'state', 'history.sqlite') });
    const rows = await store.runs(0);
    await store.close();
    expect(rows.map((r) => [r.command, r.runId, r.outcome, r.check])).toEqual([
      ['run', runId, 'unreachable', false],
      ['rollback', runId, 'ok', false],
    ]);
    expect(rows[0]).toMatchObject({ who: `${userInfo().username}@${hostname()}`, playbook, inventory, hosts: [{ name: 'ghost', status: 'unreachable', changes: 0 }] });
    expect(rows[0]!.finishedAt).toBeGreaterThanOrEqual(rows[0]!.startedAt);
    expect(rows[1]!.id).not.toBe(runId);
  }, 120_000);
});
