import { z } from 'zod';
import { argv, sh } from '../../transport/quote.js';
import type { HostConnection } from '../../transport/types.js';
import { execAction, removeFileAction } from '../actions.js';
import { configuredSpool } from '../pmta/edit.js';
import { observeConfig } from '../pmta/observe.js';
import type { ObservedConfig } from '../pmta/tree.js';
import { absolutePath } from '../guards/params.js';
import { resource } from '../resources.js';
import type { Change, Projection, StepKind, StepPlan } from '../types.js';
import { STATE_DIR } from './plan.js';

/**
 * spool-finalize: removes the old spools spool-migrate kept (recorded in
 * /var/lib/mtafleet/spool-migrate/ID.kept). A separate kind rather than a flag, so a playbook
 * can never finalize by accident in the same run that migrates. Deleting is not undoable: the
 * plan says so; a kept spool the config still uses is refused.
 */
export const spoolFinalizeParams = z.object({ config: absolutePath.default('/etc/pmta/config') }).strict();
export type SpoolFinalizeParams = z.infer<typeof spoolFinalizeParams>;

interface KeptRecord {
  record: string;
  id: string;
  oldSpool: string;
  kept: string;
  newSpool: string;
  keptExists: boolean;
  keptFiles: number;
}

export interface SpoolFinalizeState extends Record<string, unknown> {
  'kept spools': KeptRecord[];
  /** The PowerMTA config, under the same key as the pmta-config step uses for it. */
  [key: `pmta config ${string}`]: ObservedConfig;
}

/** Prints, for each record file: the path, base64 of its JSON, whether the kept dir exists and its file count. */
export const LIST_RECORDS = `for r in "$1"/*.kept; do
  [ -f "$r" ] || continue
  k=$(sed -n 's/.*"kept":"\\([^"]*\\)".*/\\1/p' "$r")
  if [ -n "$k" ] && [ -d "$k" ]; then n=$(find "$k" -type f | wc -l); e=yes; else n=0; e=no; fi
  printf '%s %s %s %s\\n' "$(base64 -w0 < "$r")" "$e" "$n" "$r"
done`;

export function parseRecords(stdout: string): KeptRecord[] {
  return stdout
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => {
      const [b64, exists, files, ...rest] = line.split(' ');
      try {
        const r = JSON.parse(Buffer.from(b64, 'base64').toString('utf8')) as Partial<KeptRecord>;
        if (typeof r.kept !== 'string' || typeof r.oldSpool !== 'string' || !r.kept.startsWith('/')) return [];
        return [{ record: rest.join(' '), id: String(r.id), oldSpool: r.oldSpool, kept: r.kept, newSpool: String(r.newSpool), keptExists: exists === 'yes', keptFiles: Number(files) || 0 }];
      } catch {
        return [];
      }
    });
}

export function planSpoolFinalize(state: SpoolFinalizeState, params: SpoolFinalizeParams): StepPlan {
  const records = state[resource.keptSpools() as 'kept spools'];
  if (records.length === 0) return { kind: 'noop', reason: `no kept spool recorded in ${STATE_DIR}` };
  const inUse = configuredSpool(state[resource.pmtaConfig(params.config) as `pmta config ${string}`]);
  const changes: Change[] = [];
  for (const r of records) {
    if (r.kept === inUse) return { kind: 'refused', reason: `${r.kept} is still the spool in the PowerMTA config; not deleting it` };
    if (r.kept === '/' || r.kept.split('/').filter(Boolean).length < 2) return { kind: 'refused', reason: `refusing to delete ${r.kept}` };
    const remove =
      r.kept === r.oldSpool
        ? execAction(sh`find ${r.kept} -mindepth 1 -delete`) // a mount point: empty it, keep the mount
        : execAction(argv('rm', '-rf', '--', r.kept));
    changes.push({
      summary: r.keptExists
        ? `delete the old spool ${r.kept} (${r.keptFiles} files) kept by spool-migrate ${r.id}; this cannot be undone`
        : `forget record ${r.record} (${r.kept} is already gone)`,
      label: 'exact',
      diff: { type: 'text', text: `rm -rf ${r.kept}` },
      do: [...(r.keptExists ? [remove] : []), removeFileAction(r.record)],
      undo: [],
    });
  }
  return { kind: 'changes', changes };
}

export const spoolFinalizeStep: StepKind<SpoolFinalizeParams, SpoolFinalizeState> = {
  kind: 'spool-finalize',
  params: spoolFinalizeParams as unknown as z.ZodType<SpoolFinalizeParams>,
  resources: (params) => [resource.keptSpools(), resource.pmtaConfig(params.config)],
  async observe(host: HostConnection, params: SpoolFinalizeParams, ctx) {
    const listing = await host.exec(sh`sh -c ${LIST_RECORDS} mtafleet-kept ${STATE_DIR}`, { become: ctx.become });
    const state = { [resource.keptSpools()]: parseRecords(listing.stdout) } as SpoolFinalizeState;
    state[resource.pmtaConfig(params.config) as `pmta config ${string}`] = await observeConfig(host, params.config, ctx.become);
    return state;
  },
  plan: (state, params) => planSpoolFinalize(state, params),
  project: projectSpoolFinalize,
};

/** After the plan: every kept spool and its record is gone. */
export function projectSpoolFinalize(state: SpoolFinalizeState, _params: SpoolFinalizeParams, plan: StepPlan): Projection {
  if (plan.kind !== 'changes') return { state, unknown: [] };
  return { state: { ...state, [resource.keptSpools()]: [] }, unknown: [] };
}
