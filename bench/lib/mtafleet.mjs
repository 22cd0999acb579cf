/** Running the real mtafleet CLI (bin/mtafleet.js over dist/) for a benchmark. */
import { mtafleetBin } from './paths.mjs';
import { run } from './proc.mjs';

export function parseJson(r, what) {
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`${what} exited ${r.code} without JSON: ${r.stderr.slice(0, 600)}`);
  }
}

/** `mtafleet audit --format json`; throws unless every host was probed. Returns wall seconds. */
export async function auditOnce(inventory, forks, count) {
  const r = await run(process.execPath, [mtafleetBin, 'audit', '-i', inventory, '--format', 'json', '--forks', String(forks), '--no-incremental'], { timeoutMs: 600_000 });
  const report = parseJson(r, 'mtafleet audit');
  const probed = report.hosts.filter((h) => h.reachable && h.error === null).length;
  if (probed !== count) throw new Error(`mtafleet audit probed ${probed} of ${count} hosts: ${report.hosts.find((h) => h.error)?.error}`);
  return r.wallMs / 1000;
}

/** `mtafleet run PLAYBOOK --format json`; returns wall seconds and the run summary. */
export async function runOnce(playbook, inventory, forks, stateDir) {
  const r = await run(process.execPath, [mtafleetBin, 'run', playbook, '-i', inventory, '--format', 'json', '--forks', String(forks), '--state-dir', stateDir], { timeoutMs: 900_000 });
  const result = parseJson(r, 'mtafleet run');
  return { seconds: r.wallMs / 1000, summary: result.summary, hosts: result.hosts, code: r.code };
}
