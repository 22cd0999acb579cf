import { z } from 'zod';
import { argv } from '../transport/quote.js';
import type { HostConnection } from '../transport/types.js';
import { absolutePath, blockSelector, directiveName, lineValue, parseBlockSelector } from './guards/params.js';
import { planDirectiveEdit } from './pmta/edit.js';
import { observeConfig } from './pmta/observe.js';
import type { ObservedConfig } from './pmta/tree.js';
import { configFileChange } from './pmta/write.js';
import type { ObserveContext, StepKind, StepPlan } from './types.js';

/**
 * pmta-config: sets or removes one directive at global level or inside a block
 * (`block: "domain gmail.com"`), in the file where it lives (includes followed). The file is
 * replaced only after `pmta test config` accepted it (see pmta/write.ts); undo restores the
 * old bytes and reloads PowerMTA if it is running.
 */
export const pmtaConfigParams = z
  .object({
    directive: directiveName,
    value: lineValue.nullable().optional(),
    /** Where the value comes from when `value` is not given: the host's CPU count (nproc). */
    valueFrom: z.enum(['cpu-count']).optional(),
    block: blockSelector.optional(),
    state: z.enum(['present', 'absent']).default('present'),
    file: absolutePath.default('/etc/pmta/config'),
  })
  .strict()
  .refine((p) => p.state === 'absent' || p.value != null || p.valueFrom !== undefined, {
    message: 'value (or valueFrom) is required when state is present',
    path: ['value'],
  })
  .refine((p) => p.directive !== 'include', { message: 'include lines are not edited by pmta-config', path: ['directive'] });
export type PmtaConfigParams = z.infer<typeof pmtaConfigParams>;

export interface PmtaConfigState extends Record<string, unknown> {
  'pmta config': ObservedConfig;
  /** nproc, observed only when valueFrom is cpu-count. */
  'cpu count'?: number | null;
}

function wantedValue(state: PmtaConfigState, params: PmtaConfigParams): string | null {
  if (params.value != null) return params.value;
  if (params.valueFrom === 'cpu-count') return state['cpu count'] ? String(state['cpu count']) : null;
  return null;
}

export function planPmtaConfig(state: PmtaConfigState, params: PmtaConfigParams): StepPlan {
  const value = wantedValue(state, params);
  if (params.state === 'present' && value === null) return { kind: 'refused', reason: `${params.directive}: the CPU count could not be observed (nproc)` };
  const edit = planDirectiveEdit(state['pmta config'], {
    directive: params.directive,
    value: value ?? undefined,
    block: params.block ? parseBlockSelector(params.block) : undefined,
    state: params.state,
  });
  if (edit.kind === 'noop') return edit;
  if (edit.kind === 'error') return { kind: 'refused', reason: edit.reason };
  const changes = Object.entries(edit.files).map(([file, e]) =>
    configFileChange(file, e.before, e.after, `${file}: ${e.notes.join('; ')} (validated with pmta test config)`, true),
  );
  if (changes.length === 0) return { kind: 'noop', reason: `${params.directive}: nothing to change` };
  return { kind: 'changes', changes };
}

export const pmtaConfigStep: StepKind<PmtaConfigParams, PmtaConfigState> = {
  kind: 'pmta-config',
  params: pmtaConfigParams as unknown as z.ZodType<PmtaConfigParams>,
  async observe(host: HostConnection, params: PmtaConfigParams, ctx: ObserveContext) {
    const state: PmtaConfigState = { 'pmta config': await observeConfig(host, params.file, ctx.become) };
    if (params.value == null && params.valueFrom === 'cpu-count') {
      const r = await host.exec(argv('nproc'));
      const n = Number(r.stdout.trim());
      state['cpu count'] = r.exitCode === 0 && Number.isInteger(n) && n > 0 ? n : null;
    }
    return state;
  },
  plan: planPmtaConfig,
};
