import type { Expr } from './when.js';
import type { YamlPath, YamlSource } from './source.js';

/** One batch size rule of `serial`: a host count or a percentage of the play's hosts. */
export type SerialRule = { count: number } | { percent: number };

export interface TaskDef {
  name: string;
  /** The step kind key (a key of STEP_KINDS). */
  kind: string;
  /** Raw params, templates not yet resolved. */
  params: unknown;
  when: Expr[];
  whenText: string[];
  tags: string[];
  notify: string[];
  register?: string;
  vars: Record<string, unknown>;
  become?: boolean;
  /** Handlers: the topics they listen to (notify names resolved at load). */
  listen?: string[];
  /** loop / with_items: the items (a list or a template), expanded into one task per item per host. */
  loop?: { items: unknown; flatten: boolean; loopVar: string; label?: string };
  /** A failure of this task is reported and the host goes on (Ansible's ignore_errors). */
  ignoreErrors?: boolean;
  /** command/shell: `changed_when` / `failed_when` over the command's result (result-conditions.ts). */
  changedWhen?: ResultCondition;
  failedWhen?: ResultCondition;
  /** Where the task is, for errors: YAML path and line, in `source` (the imported file, for an imported play). */
  at: YamlPath;
  line: number;
  source: YamlSource;
}

/** One of changed_when / failed_when: its text (for plans) and parsed conditions (all must hold). */
export interface ResultCondition {
  text: string[];
  exprs: Expr[];
}

/**
 * Checked on each host of a batch after it ran: a shell test (`cmd`/`argv`, exit 0 = healthy)
 * and/or `no_new_critical` (the audit's probes + diagnosis find no critical finding the host
 * did not already have before the batch).
 */
export interface HealthGate {
  cmd?: string;
  argv?: string[];
  timeoutSeconds?: number;
  noNewCritical?: boolean;
}

export interface PlayDef {
  name: string;
  hosts: string;
  vars: Record<string, unknown>;
  /** Empty: one batch with every host. The last rule repeats (Ansible). */
  serial: SerialRule[];
  maxFailPercentage?: number;
  healthGate?: HealthGate;
  become?: boolean;
  /** Gather the ansible_* facts (default, as Ansible) in the first round trip; `facts.*` probes when read. */
  gatherFacts: boolean;
  tasks: TaskDef[];
  handlers: TaskDef[];
  line: number;
  /** The file the play is written in (the importing or an imported playbook) and its path there. */
  source: YamlSource;
  at: YamlPath;
}

export interface Playbook {
  /** Absolute path. */
  file: string;
  sha256: string;
  plays: PlayDef[];
  source: YamlSource;
  /** Set when --tags/--skip-tags narrowed the tasks (recorded in plan files). */
  selection?: { tags?: string[]; skipTags?: string[] };
}
