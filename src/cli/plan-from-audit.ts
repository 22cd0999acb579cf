/** `mtafleet plan --from-audit AUDIT.json -i INV`: the audit's remedies as one plan (engine/from-audit.ts). */
import { outcomesOfPlan, planDigest, planFromAudit, readAuditFile, writePlanFile } from '../engine/index.js';
import { loadInventory } from '../inventory/index.js';
import { withConnectionPool } from '../transport/index.js';
import { renderFromAuditMarkdown, renderFromAuditText } from '../report/index.js';
import { exitCodeFor, InputError } from '../util/errors.js';
import { safeJson } from '../util/sanitize.js';
import { connectionOptionsFrom, type CommonOptions, inventoryLoadOptions, type VaultCliOptions } from './common.js';

export interface FromAuditCliOptions extends CommonOptions, VaultCliOptions {
  fromAudit: string;
  inventory: string;
  limit?: string;
  out?: string;
  format: 'text' | 'markdown' | 'json';
  forks: number;
  extraVars: Record<string, unknown>;
  tags?: string[];
  skipTags?: string[];
}

export async function planFromAuditCommand(opts: FromAuditCliOptions): Promise<void> {
  if (opts.tags || opts.skipTags) throw new InputError('--tags/--skip-tags do not go with --from-audit: each remedy playbook is planned whole');
  // Everything read and checked before any host is contacted: the audit, the inventory, the remedies.
  const audit = readAuditFile(opts.fromAudit);
  const inventory = await loadInventory(opts.inventory, await inventoryLoadOptions(opts));
  // A host with several findings is observed once per remedy: one connection serves them all.
  const body = await withConnectionPool((connect) =>
    planFromAudit({ audit, inventory, limit: opts.limit, extraVars: opts.extraVars, forks: opts.forks, resolve: connectionOptionsFrom(opts) }, { connect }),
  );
  const digest = opts.out ? writePlanFile(opts.out, body) : planDigest(body);
  if (opts.format === 'json') process.stdout.write(safeJson({ ...body, digest }, 2) + '\n');
  else if (opts.format === 'markdown') process.stdout.write(renderFromAuditMarkdown(body, digest, opts.out));
  else process.stdout.write(renderFromAuditText(body, { diff: true }));
  if (opts.out) {
    const note = `plan written to ${opts.out}\nplan digest (sha256): ${digest}\napply it with: mtafleet apply ${opts.out}\n`;
    (opts.format === 'json' ? process.stderr : process.stdout).write(note);
  }
  const outcomes = outcomesOfPlan(body);
  process.exitCode = exitCodeFor({
    failed: outcomes.filter((o) => o.status === 'failed').length,
    unreachable: outcomes.filter((o) => o.status === 'unreachable').length,
    refused: outcomes.filter((o) => o.status === 'refused').length,
  });
}
