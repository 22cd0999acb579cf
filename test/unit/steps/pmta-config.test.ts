import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pmtaConfigStep } from '../../../src/steps/pmta-config.js';
import { configuredSpool, planSpoolRepoint, withValue } from '../../../src/steps/pmta/edit.js';
import { backupPath, validatedWrite } from '../../../src/steps/pmta/write.js';
import { checkPlan, loadFixtures } from './plan-fixtures.js';
import { runLocal } from './local-shell.js';

describe('pmta-config plan (recorded observations)', () => {
  for (const fx of loadFixtures('pmta-config')) {
    it(`${fx.file}: ${fx.name}`, () => {
      const plan = checkPlan(pmtaConfigStep, fx);
      if (plan.kind === 'changes') {
        for (const c of plan.changes) {
          expect(c.undo[0].type).toBe('write-file');
          expect(c.do[0].type === 'exec' && c.do[0].command).toContain('mtafleet-write-config');
          expect(c.diff.type === 'file' && c.diff.unified).toContain('@@');
        }
      }
    });
  }

  it('applying the planned edit converges (second plan is a noop)', () => {
    const fx = loadFixtures('pmta-config').find((f) => f.file === 'new-block.json')!;
    const params = pmtaConfigStep.params.parse(fx.params);
    const plan = pmtaConfigStep.plan(fx.state as never, params);
    if (plan.kind !== 'changes') throw new Error('expected changes');
    const state = structuredClone(fx.state) as any;
    for (const c of plan.changes) if (c.diff.type === 'file') state['pmta config /etc/pmta/config'].files[c.diff.path] = c.diff.after;
    expect(pmtaConfigStep.plan(state, params)).toMatchObject({ kind: 'noop' });
  });
});

describe('pmta config edits', () => {
  it('withValue keeps spacing and comments', () => {
    expect(withValue('\tmax-smtp-out\t20 # x', '5')).toBe('\tmax-smtp-out\t5 # x');
    expect(withValue('num-hosts', '512')).toBe('num-hosts 512');
  });

  it('re-points the <spool> block and keeps its options', () => {
    const text = '# c\n<spool /var/spool/pmta>  # old disk\n    deliver-only no\n</spool>\n';
    const config = { mainFile: '/etc/pmta/config', files: { '/etc/pmta/config': text }, expansions: {} };
    expect(configuredSpool(config)).toBe('/var/spool/pmta');
    const plan = planSpoolRepoint(config, '/var/spool/pmta', '/var/spool/pmta-nvme');
    expect(plan).toMatchObject({ kind: 'edit' });
    if (plan.kind !== 'edit') return;
    expect(plan.files['/etc/pmta/config'].after).toBe('# c\n<spool /var/spool/pmta-nvme>  # old disk\n    deliver-only no\n</spool>\n');
    const again = { ...config, files: { '/etc/pmta/config': plan.files['/etc/pmta/config'].after } };
    expect(planSpoolRepoint(again, '/var/spool/pmta', '/var/spool/pmta-nvme').kind).toBe('noop');
  });

  it('re-points the article-style spool-dir line and appends a block when none is named', () => {
    const article = { mainFile: '/c', files: { '/c': 'spool-dir /var/spool/pmta\n' }, expansions: {} };
    const p1 = planSpoolRepoint(article, '/var/spool/pmta', '/mnt/ssd');
    expect(p1.kind === 'edit' && p1.files['/c'].after).toBe('spool-dir /mnt/ssd\n');
    const none = { mainFile: '/c', files: { '/c': 'http-mgmt-port 8080\n' }, expansions: {} };
    const p2 = planSpoolRepoint(none, '/var/spool/pmta', '/mnt/ssd');
    expect(p2.kind === 'edit' && p2.files['/c'].after).toBe('http-mgmt-port 8080\n<spool /mnt/ssd>\n</spool>\n');
  });
});

describe('pmta-config params', () => {
  const bad = [
    { directive: 'Max-Smtp-Out', value: 1 },
    { directive: 'max-smtp-out;reboot', value: 1 },
    { directive: 'max-smtp-out', value: '1\n<domain x>' },
    { directive: 'max-smtp-out', value: 1, block: 'domain <x>' },
    { directive: 'max-smtp-out', value: 1, block: 'domain x\nfoo' },
    { directive: 'max-smtp-out', value: 1, block: 'domain' },
    { directive: 'max-smtp-out' },
    { directive: 'include', value: '/etc/passwd' },
    { directive: 'max-smtp-out', value: 1, file: '/etc/pmta/../shadow' },
    { directives: {} },
    { directive: 'max-smtp-out', value: 1, directives: { 'num-hosts': 2 } },
    { directives: { 'num-hosts;x': 2 } },
    { directives: { 'num-hosts': null } },
  ];
  for (const p of bad) it(`rejects ${JSON.stringify(p)}`, () => expect(pmtaConfigStep.params.safeParse(p).success).toBe(false));
});

describe('validated config write script (run locally under sh with a fake pmta)', () => {
  const dir = mkdtempSync('/tmp/mtaf-st-cfg-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  // The fake pmta rejects any config containing "bogus", like `pmta test config` would.
  writeFileSync(
    path.join(bin, 'pmta'),
    `#!/bin/sh\nif grep -q bogus ${dir}/config; then echo "Error in line 2 of ${dir}/config: unknown directive"; exit 1; fi\necho ok\n`,
  );
  chmodSync(path.join(bin, 'pmta'), 0o755);
  const file = path.join(dir, 'config');

  it('installs an accepted config, keeps mode and a backup with the old bytes', () => {
    writeFileSync(file, 'max-smtp-out 1\n');
    chmodSync(file, 0o640);
    const write = validatedWrite(file, 'max-smtp-out 1\n', 'max-smtp-out 2\n');
    if (write.do.type !== 'exec') throw new Error('exec expected');
    const r = runLocal(write.do.command, { stdin: 'max-smtp-out 2\n', pathPrefix: bin });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('max-smtp-out 2\n');
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(readFileSync(backupPath(file, 'max-smtp-out 1\n'), 'utf8')).toBe('max-smtp-out 1\n');
    if (write.verify.type !== 'exec') throw new Error('exec expected');
    const v = runLocal(write.verify.command);
    expect(v.stdout).toMatch(new RegExp(write.verify.expectStdout!));
  });

  it('a rejected config is never left in place', () => {
    writeFileSync(file, 'max-smtp-out 1\n');
    const write = validatedWrite(file, 'max-smtp-out 1\n', 'bogus 1\n');
    if (write.do.type !== 'exec') throw new Error('exec expected');
    const r = runLocal(write.do.command, { stdin: 'bogus 1\n', pathPrefix: bin });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('rejected');
    expect(r.stderr).toContain('unknown directive');
    expect(readFileSync(file, 'utf8')).toBe('max-smtp-out 1\n');
    expect(runLocal(`ls -A ${dir}`).stdout).not.toContain('.mtafleet-new');
    expect(existsSync(file)).toBe(true);
  });
});

describe('pmta-config observe follows includes (local files)', () => {
  it('reads included files, expands wildcards by listing, and plans the edit in the included file', async () => {
    const { localHost } = await import('./local-host.js');
    const dir = mkdtempSync('/tmp/mtaf-st-inc-');
    try {
      mkdirSync(path.join(dir, 'domains'));
      writeFileSync(path.join(dir, 'config'), `http-mgmt-port 8080\ninclude ${dir}/domains/*.conf\ninclude missing.conf\n`);
      writeFileSync(path.join(dir, 'domains', 'b.conf'), '<domain b.com>\n  max-smtp-out 2\n</domain>\n');
      writeFileSync(path.join(dir, 'domains', 'a.conf'), '<domain a.com>\n  max-smtp-out 1\n</domain>\n');
      writeFileSync(path.join(dir, 'domains', 'a.conf.bak'), 'ignored');
      const params = pmtaConfigStep.params.parse({ directive: 'max-smtp-out', value: 5, block: 'domain b.com', file: `${dir}/config` });
      const state = await pmtaConfigStep.observe(localHost(), params, { become: false });
      const config = state[`pmta config ${dir}/config`] as any;
      expect(config.expansions[`${dir}/domains/*.conf`]).toEqual([`${dir}/domains/a.conf`, `${dir}/domains/b.conf`]);
      expect(config.files[`${dir}/missing.conf`]).toBeNull();
      const plan = pmtaConfigStep.plan(state, params);
      expect(plan.kind).toBe('changes');
      if (plan.kind !== 'changes') return;
      expect(plan.changes).toHaveLength(1);
      expect(plan.changes[0].diff).toMatchObject({ path: `${dir}/domains/b.conf`, after: '<domain b.com>\n  max-smtp-out 5\n</domain>\n' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
