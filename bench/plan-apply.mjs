/**
 * plan-apply: `mtafleet run` of an already converged playbook (a no-op: observe, plan zero
 * changes, apply nothing) on lab hosts, against `mtafleet audit` of the same hosts at the
 * same forks, in the same run. The playbook is applied once first (not timed) to converge.
 * It gathers facts (the default); the same playbook with `gather_facts: no` is timed too:
 * the facts travel on their own channel while the first task observes, so they should cost
 * no round trip of their own (README "Facts").
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FORKS } from './fleet-audit.mjs';
import { settleLab, withLab, subInventory } from './lib/lab.mjs';
import { auditOnce, runOnce } from './lib/mtafleet.mjs';
import { dist } from './lib/paths.mjs';
import { tempDir } from './lib/proc.mjs';
import { compare, measure } from './lib/stats.mjs';

const SIZES = { tiny: 4, full: 50 };
const TARGET = 1.2;
/** Facts gathered alongside the first observation: at most this much slower than without. */
const FACTS_TARGET = 1.1;

const PLAYBOOK = `# mtafleet bench: converged after its first run
- name: Network tuning and a marker file (no-op once applied)
  hosts: mta
  tasks:
    - name: Short FIN timeout
      sysctl: { name: net.ipv4.tcp_fin_timeout, value: "10" }
    - name: Wide local port range
      sysctl: { name: net.ipv4.ip_local_port_range, value: "10240 65535" }
    - name: Benchmark marker
      file: { path: /etc/mtaf-bench-noop.conf, content: "converged\\n", mode: "0644" }
`;

export default async function planApply({ size, runs, log }) {
  const why = notRunnable();
  if (why) return { status: 'not-runnable', reason: why };
  const count = SIZES[size];
  const dir = tempDir('plan');
  try {
    return await withLab('bench', count, log, async (status) => {
      const quiet = await settleLab(log);
      const fleet = subInventory(status, count, dir);
      const playbook = join(dir, 'noop.yaml');
      writeFileSync(playbook, PLAYBOOK);
      const noFacts = join(dir, 'noop-no-facts.yaml');
      writeFileSync(noFacts, PLAYBOOK.replace('  hosts: mta\n', '  hosts: mta\n  gather_facts: no\n'));
      const stateDir = join(dir, 'state');
      mkdirSync(stateDir, { mode: 0o700 }); // mtafleet keeps state only in a private dir
      const first = await runOnce(playbook, fleet.file, FORKS, stateDir);
      log(`converging run: ${JSON.stringify(first.summary)}`);
      if (first.code !== 0) throw new Error(`the converging run failed (exit ${first.code}): ${JSON.stringify(first.hosts.filter((h) => h.error).slice(0, 2))}`);
      const samples = { run: [], audit: [], noFacts: [] };
      for (let i = 0; i < runs; i++) {
        const order = i % 2 === 0 ? ['run', 'noFacts', 'audit'] : ['audit', 'noFacts', 'run'];
        for (const side of order) {
          if (side === 'audit') samples.audit.push(await auditOnce(fleet.file, FORKS, count));
          else {
            const r = await runOnce(side === 'run' ? playbook : noFacts, fleet.file, FORKS, stateDir);
            if (r.code !== 0 || r.summary.changed !== 0 || r.summary.ok !== count) {
              throw new Error(`the no-op run was not a no-op (exit ${r.code}): ${JSON.stringify(r.summary)} ${JSON.stringify(r.hosts.filter((h) => h.status !== 'ok'))}`);
            }
            samples[side].push(r.seconds);
          }
          log(`${side}: ${samples[side].at(-1).toFixed(2)} s`);
        }
      }
      const m = [
        measure(`${count} hosts: mtafleet run (no-op playbook)`, 's', samples.run),
        measure(`${count} hosts: mtafleet audit`, 's', samples.audit),
        measure(`${count} hosts: mtafleet run (no-op playbook, gather_facts: no)`, 's', samples.noFacts),
      ];
      return {
        status: 'ok',
        measures: m,
        comparisons: [
          compare(`${count} hosts: no-op run vs audit`, m[0].median, m[1].median, TARGET),
          compare(`${count} hosts: no-op run gathering facts vs gather_facts: no`, m[0].median, m[2].median, FACTS_TARGET),
        ],
        figures: { forks: FORKS, 'playbook tasks': 3 },
        notes: [
          'the playbook (2 sysctl + 1 file task) is applied once before timing; every timed run must report 0 changes',
          quiet,
        ],
      };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function notRunnable() {
  for (const f of ['engine/index.js', 'cli/run.js', 'steps/file.js', 'steps/sysctl.js']) {
    if (!existsSync(dist(f))) return `dist/${f} is missing (engine or steps not built)`;
  }
  return null;
}
