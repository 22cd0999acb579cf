import { describe, expect, it } from 'vitest';
import { spoolMigrateStep } from '../../../src/steps/spool-migrate.js';
import { planSpoolFinalize, parseRecords } from '../../../src/steps/spool/finalize.js';
import type { Action } from '../../../src/steps/types.js';
import { checkPlan, firstExec, loadFixtures } from './plan-fixtures.js';

const fixtures = loadFixtures('spool-migrate');
const happy = fixtures.find((f) => f.file === 'happy-repoint.json')!;
const commands = (actions: Action[]) => actions.map((a) => (a.type === 'exec' ? a.command : `${a.type} ${a.path}`));

describe('spool-migrate plan (recorded observations)', () => {
  for (const fx of fixtures) it(`${fx.file}: ${fx.name}`, () => void checkPlan(spoolMigrateStep, fx));

  it('every refusal reason of the safety rules has a fixture', () => {
    const refusals = fixtures.filter((f) => f.expected.kind === 'refused').map((f) => f.expected.reasonIncludes);
    for (const reason of ['does not exist', 'not a block device', 'mounted', 'root or boot disk', 'filesystem', 'partition table', 'LVM', 'RAID', 'too small']) {
      expect(refusals.some((r) => r!.includes(reason)), reason).toBe(true);
    }
  });

  it('the happy plan: one UUID for mkfs, verify and fstab; no force flag; undo for every change; copies labelled predicted', () => {
    const plan = spoolMigrateStep.plan(happy.state as never, spoolMigrateStep.params.parse(happy.params));
    if (plan.kind !== 'changes') throw new Error('changes expected');
    const [mkfs, mount, precopy, copy, switchover] = plan.changes;
    const uuid = /uuid=([0-9a-f-]{36})/.exec(firstExec(mkfs.do)!)![1];
    expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(firstExec(mkfs.do)).not.toMatch(/\s-f\b|--force/);
    expect(mkfs.verify![0].type === 'exec' && mkfs.verify![0].expectStdout).toContain(uuid);
    expect(mount.diff.type === 'file' && mount.diff.after).toContain(`UUID=${uuid} /var/spool/pmta-nvme xfs defaults,noatime 0 0`);
    expect(commands(mount.do).some((c) => c.includes('mtafleet-verify-fstab') && c.includes(uuid))).toBe(true);
    // The copies depend on the mail flowing until the stop; the rest is exactly as shown.
    expect(plan.changes.map((c) => c.label)).toEqual(['exact', 'exact', 'predicted', 'predicted', 'exact']);
    for (const c of plan.changes) expect(c.undo.length, c.summary).toBeGreaterThan(0);
    // The pre-copy runs while PowerMTA runs: nothing stops it before the final pass.
    expect(commands(precopy.do)).toHaveLength(1);
    expect(commands(precopy.do)[0]).toContain('mtafleet-precopy /var/spool/pmta /var/spool/pmta-nvme /var/lib/mtafleet/spool-migrate');
    // Undo: left-over copy scripts are stopped first, then their work files go (one script).
    expect(commands(precopy.undo)).toEqual([expect.stringMatching(/mtafleet-abandon-copies \/var\/spool\/pmta-nvme \/var\/lib\/mtafleet\/spool-migrate [0-9a-f]{8}$/)]);
    // Order inside the switch: rename, validated config write, record, count, start.
    expect(commands(switchover.do).map((c) => c.split(' ').slice(0, 4).join(' '))).toEqual([
      expect.stringContaining('mv -T --'),
      expect.stringContaining('sh -c'),
      expect.stringContaining('write-file /var/lib/mtafleet/spool-migrate/'),
      expect.stringContaining('sh -c'),
      expect.stringContaining('sh -c'),
    ]);
    expect(commands(switchover.do)[1]).toContain('mtafleet-write-config /etc/pmta/config');
    expect(commands(switchover.do)[4]).toContain('mtafleet-start systemd pmta');
    // Undo brings mail back before the config is restored.
    expect(commands(switchover.undo)[0]).toContain('mtafleet-carry-back');
    expect(commands(switchover.undo)[1]).toBe('write-file /etc/pmta/config');
    expect(commands(copy.do)[0]).toContain('mtafleet-stop');
    expect(commands(copy.undo).some((c) => c.includes('mtafleet-start systemd pmta'))).toBe(true);
    expect(commands(copy.do)[1]).toContain('mtafleet-final-copy /var/spool/pmta /var/spool/pmta-nvme /var/lib/mtafleet/spool-migrate');
    // Stop, then final pass and switch: the service starts again only at the end of the switch.
    expect(commands(copy.do).some((c) => c.includes('mtafleet-start'))).toBe(false);
    // Pure: the same observation gives the same plan.
    expect(spoolMigrateStep.plan(structuredClone(happy.state) as never, spoolMigrateStep.params.parse(happy.params))).toEqual(plan);
  });

  it('a stopped service is neither stopped nor started', () => {
    const state = structuredClone(happy.state) as any;
    state['service pmta']['service state'] = 'inactive';
    state['pmta spool'].daemonRunning = false;
    const plan = spoolMigrateStep.plan(state, spoolMigrateStep.params.parse(happy.params));
    if (plan.kind !== 'changes') throw new Error('changes expected');
    const all = plan.changes.flatMap((c) => commands(c.do)).join('\n');
    expect(all).not.toContain('mtafleet-stop');
    expect(all).not.toContain('mtafleet-start');
    expect(commands(plan.changes[3].undo)).toEqual([expect.stringMatching(/mtafleet-abandon-copies \/var\/spool\/pmta-nvme \/var\/lib\/mtafleet\/spool-migrate [0-9a-f]{8}$/)]);
  });

  it('a spool that is a mount point (old disk) stays in place in repoint mode', () => {
    const state = structuredClone(happy.state) as any;
    Object.assign(state['pmta spool'], { isMountpoint: true, source: '/dev/sdb' });
    const plan = spoolMigrateStep.plan(state, spoolMigrateStep.params.parse(happy.params));
    if (plan.kind !== 'changes') throw new Error('changes expected');
    expect(plan.changes[4].summary).toContain('is a mount point: it stays in place unused');
    expect(commands(plan.changes[4].do).join('\n')).not.toContain('mv -T');
  });

  const bad = [
    { device: '/etc/passwd' },
    { device: '/dev/../etc/passwd' },
    { device: '/dev/sda; rm -rf /' },
    { device: '/dev/sda\n' },
    { device: 'sda' },
    { device: '/dev/sdb', mountpoint: '/' },
    { device: '/dev/sdb', mountpoint: 'spool' },
    { device: '/dev/sdb', spool: '/var/spool/pmta\n' },
    { device: '/dev/sdb', minFreeFactor: 0 },
    { device: '/dev/sdb', mode: 'format-anyway' },
    { device: '/dev/sdb', force: true },
  ];
  for (const p of bad) it(`rejects ${JSON.stringify(p)}`, () => expect(spoolMigrateStep.params.safeParse(p).success).toBe(false));
});

describe('spool-finalize', () => {
  const config = { mainFile: '/etc/pmta/config', files: { '/etc/pmta/config': '<spool /var/spool/pmta-nvme>\n</spool>\n' }, expansions: {} };
  const record = (kept: string) => ({ record: '/var/lib/mtafleet/spool-migrate/ab12cd34.kept', id: 'ab12cd34', oldSpool: '/var/spool/pmta', kept, newSpool: '/var/spool/pmta-nvme', keptExists: true, keptFiles: 5 });

  it('removes the kept spool and its record, saying it cannot be undone', () => {
    const plan = planSpoolFinalize({ 'kept spools': [record('/var/spool/pmta.mtafleet-ab12cd34')], 'pmta config /etc/pmta/config': config }, { config: '/etc/pmta/config' });
    if (plan.kind !== 'changes') throw new Error('changes expected');
    expect(plan.changes[0].summary).toContain('cannot be undone');
    expect(commands(plan.changes[0].do)).toEqual(['rm -rf -- /var/spool/pmta.mtafleet-ab12cd34', 'remove-file /var/lib/mtafleet/spool-migrate/ab12cd34.kept']);
  });
  it('noop without records; refuses to delete the spool in use', () => {
    const params = { config: '/etc/pmta/config' };
    expect(planSpoolFinalize({ 'kept spools': [], 'pmta config /etc/pmta/config': config }, params).kind).toBe('noop');
    expect(planSpoolFinalize({ 'kept spools': [record('/var/spool/pmta-nvme')], 'pmta config /etc/pmta/config': config }, params)).toMatchObject({ kind: 'refused' });
  });
  it('parses record listings and ignores junk', () => {
    const json = Buffer.from(JSON.stringify({ id: 'x1', oldSpool: '/a', kept: '/a.mtafleet-x1', newSpool: '/b' })).toString('base64');
    expect(parseRecords(`${json} yes 3 /var/lib/mtafleet/spool-migrate/x1.kept\nnotbase64 no 0 /r\n`)).toEqual([
      { record: '/var/lib/mtafleet/spool-migrate/x1.kept', id: 'x1', oldSpool: '/a', kept: '/a.mtafleet-x1', newSpool: '/b', keptExists: true, keptFiles: 3 },
    ]);
  });
});

describe('spool-finalize record listing (local sh)', () => {
  it('lists records with the kept directory state and file count', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync, rmSync } = await import('node:fs');
    const { LIST_RECORDS } = await import('../../../src/steps/spool/finalize.js');
    const { sh } = await import('../../../src/transport/quote.js');
    const { runLocal } = await import('./local-shell.js');
    const dir = mkdtempSync('/tmp/mtaf-st-fin-');
    try {
      mkdirSync(`${dir}/state`);
      mkdirSync(`${dir}/spool.mtafleet-ab12cd34/00`, { recursive: true });
      writeFileSync(`${dir}/spool.mtafleet-ab12cd34/00/a.msg`, 'x');
      writeFileSync(`${dir}/spool.mtafleet-ab12cd34/00/b.msg`, 'y');
      const rec = { id: 'ab12cd34', oldSpool: `${dir}/spool`, kept: `${dir}/spool.mtafleet-ab12cd34`, newSpool: '/n' };
      writeFileSync(`${dir}/state/ab12cd34.kept`, `${JSON.stringify(rec)}\n`);
      writeFileSync(`${dir}/state/ffff0000.kept`, `${JSON.stringify({ ...rec, id: 'ffff0000', kept: `${dir}/gone` })}\n`);
      const out = runLocal(sh`sh -c ${LIST_RECORDS} mtafleet-kept ${`${dir}/state`}`.text);
      expect(out.exitCode, out.stderr).toBe(0);
      expect(parseRecords(out.stdout)).toEqual([
        { record: `${dir}/state/ab12cd34.kept`, id: 'ab12cd34', oldSpool: `${dir}/spool`, kept: `${dir}/spool.mtafleet-ab12cd34`, newSpool: '/n', keptExists: true, keptFiles: 2 },
        { record: `${dir}/state/ffff0000.kept`, id: 'ffff0000', oldSpool: `${dir}/spool`, kept: `${dir}/gone`, newSpool: '/n', keptExists: false, keptFiles: 0 },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
