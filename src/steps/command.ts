/**
 * `command`: the escape hatch. Its effect is unknown to mtafleet, so every change is labelled
 * `predicted`, it has no undo (rollback reports it as not restorable), and it is idempotent
 * only through its guards: `creates` (a path that, when present, means "already done") and
 * `unless` (a read-only shell test; exit 0 means "already done").
 */
import { z } from 'zod';
import { argv, sh, type Command } from '../transport/quote.js';
import { execAction } from './actions.js';
import { remotePath } from './file.js';
import { EVERYTHING, resource } from './resources.js';
import type { StepKind, StepPlan } from './types.js';

const shellText = z
  .string()
  .min(1, 'must not be empty')
  .refine((s) => !s.includes('\0'), 'must not contain a NUL byte');

export const commandParams = z
  .strictObject({
    cmd: shellText.optional(),
    argv: z.array(z.string().refine((s) => !s.includes('\0'), 'must not contain a NUL byte')).min(1).optional(),
    creates: remotePath.optional(),
    unless: shellText.optional(),
    become: z.boolean().optional(),
    timeout_seconds: z.number().int().positive().optional(),
  })
  .superRefine((p, ctx) => {
    if ((p.cmd === undefined) === (p.argv === undefined)) ctx.addIssue({ code: 'custom', message: 'give exactly one of cmd or argv' });
  });

export type CommandParams = z.infer<typeof commandParams>;
export type CommandState = Record<string, { exists?: boolean; exitCode?: number | null }>;

/** The command as shell text: `cmd` runs through sh -c (one quoted argument), argv is quoted word by word. */
export function commandOf(p: CommandParams): Command {
  return p.argv ? argv(...(p.argv as [string, ...string[]])) : argv('sh', '-c', p.cmd as string);
}

export function describeCommand(p: CommandParams): string {
  return p.cmd ?? (p.argv ?? []).join(' ');
}

const createsKey = resource.commandCreates;
const unlessKey = resource.commandUnless;

function planCommand(state: CommandState, p: CommandParams): StepPlan {
  if (p.creates !== undefined) {
    const seen = state[createsKey(p.creates)];
    if (!seen) return { kind: 'refused', reason: `no observation of ${p.creates}` };
    if (seen.exists) return { kind: 'noop', reason: `${p.creates} exists (creates guard)` };
  }
  if (p.unless !== undefined) {
    const seen = state[unlessKey(p.unless)];
    if (!seen) return { kind: 'refused', reason: `no observation of the unless guard` };
    if (seen.exitCode === 0) return { kind: 'noop', reason: `"${p.unless}" exited 0 (unless guard)` };
  }
  const text = describeCommand(p);
  const options = {
    ...(p.become ? { become: true } : {}),
    ...(p.timeout_seconds ? { timeoutMs: p.timeout_seconds * 1000 } : {}),
  };
  return {
    kind: 'changes',
    changes: [
      {
        summary: `run: ${text}`,
        label: 'predicted',
        diff: { type: 'text', text: `$ ${text}` },
        do: [execAction(commandOf(p), options)],
        undo: [],
      },
    ],
  };
}

export const commandStep: StepKind<CommandParams, CommandState> = {
  kind: 'command',
  params: commandParams as unknown as z.ZodType<CommandParams>,
  resources: (p) => [...(p.creates !== undefined ? [createsKey(p.creates)] : []), ...(p.unless !== undefined ? [unlessKey(p.unless)] : [])],
  async observe(host, p, ctx) {
    const state: CommandState = {};
    const become = p.become ?? (ctx.become || undefined);
    if (p.creates !== undefined) {
      const r = await host.exec(sh`test -e ${p.creates}`, { become });
      state[createsKey(p.creates)] = { exists: r.exitCode === 0 };
    }
    if (p.unless !== undefined) {
      // Only the exit code counts: output past the cap is dropped, not an error.
      const r = await host.exec(argv('sh', '-c', p.unless), { become, partialOutput: true, label: 'the unless guard' });
      state[unlessKey(p.unless)] = { exitCode: r.exitCode };
    }
    return state;
  },
  plan: planCommand,
  // What a command touches is unknown to mtafleet: everything, once it runs.
  project: (state, _params, plan) => ({ state, unknown: plan.kind === 'changes' ? [EVERYTHING] : [] }),
};
