import type { z } from 'zod';
import type { HostConnection } from '../transport/types.js';

/**
 * One remote action of a change. Actions are plain data: they go into plan files and the
 * journal and are replayed by `apply` and `rollback`. `command` texts are built only with
 * transport/quote.ts (argv, sh``), never by concatenating user input.
 */
export type Action =
  | {
      type: 'exec';
      /** Shell text from a Command (Command.text). */
      command: string;
      become?: boolean;
      /** Standard input, base64. */
      stdinBase64?: string;
      timeoutMs?: number;
      /** Exit codes that count as success (default [0]). */
      okExitCodes?: number[];
      /** When set, stdout must match this regular expression (e.g. "Configuration reloaded"). */
      expectStdout?: string;
    }
  | {
      type: 'write-file';
      path: string;
      contentBase64: string;
      mode?: number;
      owner?: string;
      group?: string;
      become?: boolean;
    }
  | { type: 'remove-file'; path: string; become?: boolean };

/** A structured diff; renderers (text, markdown, json, listr2) only format it. */
export type Diff =
  | { type: 'file'; path: string; before: string | null; after: string | null; unified: string }
  | { type: 'value'; name: string; before: string | null; after: string | null }
  | { type: 'text'; text: string };

export interface Change {
  /** Human summary, e.g. "set net.ipv4.tcp_fin_timeout 60 -> 10". */
  summary: string;
  /** exact: the preview is what will happen; predicted: depends on run-time state. */
  label: 'exact' | 'predicted';
  diff: Diff;
  do: Action[];
  /** Restores the observed state; computed from the observation, before anything ran. */
  undo: Action[];
  /** Read-only checks run after `do`; a failing check fails the change. */
  verify?: Action[];
}

export type StepPlan =
  | { kind: 'changes'; changes: Change[] }
  | { kind: 'noop'; reason: string }
  /** A failed safety check (e.g. mkfs on a disk with a filesystem): the host is refused. */
  | { kind: 'refused'; reason: string };

export interface ObserveContext {
  /** Facts gathered for the host (probes), when the playbook asked for them. */
  facts?: Record<string, unknown>;
  become: boolean;
}

/**
 * A step kind: params schema + read-only observe + pure plan.
 * `observe` returns plain JSON data (it is fingerprinted, stored in plan files and compared
 * on apply to name what drifted), so keep its keys descriptive: "file /etc/x", "sysctl k".
 */
export interface StepKind<P = unknown, S extends Record<string, unknown> = Record<string, unknown>> {
  kind: string;
  params: z.ZodType<P>;
  /**
   * The resources the step reads (the keys its observation may hold; built with resources.ts).
   * project() writes only these; the engine refuses an observation outside them, so a
   * misspelt key cannot silently switch off projection, fingerprints or drift messages.
   */
  resources(params: P): string[];
  observe(host: HostConnection, params: P, ctx: ObserveContext): Promise<S>;
  plan(state: S, params: P): StepPlan;
  /**
   * Pure: the observation as it will be once `plan`'s changes are applied (Terraform's planned
   * values). Resources the changes cannot be known to leave in one state go in `unknown`.
   * A kind without `project` makes every resource it observed unknown when it changes anything.
   */
  project?(state: S, params: P, plan: StepPlan): Projection;
}

/**
 * The state after a task's changes: the observation with what the changes write replaced.
 * A field whose value cannot be known before the change runs (the owner of a new file) holds
 * UNKNOWN_FIELD; the after-apply check skips it. `unknown` lists whole resources (keys) whose
 * state cannot be predicted, or resources.EVERYTHING.
 */
export interface Projection {
  state: Record<string, unknown>;
  unknown: string[];
}

export const UNKNOWN_FIELD = '(known once applied)';
