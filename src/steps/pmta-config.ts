import { z } from 'zod';
import { parseTryConfig, tryReplaceCommand, type ConfigTestResult } from '../pmta/test-config.js';
import { argv } from '../transport/quote.js';
import type { HostConnection } from '../transport/types.js';
import { absolutePath, blockSelector, directiveName, lineValue, parseBlockSelector } from './guards/params.js';
import { planDirectiveEdit, type FileEdit } from './pmta/edit.js';
import { observeConfig } from './pmta/observe.js';
import type { ObservedConfig } from './pmta/tree.js';
import { configFileChange } from './pmta/write.js';
import { resource } from './resources.js';
import type { ObserveContext, Projection, StepKind, StepPlan } from './types.js';

/**
 * pmta-config: sets or removes directives at global level or inside a block
 * (`block: "domain gmail.com"`), each in the file where it lives (includes followed). One
 * directive (`directive` + `value`) or several at once (`directives: {name: value}`, so one
 * task — one plan entry — edits a file once). A file is replaced only after
 * `pmta test config` accepted it (pmta/write.ts); undo restores the old bytes and reloads
 * PowerMTA if it is running. `valueFrom: cpu-count` fills missing values with the host's nproc.
 * `testFirst: true` (directives the Guide does not document, e.g. the thread settings): observe
 * also asks the host's PowerMTA about the planned files (`pmta test config` on copies, in a
 * private mount namespace: src/pmta/test-config.ts) and the step is refused, before anything
 * changes, when it rejects them.
 */
const optionalValue = lineValue.nullable().optional();

export const pmtaConfigParams = z
  .object({
    directive: directiveName.optional(),
    value: optionalValue,
    directives: z.record(directiveName, optionalValue).optional(),
    /** Where a value comes from when it is not given: the host's CPU count (nproc). */
    valueFrom: z.enum(['cpu-count']).optional(),
    block: blockSelector.optional(),
    state: z.enum(['present', 'absent']).default('present'),
    file: absolutePath.default('/etc/pmta/config'),
    testFirst: z.boolean().default(false),
  })
  .strict()
  .refine((p) => (p.directive === undefined) !== (p.directives === undefined), { message: 'give either directive (+ value) or directives' })
  .refine((p) => p.directives === undefined || Object.keys(p.directives).length > 0, { message: 'directives is empty', path: ['directives'] })
  .refine((p) => p.value === undefined || p.directive !== undefined, { message: 'value goes with directive', path: ['value'] })
  .refine((p) => !Object.keys(p.directives ?? {}).includes('include') && p.directive !== 'include', { message: 'include lines are not edited by pmta-config' })
  .refine((p) => p.state === 'absent' || p.valueFrom !== undefined || entriesOf(p).every(([, v]) => v != null), {
    message: 'a value (or valueFrom) is required when state is present',
    path: ['value'],
  });
export type PmtaConfigParams = z.infer<typeof pmtaConfigParams>;

function entriesOf(p: { directive?: string; value?: string | null; directives?: Record<string, string | null | undefined> }) {
  return p.directive !== undefined ? [[p.directive, p.value ?? null] as const] : Object.entries(p.directives ?? {}).map(([k, v]) => [k, v ?? null] as const);
}

export const CPU_COUNT_KEY = resource.cpuCount();
export const TEST_KEY = resource.pmtaConfigTest();
export const configKey = resource.pmtaConfig;
export type PmtaConfigState = Record<string, unknown>;

export function planPmtaConfig(state: PmtaConfigState, params: PmtaConfigParams): StepPlan {
  const test = state[TEST_KEY] as ConfigTestResult | undefined;
  if (params.testFirst && test?.verdict === 'rejected') {
    return { kind: 'refused', reason: `this host's PowerMTA rejects the new config (pmta test config on a copy; nothing was changed): ${test.output.split('\n')[0]}` };
  }
  let config = state[configKey(params.file)] as ObservedConfig;
  const cpus = state[CPU_COUNT_KEY] as number | null | undefined;
  const block = params.block ? parseBlockSelector(params.block) : undefined;
  const edited = new Map<string, FileEdit>();
  const noops: string[] = [];
  for (const [directive, given] of entriesOf(params)) {
    const value = given ?? (params.valueFrom === 'cpu-count' && cpus ? String(cpus) : null);
    if (params.state === 'present' && value === null) return { kind: 'refused', reason: `${directive}: the CPU count could not be observed (nproc)` };
    const edit = planDirectiveEdit(config, { directive, value: value ?? undefined, block, state: params.state });
    if (edit.kind === 'error') return { kind: 'refused', reason: edit.reason };
    if (edit.kind === 'noop') {
      noops.push(edit.reason);
      continue;
    }
    // Later directives are planned on the text the earlier ones produce.
    const files = { ...config.files };
    for (const [file, e] of Object.entries(edit.files)) {
      const first = edited.get(file);
      edited.set(file, { before: first?.before ?? e.before, after: e.after, notes: [...(first?.notes ?? []), ...e.notes] });
      files[file] = e.after;
    }
    config = { ...config, files };
  }
  const changes = [...edited.entries()]
    .filter(([, e]) => e.after !== e.before)
    .map(([file, e]) => configFileChange(file, e.before, e.after, `${file}: ${e.notes.join('; ')} (validated with pmta test config)`, true));
  if (changes.length === 0) return { kind: 'noop', reason: noops.join('; ') || 'nothing to change' };
  return { kind: 'changes', changes };
}

export const pmtaConfigStep: StepKind<PmtaConfigParams, PmtaConfigState> = {
  kind: 'pmta-config',
  params: pmtaConfigParams as unknown as z.ZodType<PmtaConfigParams>,
  resources: (params) => [configKey(params.file), CPU_COUNT_KEY, TEST_KEY],
  async observe(host: HostConnection, params: PmtaConfigParams, ctx: ObserveContext) {
    const state: PmtaConfigState = { [configKey(params.file)]: await observeConfig(host, params.file, ctx.become) };
    if (params.valueFrom === 'cpu-count' && entriesOf(params).some(([, v]) => v == null)) {
      const r = await host.exec(argv('nproc'));
      const n = Number(r.stdout.trim());
      state[CPU_COUNT_KEY] = r.exitCode === 0 && Number.isInteger(n) && n > 0 ? n : null;
    }
    if (params.testFirst) {
      const planned = planPmtaConfig(state, params);
      const files = planned.kind === 'changes' ? planned.changes.flatMap((c) => (c.diff.type === 'file' && c.diff.after !== null ? [{ path: c.diff.path, text: c.diff.after }] : [])) : [];
      if (files.length > 0) {
        const { command, stdin } = tryReplaceCommand(files);
        const r = await host.exec(command, { stdin, become: ctx.become, timeoutMs: 60_000 });
        state[TEST_KEY] = parseTryConfig(r.stdout, r.exitCode, r.stderr);
      }
    }
    return state;
  },
  plan: planPmtaConfig,
  project: projectPmtaConfig,
};

/** After the plan: each edited file of the config holds its new text. */
export function projectPmtaConfig(state: PmtaConfigState, params: PmtaConfigParams, plan: StepPlan): Projection {
  if (plan.kind !== 'changes') return { state, unknown: [] };
  const config = state[configKey(params.file)] as ObservedConfig;
  const files = { ...config.files };
  for (const c of plan.changes) if (c.diff.type === 'file') files[c.diff.path] = c.diff.after;
  return { state: { ...state, [configKey(params.file)]: { ...config, files } }, unknown: [] };
}
