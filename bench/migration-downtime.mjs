/**
 * migration-downtime: the time PowerMTA is stopped during `spool-migrate` of a spool with
 * 100,000 queued files (tiny: 1,000), against a naive stop / cp -a / start (target <= 10 %).
 *
 * Not runnable yet; the reasons are checked against the built step on every run so this
 * message does not go stale silently.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dist } from './lib/paths.mjs';

export default async function migrationDowntime() {
  const plan = dist('steps/spool/plan.js');
  const scripts = dist('steps/spool/scripts.js');
  if (!existsSync(plan) || !existsSync(scripts)) return { status: 'not-runnable', reason: 'the spool-migrate step is not built (dist/steps/spool/)' };
  const reasons = [];
  const planText = readFileSync(plan, 'utf8');
  if (!/pre-?copy|rsync|incremental/i.test(planText)) {
    reasons.push(
      'spool-migrate has no copy while PowerMTA runs: it stops the service, then cp -a and a sha256 check of every file, then starts it (src/steps/spool/plan.ts, the "copy" change), so its downtime is the naive downtime plus the verification; the 10 % target needs a pre-copy while running and a final incremental pass with the service stopped',
    );
  }
  if (/while pgrep -x "\$proc"/.test(readFileSync(scripts, 'utf8'))) {
    reasons.push(
      'on lab hosts STOP_AND_WAIT (src/steps/spool/scripts.ts) waits on `pgrep -x pmtad`, which sees the pmtad of every other lab host (lab hosts share one PID namespace), so the stop never completes while another host runs: wait on the stopped service\'s own pid instead',
    );
  }
  if (reasons.length === 0) reasons.push('the step changed: write the measurement in bench/migration-downtime.mjs (lab host with queued files, poll pmtad downtime, naive stop/cp -a/start on a twin host)');
  return { status: 'not-runnable', reason: reasons.join('; ') };
}
