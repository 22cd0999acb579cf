/**
 * spool-migrate on a real lab host (issue 6): a few thousand queued messages (hold.test keeps
 * them queued), `mtafleet run playbooks/spool-migrate-nvme.yaml` onto the host's NVMe loop
 * device, new mail into the new spool, then `mtafleet rollback`: every message file is present
 * and byte-identical at each stage, checked against manifests the test takes itself.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type LabHandle } from '../../helpers/lab.js';
import { buildOnce, ROOT, runCli } from '../engine/fleet-fixture.js';

const QUEUED = 3000;
const MP = '/mnt/pmta-nvme';
let lab: LabHandle;
let dir: string;
/** The run's id on the host: the first 8 characters of the new filesystem's UUID. */
let migrationId = '';

beforeAll(async () => {
  buildOnce();
  dir = mkdtempSync(join(tmpdir(), 'mtaf-mig-it-'));
  lab = await startLab({ name: 'm1', hosts: 1, scenarios: ['healthy'], usedDevices: 'none' });
}, 300_000);

afterAll(async () => {
  try {
    // Whatever a failed run left on the machine's shared /var/lib (manifests are per filesystem UUID).
    if (lab) await lab.run(lab.hosts[0].name, `umount ${MP} 2>/dev/null; ${migrationId ? `rm -rf /var/lib/mtafleet/spool-migrate/${migrationId}.*` : ''}; true`);
  } finally {
    await lab?.down();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

const cli = (args: string[]) => runCli([...args, '--state-dir', join(dir, 'state')], { ...process.env, HOME: dir });

describe('spool-migrate on the lab', () => {
  it('migrates thousands of queued messages and rolls back with new mail, losing nothing', async () => {
    const host = lab.hosts[0];
    const sh = async (text: string) => {
      const r = await lab.run(host.name, text);
      expect(r.exitCode, `${text}\n${r.stderr}`).toBe(0);
      return r.stdout;
    };
    // The held messages of a spool as "sha256  ./sub/id.msg" lines (other mail comes and goes).
    const held = (spool: string) =>
      sh(`cd ${spool} && grep -rl --include='*.msg' '^X-Sim-Rcpt: .*@hold\\.test' . | LC_ALL=C sort | xargs -r sha256sum`);
    const checkIn = async (spool: string, manifest: string) => {
      const file = join(dir, 'manifest.sha256'); // the host sees the machine's /tmp
      writeFileSync(file, manifest);
      const c = await lab.run(host.name, `cd ${spool} && sha256sum --quiet --strict -c ${file}`);
      expect(c.exitCode, `missing or changed in ${spool}:\n${c.stdout.slice(0, 2000)}${c.stderr.slice(0, 500)}`).toBe(0);
    };
    const system = () => sh(`sha256sum /etc/pmta/config /etc/fstab; findmnt -n -o TARGET,SOURCE ${MP} || echo ${MP} unmounted; blkid -p ${host.nvmeDevice} || echo no-signature`);

    // The lab host's own /run/lock (a lock configured under /var/lock is per host).
    expect((await sh('findmnt -n -o FSTYPE,SOURCE /run/lock')).trim()).toMatch(/^tmpfs\s+mtafleet-lab-lock$/);
    await sh(`pmta inject ${QUEUED} --domain hold.test`);
    const m0 = await held('/var/spool/pmta');
    expect(m0.trim().split('\n').length).toBeGreaterThanOrEqual(QUEUED);
    const before = await system();
    const vars = ['-e', `device=${host.nvmeDevice}`, '-e', `mountpoint=${MP}`];
    const playbook = join(ROOT, 'playbooks/spool-migrate-nvme.yaml');

    const check = await cli(['run', playbook, '-i', lab.inventoryFile, ...vars, '--check']);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(await system()).toBe(before);

    const run = await cli(['run', playbook, '-i', lab.inventoryFile, ...vars, '--format', 'json']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.hosts[0].status).toBe('changed');
    expect(await sh(`grep -E '^<spool ' /etc/pmta/config`)).toBe(`<spool ${MP}>\n`);
    expect(await sh(`findmnt -n -o TARGET,OPTIONS ${MP}`)).toMatch(/noatime/);
    expect((await sh('systemctl is-active pmta')).trim()).toBe('active');
    await checkIn(MP, m0);
    migrationId = (await sh(`findmnt -n -o UUID ${MP}`)).trim().slice(0, 8);
    expect(migrationId).toMatch(/^[0-9a-f]{8}$/);

    // A second run converges: nothing left to do.
    const again = JSON.parse((await cli(['run', playbook, '-i', lab.inventoryFile, ...vars, '--format', 'json'])).stdout);
    expect(again.hosts[0].changes).toBe(0);

    // New mail arrives in the new spool, then the operator rolls back.
    await sh('pmta inject 40 --domain hold.test');
    const m1 = await held(MP);
    expect(m1.trim().split('\n').length).toBeGreaterThanOrEqual(m0.trim().split('\n').length + 40);
    const rb = await cli(['rollback', result.runId]);
    expect(rb.code, rb.stdout + rb.stderr).toBe(0);
    expect(await system()).toBe(before);
    expect((await sh('systemctl is-active pmta')).trim()).toBe('active');
    await checkIn('/var/spool/pmta', m1);
    // The undo removed the manifests and work files of this migration.
    expect(await sh(`ls -d /var/lib/mtafleet/spool-migrate/${migrationId}.* 2>/dev/null || true`)).toBe('');
  }, 900_000);
});
