/**
 * `mtafleet runs [RUN_ID]`: the run history, or one run's details. Records hold host text
 * (errors with remote stderr, lock owners): text lines go through the sanitiser.
 */
import { Option, type Command } from 'commander';
import type { RunRecord } from '../engine/index.js';
import { safeJson, safeLine } from '../util/sanitize.js';
import { defaultStateDir } from './common.js';

interface RunsCliOptions {
  stateDir: string;
  format: 'text' | 'json';
}

export function register(program: Command): void {
  program
    .command('runs')
    .description('list runs (when, who, playbook, outcome), or show one')
    .argument('[run-id]', 'show this run')
    .option('--state-dir <dir>', 'journal and run history directory', defaultStateDir())
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (runId: string | undefined, opts: RunsCliOptions) => {
      // Loaded when the command runs, not at start-up (issue 17).
      const { listRuns, readRunRecord } = await import('../engine/run-record.js');
      if (runId) {
        const r = readRunRecord(opts.stateDir, runId);
        process.stdout.write(opts.format === 'json' ? safeJson(r, 2) + '\n' : renderRunRecord(r));
        return;
      }
      const runs = listRuns(opts.stateDir);
      if (opts.format === 'json') {
        process.stdout.write(safeJson(runs, 2) + '\n');
        return;
      }
      if (runs.length === 0) process.stdout.write(`no runs in ${safeLine(opts.stateDir)}\n`);
      for (const r of runs) process.stdout.write(`${runListLine(r)}\n`);
    });
}

function outcome(r: RunRecord): string {
  if (r.finishedAt === null) return 'UNFINISHED (runner stopped or killed; see `mtafleet rollback`)';
  return Object.entries(r.summary)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k}=${n}`)
    .join(' ');
}

export function runListLine(r: RunRecord): string {
  const approved = r.signers && r.signers.length > 0 ? `  approved by ${r.signers.map((s) => s.principal).join(', ')}` : '';
  return safeLine(`${r.runId}  ${r.startedAt}  ${r.user}  ${r.command}  ${r.playbook ?? '-'}  ${r.hosts.length} host(s)  ${outcome(r)}${approved}`);
}

export function renderRunRecord(r: RunRecord): string {
  const out = [
    `run ${r.runId} (${r.command})`,
    `  started  ${r.startedAt} by ${r.user}`,
    `  finished ${r.finishedAt ?? '(never: the runner stopped or was killed)'}`,
    `  playbook ${r.playbook ?? '-'}`,
    `  inventory ${r.inventory ?? '-'}`,
    ...(r.planFile ? [`  plan file ${r.planFile}`] : []),
    ...(r.signers ?? []).map((s) => `  approved by ${s.principal} (${s.keyType} ${s.key})`),
    `  outcome  ${outcome(r)}`,
  ];
  for (const h of r.hosts) out.push(`    ${h.name.padEnd(20)} ${h.status.padEnd(11)} ${h.changes} change(s)${h.error ? `  ${h.error}` : ''}`);
  if (r.notRun.length > 0) out.push(`  not run: ${r.notRun.join(', ')}`);
  if (r.stopped) out.push(`  stopped: ${r.stopped}`);
  const rb = (r as { rollbacks?: Array<{ at: string; user: string; hosts: Array<{ name: string; status: string }> }> }).rollbacks ?? [];
  for (const x of rb) out.push(`  rolled back ${x.at} by ${x.user}: ${x.hosts.map((h) => `${h.name} ${h.status}`).join(', ')}`);
  return out.map(safeLine).join('\n') + '\n';
}
