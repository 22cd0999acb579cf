import { describe, expect, it } from 'vitest';
import { parseServiceObservation, serviceStep, OBSERVE_SERVICE } from '../../../src/steps/service.js';
import { systemdLimitStep } from '../../../src/steps/systemd-limit.js';
import { sh } from '../../../src/transport/quote.js';
import { checkPlan, loadFixtures } from './plan-fixtures.js';
import { runLocal } from './local-shell.js';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';

describe('service plan', () => {
  for (const fx of loadFixtures('service')) it(`${fx.file}: ${fx.name}`, () => void checkPlan(serviceStep, fx));

  it('pmta reload requires the "Configuration reloaded." answer', () => {
    const plan = serviceStep.plan({ 'service pmta (before reload)': { 'init system': 'systemd', 'service state': 'active' } }, serviceStep.params.parse({ name: 'pmta', state: 'reloaded' }));
    if (plan.kind !== 'changes') throw new Error('changes expected');
    const action = plan.changes[0].do[0];
    expect(action.type === 'exec' && new RegExp(action.expectStdout!).test('Configuration reloaded.\n')).toBe(true);
    expect(action.type === 'exec' && new RegExp(action.expectStdout!).test('Error in line 3 of /etc/pmta/config\n')).toBe(false);
  });

  it('restart with limits verifies /proc/PID/limits', () => {
    const plan = serviceStep.plan({ 'service pmta (before restart)': { 'init system': 'systemd', 'service state': 'active' } }, serviceStep.params.parse({ name: 'pmta', state: 'restarted', limits: { LimitNOFILE: 65535 } }));
    if (plan.kind !== 'changes') throw new Error('changes expected');
    const check = plan.changes[0].verify![1];
    expect(check.type === 'exec' && check.command).toContain("'Max open files'");
    const re = new RegExp(check.type === 'exec' ? check.expectStdout! : '');
    expect(re.test('Max open files            65535                65535                files     \n')).toBe(true);
    expect(re.test('Max open files            1024                 524288               files     \n')).toBe(false);
  });

  it('observation script detects systemctl by its answer, falls back to service (run locally with fake commands)', () => {
    const dir = mkdtempSync('/tmp/mtaf-st-svc-');
    try {
      writeFileSync(`${dir}/systemctl`, '#!/bin/sh\necho inactive; exit 3\n');
      chmodSync(`${dir}/systemctl`, 0o755);
      const cmd = sh`sh -c ${OBSERVE_SERVICE} mtafleet-service pmta`.text;
      expect(parseServiceObservation(runLocal(cmd, { pathPrefix: dir }).stdout)).toEqual({ 'init system': 'systemd', 'service state': 'inactive' });
      writeFileSync(`${dir}/systemctl`, '#!/bin/sh\necho "System has not been booted with systemd" >&2; exit 1\n');
      writeFileSync(`${dir}/service`, '#!/bin/sh\n[ "$2" = status ] && exit 0\n');
      chmodSync(`${dir}/service`, 0o755);
      expect(parseServiceObservation(runLocal(cmd, { pathPrefix: dir }).stdout)).toEqual({ 'init system': 'sysv', 'service state': 'active' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const bad = [{ name: '-pmta', state: 'started' }, { name: 'pmta; reboot', state: 'started' }, { name: 'pmta', state: 'enabled' }, { name: 'pmta', state: 'started', limits: { LimitNOFILE: '1; x' } }];
  for (const p of bad) it(`rejects ${JSON.stringify(p)}`, () => expect(serviceStep.params.safeParse(p).success).toBe(false));
});

describe('systemd-limit plan', () => {
  for (const fx of loadFixtures('systemd-limit')) it(`${fx.file}: ${fx.name}`, () => void checkPlan(systemdLimitStep, fx));
  const bad = [{ unit: 'pmta', limits: {} }, { unit: 'pmta', limits: { nofile: 1 } }, { unit: '../x', limits: { LimitNOFILE: 1 } }, { unit: 'pmta', limits: { LimitNOFILE: '65535\nExecStart=/bin/sh' } }];
  for (const p of bad) it(`rejects ${JSON.stringify(p)}`, () => expect(systemdLimitStep.params.safeParse(p).success).toBe(false));
});
