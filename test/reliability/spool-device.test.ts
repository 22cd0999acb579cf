/**
 * spool-migrate device safety on a real lab host: a symlink under /dev that resolves to the
 * root disk is refused (exit 3) in --check and plan, with the resolved device named, and the
 * host is left as it was; hostile or out-of-/dev device values are refused as bad input (exit 1).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, symlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type LabHandle } from '../helpers/lab.js';
import { buildOnce, ROOT, runCli } from './fixture.js';

let lab: LabHandle;
const link = `/dev/mtaf-rel-rootdisk-${process.pid}`;
const canary = `/tmp/mtaf-rel-dev-canary-${process.pid}`;
const rootSource = execFileSync('findmnt', ['-n', '-o', 'SOURCE', '/'], { encoding: 'utf8' }).trim().replace(/\[.*$/, '');
const rootIsBlock = existsSync(rootSource) && statSync(rootSource).isBlockDevice();
const playbook = join(ROOT, 'playbooks', 'spool-migrate-nvme.yaml');

beforeAll(async () => {
  if (!rootIsBlock) return;
  buildOnce();
  lab = await startLab({ name: 'r1', hosts: 1, scenarios: ['healthy'] });
  symlinkSync(rootSource, link);
}, 180_000);

afterAll(async () => {
  rmSync(link, { force: true });
  rmSync(canary, { force: true });
  await lab?.down();
});

const env = () => ({ ...process.env, NO_COLOR: '1', MTAFLEET_STATE_DIR: join(lab.labDir, 'mtaf-rel-state') });
const hostState = async () => (await lab.run(lab.hosts[0].name, `cat /etc/fstab; awk '$2 ~ /^\\/var\\/spool/ || $1 == "${lab.hosts[0].nvmeDevice}"' /proc/self/mounts; ls -1 /var/spool; cat /etc/pmta/config; blkid -p ${lab.hosts[0].nvmeDevice} || true`)).stdout;

describe.skipIf(!rootIsBlock)('spool-migrate device checks on a lab host', () => {
  it('a /dev symlink to the root disk is refused with exit 3 by run --check and plan; host unchanged', async () => {
    const before = await hostState();
    for (const args of [['run', playbook, '--check'], ['plan', playbook]]) {
      const r = await runCli([...args, '-i', lab.inventoryFile, '-e', `device=${link}`], env());
      const out = r.stdout + r.stderr;
      expect(r.code, out).toBe(3);
      expect(out).toContain(link);
      expect(out).toContain(rootSource);
      expect(out).toMatch(/root or boot disk|is mounted at \//);
    }
    expect(await hostState()).toBe(before);
  }, 180_000);

  it('the same --check with the host\'s real spare disk is not refused (the refusal above is about the target)', async () => {
    const r = await runCli(['run', playbook, '--check', '-i', lab.inventoryFile, '-e', `device=${lab.hosts[0].nvmeDevice}`], env());
    expect(r.code, r.stdout + r.stderr).toBe(0);
  }, 180_000);

  it.each([
    ['outside /dev', '/tmp/disk.img', /under \/dev\//],
    ['with ..', '/dev/../etc/passwd', /"\.\."/],
    ['with shell characters', `/dev/sdb;touch ${canary}`, /letters, digits/],
    ['with $()', `/dev/$(touch ${canary})`, /letters, digits/],
  ])('a device %s is bad input (exit 1) naming the playbook line and field', async (_label, device, why) => {
    const before = await hostState();
    const r = await runCli(['run', playbook, '--check', '-i', lab.inventoryFile, '-e', `device=${device}`], env());
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toMatch(/spool-migrate-nvme\.yaml:\d+: .*spool-migrate\.device/);
    expect(r.stderr).toMatch(why);
    expect(existsSync(canary)).toBe(false);
    expect((await lab.run(lab.hosts[0].name, `test -e ${canary} && echo yes || echo no`)).stdout.trim()).toBe('no');
    expect(await hostState()).toBe(before);
  }, 60_000);
});
