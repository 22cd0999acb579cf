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
  /** Where the task is, for errors: YAML path and line. */
  at: YamlPath;
  line: number;
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
  /** Run the audit probes before the first task; their facts are the `facts` variable of `when`. */
  gatherFacts: boolean;
  tasks: TaskDef[];
  handlers: TaskDef[];
  line: number;
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
