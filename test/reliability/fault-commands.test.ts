/**
 * Fault injection, failing commands: on a one-host lab, a sysctl + pmta-config change whose
 * `pmta test config` rejects the new config, and a `systemctl` that hangs past the command
 * timeout. After the automatic rollback the host must be in its observed starting state
 * (config byte-identical, sysctls, service, mounts); a full run and `mtafleet rollback` must
 * go from start to fully applied and back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { startLab, type LabHandle } from '../helpers/lab.js';
import { FIXTURES, runJsonOf, snapshot, workspace, type Workspace } from './fault-support.js';

const TUNE = join(FIXTURES, 'fault-tune.yaml');
const HANG = join(FIXTURES, 'fault-hang.yaml');
const HOST = 'mta01';

let lab: LabHandle;
let ws: Workspace;
let start: string;

beforeAll(async () => {
  ws = workspace('cmd');
  lab = await startLab({ name: 'f1', hosts: 1, scenarios: ['healthy'] });
  // A systemctl wrapper that hangs while the switch file exists (the switch is ours to flip).
  const wrapper = await lab.run(
    HOST,
    `mkdir -p /root/mtaf-fault-bin && printf '%s\\n' '#!/bin/sh' 'while [ -e /root/mtaf-fault-hang ]; do sleep 0.2; done' 'exec systemctl "$@"' > /root/mtaf-fault-bin/systemctl && chmod 755 /root/mtaf-fault-bin/systemctl`,
  );
  if (wrapper.exitCode !== 0) throw new Error(wrapper.stderr);
  start = await snapshot(lab, HOST);
});

afterAll(async () => {
  try {
    await lab?.down();
  } finally {
    ws?.cleanup();
  }
});

const inv = () => ['-i', lab.inventoryFile, '--format', 'json'];

describe('failing commands during a sysctl + pmta-config change', () => {
  it('a full run reaches the applied state and `mtafleet rollback` returns to the starting state exactly', async () => {
    const run = await ws.cli(['run', TUNE, ...inv()]);
    expect(run.code, run.stderr).toBe(0);
    const result = runJsonOf(run);
    expect(result.hosts).toEqual([expect.objectContaining({ name: HOST, status: 'changed' })]);
    const applied = await snapshot(lab, HOST);
    expect(applied).not.toBe(start);
    expect(applied).toContain('net.core.somaxconn=65535');
    const config = await lab.run(HOST, 'cat /etc/pmta/config');
    expect(config.stdout).toMatch(/^total-max-smtp-out 20000$/m);

    const back = await ws.cli(['rollback', result.runId, '--format', 'json']);
    expect(back.code, back.stderr + back.stdout).toBe(0);
    expect(await snapshot(lab, HOST)).toBe(start);
  });

  it('pmta test config rejects the new config: config byte-identical, earlier sysctl change rolled back', async () => {
    const run = await ws.cli(['run', TUNE, ...inv(), '-e', 'directive=mtaf-no-such-directive']);
    expect(run.code).toBe(2);
    const result = runJsonOf(run);
    expect(result.hosts[0]).toMatchObject({ name: HOST, status: 'failed' });
    expect(result.hosts[0].error).toMatch(/pmta test config rejected/);
    expect(result.hosts[0].error).toMatch(/mtaf-no-such-directive/);
    expect(result.hosts[0].error).not.toMatch(/could not undo/);
    // Automatic rollback: the sysctl and the first config edit are undone too.
    expect(await snapshot(lab, HOST)).toBe(start);
    // Nothing left for a manual rollback to do, and doing it changes nothing.
    const back = await ws.cli(['rollback', result.runId]);
    expect(back.code, back.stderr).toBe(0);
    expect(await snapshot(lab, HOST)).toBe(start);
  });

  it('a systemctl that hangs past the command timeout fails the host, which is rolled back; the hung process is killed', async () => {
    await lab.run(HOST, 'touch /root/mtaf-fault-hang');
    try {
      const t0 = Date.now();
      const run = await ws.cli(['run', HANG, ...inv()]);
      const seconds = (Date.now() - t0) / 1000;
      expect(run.code, run.stderr).toBe(2);
      const result = runJsonOf(run);
      expect(result.hosts[0]).toMatchObject({ name: HOST, status: 'failed' });
      expect(result.hosts[0].error).toMatch(/timed out|timeout/i);
      // Timeout is 3 s: the runner must not wait for the hang (the wrapper never ends by itself).
      expect(seconds).toBeLessThan(40);
      expect(await snapshot(lab, HOST)).toBe(start);
      // The remote side enforces the timeout too: no wrapper is left spinning.
      await new Promise((r) => setTimeout(r, 3500));
      const left = await lab.run(HOST, 'pgrep -f "[/]root/mtaf-fault-bin/systemctl" || true');
      expect(left.stdout.trim()).toBe('');
    } finally {
      await lab.run(HOST, 'rm -f /root/mtaf-fault-hang');
    }
  });

  it('with the switch off the same playbook converges, and rolls back to the start (the command is reported as not reversible)', async () => {
    const run = await ws.cli(['run', HANG, ...inv()]);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const runId = runJsonOf(run).runId;
    expect(await snapshot(lab, HOST)).not.toBe(start);
    const back = await ws.cli(['rollback', runId]);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout).toMatch(/not reversible .*mta01.*Service check|not reversible \(left as it is\) on mta01/);
    expect(await snapshot(lab, HOST)).toBe(start);
  });
});
