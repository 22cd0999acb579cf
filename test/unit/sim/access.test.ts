import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain .mjs asset without type declarations
import { accessLevel, cidrContains } from '../../../src/lab/assets/lib/http.mjs';
// @ts-expect-error plain .mjs asset without type declarations
import { readDropins } from '../../../src/lab/assets/lib/unit.mjs';

describe('http-access', () => {
  it('matches CIDRs, most specific rule wins, default none', () => {
    const rules = [{ cidr: '10.0.0.0/8', level: 'monitor' }, { cidr: '10.1.2.3', level: 'none' }, { cidr: '127.0.0.1', level: 'admin' }];
    expect(accessLevel(rules, '10.9.9.9')).toBe('monitor');
    expect(accessLevel(rules, '10.1.2.3')).toBe('none');
    expect(accessLevel(rules, '::ffff:127.0.0.1')).toBe('admin');
    expect(accessLevel(rules, '192.168.1.1')).toBe('none');
    expect(cidrContains('0.0.0.0/0', '8.8.8.8')).toBe(true);
  });
});

describe('LimitNOFILE drop-ins', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'mtaf-sim-unit-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('reads [Service] LimitNOFILE, last file wins, empty resets, default 1024:524288', () => {
    const env = process.env.PMTA_SIM_ROOT;
    process.env.PMTA_SIM_ROOT = root;
    try {
      expect(readDropins()).toMatchObject({ soft: 1024, hard: 524288, files: [] });
      const dir = path.join(root, 'etc/systemd/system/pmta.service.d');
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, '10-a.conf'), '[Service]\nLimitNOFILE=4096\n');
      writeFileSync(path.join(dir, '20-b.conf'), '[Unit]\nLimitNOFILE=1\n[Service]\nLimitNOFILE=65535\n');
      expect(readDropins()).toMatchObject({ soft: 65535, hard: 65535, files: ['10-a.conf', '20-b.conf'] });
      writeFileSync(path.join(dir, '30-c.conf'), '[Service]\nLimitNOFILE=1024:8192\n');
      expect(readDropins()).toMatchObject({ soft: 1024, hard: 8192 });
      writeFileSync(path.join(dir, '40-d.conf'), '[Service]\nLimitNOFILE=\n');
      expect(readDropins()).toMatchObject({ soft: 1024, hard: 524288 });
    } finally {
      if (env === undefined) delete process.env.PMTA_SIM_ROOT;
      else process.env.PMTA_SIM_ROOT = env;
    }
  });
});
