/**
 * migration-downtime: the time PowerMTA is stopped during `spool-migrate` of a spool with
 * 100,000 queued message files of 10 KiB (tiny: 1,000), against a naive stop / cp -a / start
 * to the same NVMe disk (target <= 10 %).
 *
 * The spool-migrate side is not runnable yet (the reasons are read from the built step on
 * every run, so the message cannot go stale silently); the naive baseline is measured anyway
 * on a lab host, so its figure is there when the step is ready.
 */
import { existsSync, readFileSync, rmdirSync } from 'node:fs';
import { withLab } from './lib/lab.mjs';
import { dist } from './lib/paths.mjs';
import { dropCaches } from './lib/proc.mjs';
import { fillSpoolScript, naiveMigrationScript, NAIVE_MOUNT_POINT } from './lib/spool-fill.mjs';
import { measure } from './lib/stats.mjs';

const FILES = { tiny: 1_000, full: 100_000 };
const FILE_BYTES = 10 * 1024;

export default async function migrationDowntime({ size, runs, log }) {
  const reasons = notRunnableReasons();
  const count = FILES[size];
  const { runInHost, assetsDir } = await import(dist('lab/index.js'));
  const naive = await withLab('bench', 1, log, measureNaive).finally(() => {
    // Left only when the naive script failed half-way (its mount went with the host).
    if (existsSync(NAIVE_MOUNT_POINT)) rmdirSync(NAIVE_MOUNT_POINT);
  });
  const measures = [measure(`naive stop / cp -a / start, ${count} queued files: time stopped`, 's', naive.samples)];
  const figures = { 'files in the spool': naive.filesInSpool, 'files copied by cp -a (incl. files pmtad wrote meanwhile)': naive.copied };
  if (reasons.length > 0) return { status: 'not-runnable', reason: reasons.join('; '), measures, figures, cache: size === 'full' ? 'cold' : 'warm' };
  return { status: 'not-runnable', reason: 'the step changed: add the spool-migrate measurement to bench/migration-downtime.mjs (poll pmtad on the host during `mtafleet run` of a spool-migrate playbook)', measures, figures };

  async function measureNaive(status) {
    const host = status.hosts[0];
    if (!host.nvmeDevice) throw new Error(`lab host ${host.name} has no NVMe loop device`);
    log(`queueing ${count} message files of ${FILE_BYTES} bytes in ${host.name}'s spool`);
    await inHost(runInHost, host, 'systemctl stop pmta');
    const filled = await inHost(runInHost, host, fillSpoolScript(assetsDir(), count, FILE_BYTES));
    await inHost(runInHost, host, 'systemctl start pmta && until pmta show status >/dev/null 2>&1; do sleep 0.1; done');
    const samples = [];
    let copied = 0;
    for (let i = 0; i < runs; i++) {
      if (size === 'full') dropCaches();
      const out = await inHost(runInHost, host, naiveMigrationScript(host.nvmeDevice));
      const [, t0, t1] = /^downtime (\S+) (\S+)$/m.exec(out) ?? [];
      copied = Number(/^copied (\d+)$/m.exec(out)?.[1] ?? 0);
      samples.push(Number(t1) - Number(t0));
      log(`naive stop / cp -a / start: ${samples.at(-1).toFixed(2)} s stopped, ${copied} files copied`);
    }
    return { samples, filesInSpool: Number(filled.trim().split('\n').pop()), copied };
  }
}

async function inHost(runInHost, host, text) {
  const r = await runInHost(host.sshdPid, text);
  if (r.exitCode !== 0) throw new Error(`${host.name}: exit ${r.exitCode}: ${r.stderr.slice(0, 500)}`);
  return r.stdout;
}

function notRunnableReasons() {
  const plan = dist('steps/spool/plan.js');
  const scripts = dist('steps/spool/scripts.js');
  if (!existsSync(plan) || !existsSync(scripts)) return ['the spool-migrate step is not built (dist/steps/spool/)'];
  const reasons = [];
  if (!/pre-?copy|rsync|incremental/i.test(readFileSync(plan, 'utf8'))) {
    reasons.push(
      'spool-migrate has no copy while PowerMTA runs: it stops the service, then cp -a and a sha256 check of every file, then starts it (src/steps/spool/plan.ts, the "copy" change), so its downtime is the naive downtime plus the verification; the 10 % target needs a pre-copy while running and a final incremental pass with the service stopped',
    );
  }
  if (/while pgrep -x "\$proc"/.test(readFileSync(scripts, 'utf8'))) {
    reasons.push(
      "on lab hosts STOP_AND_WAIT and the observe script (src/steps/spool/scripts.ts) use `pgrep -x pmtad`, which sees the pmtad of every other lab host (lab hosts share one PID namespace), so the stop never completes while another host runs: wait on the service's own pid",
    );
  }
  return reasons;
}
