import type { StepPlan } from '../steps/types.js';
import type { HostOutcome } from './run-record.js';

/** What the engine reports while it works; renderers (listr2, plain text) subscribe. */
export type EngineEvent =
  | { type: 'batch-start'; play: string; batch: number; batches: number; hosts: string[] }
  | { type: 'host-start'; host: string }
  | { type: 'task-planned'; host: string; task: string; plan: StepPlan }
  | { type: 'change-applied'; host: string; task: string; summary: string; ok: boolean; error?: string }
  | { type: 'rollback'; host: string; summary: string; ok: boolean; error?: string }
  /** A task with ignore_errors failed; the host goes on (Ansible: `...ignoring`). */
  | { type: 'task-ignored'; host: string; task: string; error: string }
  | { type: 'host-done'; host: string; outcome: HostOutcome }
  | { type: 'batch-done'; play: string; batch: number; outcomes: HostOutcome[] }
  | { type: 'run-stopped'; reason: string };

export type EngineListener = (event: EngineEvent) => void;

export const silent: EngineListener = () => undefined;
