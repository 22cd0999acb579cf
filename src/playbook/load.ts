/**
 * Loading a playbook: YAML -> zod-validated plays and tasks. Every problem (unknown key,
 * unknown step kind, bad value, bad `when`) is collected with file, line and path, and the
 * whole list is thrown as one PlaybookError before any host is contacted.
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { z } from 'zod';
import { STEP_KINDS } from '../steps/registry.js';
import { PlaybookError } from '../util/errors.js';
import { readInputTextSync } from '../util/input-text.js';
import { dict } from '../util/dict.js';
import { YamlSource, playbookError, zodProblems, type PlaybookProblem, type YamlPath } from './source.js';
import { shellFieldProblems } from './shell-fields.js';
import { readVarsFiles, type VarsFileRead } from './vars-files.js';
import { isImport, readImport } from './imports.js';
import { resultConditions } from './result-conditions.js';
import { isAnsibleModule, noEquivalent, takesArgs, translateAnsibleModule } from './ansible-modules.js';
import { unsupportedPlayKey, unsupportedTaskKey } from './ansible-keys.js';
import { hasTemplate, templateProblems, templateSpans } from './template.js';
import type { HealthGate, PlayDef, Playbook, SerialRule, TaskDef } from './types.js';
import { WhenError, parseWhen, type Expr } from './when.js';

const serialItem = z.union([
  z.number().int().min(1),
  z.string().regex(/^\s*\d+(\.\d+)?\s*%?\s*$/, 'must be a number of hosts or a percentage such as "30%"'),
]);

const playSchema = z.strictObject({
  name: z.string().optional(),
  hosts: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  vars: z.record(z.string(), z.unknown()).default({}),
  serial: z.union([serialItem, z.array(serialItem).min(1)]).optional(),
  max_fail_percentage: z.number().min(0).max(100).optional(),
  health_gate: z
    .strictObject({
      cmd: z.string().min(1).optional(),
      argv: z.array(z.string()).min(1).optional(),
      timeout_seconds: z.number().int().positive().optional(),
      no_new_critical: z.boolean().optional(),
    })
    .refine((g) => !(g.cmd !== undefined && g.argv !== undefined), 'health_gate takes cmd or argv, not both')
    .refine((g) => g.cmd !== undefined || g.argv !== undefined || g.no_new_critical === true, 'health_gate needs cmd, argv or no_new_critical: true')
    .optional(),
  become: z.boolean().optional(),
  vars_files: z.array(z.union([z.string().min(1), z.array(z.string().min(1)).min(1)])).optional(),
  /** On by default, as Ansible: the small ansible_* set (facts.ts); `facts.*` when the play reads it. */
  gather_facts: z.boolean().optional(),
  tasks: z.array(z.unknown()).default([]),
  handlers: z.array(z.unknown()).default([]),
});

const stringList = z.union([z.string().min(1), z.array(z.string().min(1))]).transform((v) => (Array.isArray(v) ? v : [v]));

const taskMeta = z.strictObject({
  name: z.string().optional(),
  when: z.union([z.string().min(1), z.boolean(), z.array(z.union([z.string().min(1), z.boolean()]))]).optional(),
  tags: stringList.optional(),
  notify: stringList.optional(),
  register: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a variable name').optional(),
  vars: z.record(z.string(), z.unknown()).optional(),
  become: z.boolean().optional(),
  /** Ansible's free-form companion (`command: make` + `args: {creates: ...}`): command/shell only. */
  args: z.record(z.string(), z.unknown()).optional(),
  /** Handlers only: topics a notify may name instead of the handler's name (Ansible's listen). */
  listen: stringList.optional(),
  /** One task per item (Ansible's loop): a list, or a template giving one; expanded per host. */
  loop: z.union([z.array(z.unknown()), z.string().min(1)]).optional(),
  /** loop with one level of nested lists flattened, as Ansible's with_items. */
  with_items: z.union([z.array(z.unknown()), z.string().min(1)]).optional(),
  /** A failing task leaves the host going on with its next task (reported as failed-but-ignored). */
  ignore_errors: z.boolean().optional(),
  /** command/shell: conditions over the command's own result (rc, stdout, stderr, stdout_lines). */
  changed_when: z.union([z.string().min(1), z.boolean(), z.array(z.union([z.string().min(1), z.boolean()])).min(1)]).optional(),
  failed_when: z.union([z.string().min(1), z.boolean(), z.array(z.union([z.string().min(1), z.boolean()])).min(1)]).optional(),
  loop_control: z.strictObject({ loop_var: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a variable name').optional(), label: z.string().optional() }).optional(),
});

const META_KEYS = new Set(Object.keys(taskMeta.shape));

export function loadPlaybook(file: string): Playbook {
  const abs = resolve(file);
  let text: string;
  try {
    text = readInputTextSync(abs, (why) => new PlaybookError(`cannot read playbook ${file}: ${why}`));
  } catch (err) {
    if (err instanceof PlaybookError) throw err;
    throw new PlaybookError(`cannot read playbook ${file}: ${(err as Error).message}`);
  }
  return parsePlaybook(abs, text);
}

export function parsePlaybook(file: string, text: string): Playbook {
  const src = YamlSource.parse(file, text);
  const problems: PlaybookProblem[] = [];
  const included: VarsFileRead[] = [];
  const plays = parsePlays(src, [], problems, included);
  if (problems.length > 0) throw playbookError(problems);
  return { file, sha256: playbookDigest(text, included), plays, source: src };
}

/** The plays of one file, `- import_playbook:` entries replaced by the imported file's plays. */
function parsePlays(src: YamlSource, importers: readonly string[], problems: PlaybookProblem[], included: VarsFileRead[]): PlayDef[] {
  const data = src.data;
  if (!Array.isArray(data)) {
    problems.push({ ...src.locate([]), message: 'a playbook is a list of plays (each with hosts and tasks)' });
    return [];
  }
  const plays: PlayDef[] = [];
  data.forEach((raw, i) => {
    if (isImport(raw)) {
      for (const r of readImport(raw, src.file, importers)) {
        if (r.kind === 'problem') problems.push({ ...src.locate([i, r.key]), message: r.message });
        else {
          // Imported files are part of the digest, like vars files (path and bytes).
          included.push({ path: r.src.file, text: r.text });
          plays.push(...parsePlays(r.src, [...importers, src.file], problems, included));
        }
      }
      return;
    }
    const play = parsePlay(src, raw, [i], problems, included);
    if (play) plays.push(play);
  });
  return plays;
}

/**
 * The playbook text's sha256; with vars files, a sha256 over the text's and each file's
 * (path and bytes), so a plan file's recorded digest covers every file the plan came from.
 */
function playbookDigest(text: string, included: VarsFileRead[]): string {
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  if (included.length === 0) return sha(text);
  return sha(JSON.stringify([sha(text), ...included.map((f) => [f.path, sha(f.text)])]));
}

function parsePlay(src: YamlSource, raw: unknown, at: YamlPath, problems: PlaybookProblem[], included: VarsFileRead[]): PlayDef | undefined {
  raw = withoutUnsupported(src, raw, at, unsupportedPlayKey, problems);
  const parsed = playSchema.safeParse(raw);
  if (!parsed.success) {
    problems.push(...zodProblems(src, at, parsed.error));
    // Still check the tasks, so one run of the command shows every problem.
    const r = (raw ?? {}) as { tasks?: unknown; handlers?: unknown };
    for (const key of ['tasks', 'handlers'] as const) {
      const list = r[key];
      if (Array.isArray(list)) list.forEach((t, i) => parseTask(src, t, [...at, key, i], problems));
    }
    return undefined;
  }
  const p = parsed.data;
  const hosts = Array.isArray(p.hosts) ? p.hosts.join(':') : p.hosts;
  const tasks = p.tasks.map((t, i) => parseTask(src, t, [...at, 'tasks', i], problems)).filter((t): t is TaskDef => t !== undefined);
  for (const t of tasks) if (t.listen) problems.push({ ...src.locate([...t.at, 'listen']), message: 'listen: is for handlers; a task notifies them' });
  const handlers = p.handlers
    .map((t, i) => parseTask(src, t, [...at, 'handlers', i], problems))
    .filter((t): t is TaskDef => t !== undefined);
  // A notify may name a handler or a topic handlers `listen` to: resolved here to handler names.
  const topics = new Map<string, string[]>();
  for (const h of handlers) for (const topic of h.listen ?? []) topics.set(topic, [...(topics.get(topic) ?? []), h.name]);
  const handlerNames = new Set(handlers.map((h) => h.name));
  for (const task of tasks) {
    const given = task.notify;
    task.notify = [...new Set(given.flatMap((n) => (handlerNames.has(n) ? [n] : (topics.get(n) ?? [n]))))];
    given.forEach((n, j) => {
      if (!handlerNames.has(n) && !topics.has(n)) {
        problems.push({ ...src.locate([...task.at, 'notify', ...(given.length > 1 ? [j] : [])]), message: `notifies "${n}", but the play has no handler of that name (nor one that listens to it)` });
      }
    });
  }
  for (const key of ['cmd', 'argv'] as const) {
    const texts = [p.health_gate?.[key] ?? []].flat();
    if (texts.some((t) => templateSpans(t).length > 0)) {
      problems.push({
        ...src.locate([...at, 'health_gate', key]),
        message: 'health_gate is not templated (the same command runs on every host, and {{ }} would reach the shell as it is); write the values in literally',
      });
    }
  }
  const healthGate: HealthGate | undefined = p.health_gate
    ? {
        ...(p.health_gate.cmd !== undefined ? { cmd: p.health_gate.cmd } : {}),
        ...(p.health_gate.argv !== undefined ? { argv: p.health_gate.argv } : {}),
        ...(p.health_gate.timeout_seconds !== undefined ? { timeoutSeconds: p.health_gate.timeout_seconds } : {}),
        ...(p.health_gate.no_new_critical ? { noNewCritical: true } : {}),
      }
    : undefined;
  return {
    name: p.name ?? hosts,
    hosts,
    vars: { ...p.vars, ...playVarsFiles(src, p.vars_files ?? [], at, problems, included) },
    serial: serialRules(p.serial),
    maxFailPercentage: p.max_fail_percentage,
    healthGate,
    become: p.become,
    gatherFacts: p.gather_facts ?? true,
    tasks,
    handlers,
    line: src.lineOf(at),
    source: src,
    at,
  };
}

export function serialRules(serial: number | string | Array<number | string> | undefined): SerialRule[] {
  if (serial === undefined) return [];
  const items = Array.isArray(serial) ? serial : [serial];
  return items.map((item) => {
    if (typeof item === 'number') return { count: item };
    const s = item.trim();
    if (s.endsWith('%')) return { percent: Number(s.slice(0, -1).trim()) };
    return { count: Math.max(1, Math.floor(Number(s))) };
  });
}

function parseTask(src: YamlSource, raw: unknown, at: YamlPath, problems: PlaybookProblem[]): TaskDef | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push({ ...src.locate(at), message: 'a task is a mapping with a name and one step kind' });
    return undefined;
  }
  const before = problems.length;
  const record = withoutUnsupported(src, raw, at, unsupportedTaskKey, problems) as Record<string, unknown>;
  const meta: Record<string, unknown> = {};
  const stepKeys: string[] = [];
  for (const [k, v] of Object.entries(record)) {
    if (META_KEYS.has(k)) meta[k] = v;
    else stepKeys.push(k);
  }
  const isStep = (k: string): boolean => k in STEP_KINDS || isAnsibleModule(k);
  const known = stepKeys.filter(isStep);
  const unknown = stepKeys.filter((k) => !isStep(k));
  for (const k of unknown) {
    const what =
      noEquivalent(k) ??
      (known.length > 0 ? `unknown key "${k}"` : `unknown step kind or key "${k}" (step kinds: ${Object.keys(STEP_KINDS).sort().join(', ')}; Ansible's command, shell, sysctl, service, systemd, copy, lineinfile and file are read too)`);
    problems.push({ ...src.locate([...at, k]), message: what });
  }
  if (known.length === 0 && unknown.length === 0) {
    problems.push({ ...src.locate(at), message: `names no step kind (one of: ${Object.keys(STEP_KINDS).sort().join(', ')})` });
  }
  if (known.length > 1) {
    problems.push({ ...src.locate([...at, known[1]]), message: `a task names exactly one step kind, found ${known.join(' and ')}` });
  }
  const parsedMeta = taskMeta.safeParse(meta);
  if (!parsedMeta.success) problems.push(...zodProblems(src, at, parsedMeta.error));
  if (problems.length > before || !parsedMeta.success) return undefined;

  const key = known[0];
  if (m0(meta).args !== undefined && !takesArgs(key)) problems.push({ ...src.locate([...at, 'args']), message: 'args: goes with command: or shell: (their free form)' });
  const translated = translateAnsibleModule(key, record[key], m0(meta).args as Record<string, unknown> | undefined);
  for (const p of translated?.problems ?? []) problems.push({ ...src.locate([...at, key, ...p.path]), message: p.message });
  if (problems.length > before) return undefined;
  const kind = translated?.kind ?? key;
  const params = translated ? translated.params : record[key];
  // Templates that cannot parse are refused now, whatever `when` says on any host.
  for (const p of templateProblems(params)) problems.push({ ...src.locate([...at, key, ...p.path]), message: p.message });
  // Params without templates are checked now; templated ones after per-host rendering.
  if (!hasTemplate(params)) {
    const checked = STEP_KINDS[kind].params.safeParse(params);
    if (!checked.success) problems.push(...zodProblems(src, [...at, key], checked.error));
  }
  // A template in shell text must sit where it can be one quoted word: checked before any host.
  for (const p of shellFieldProblems(kind, params)) problems.push({ ...src.locate([...at, key, ...p.path]), message: p.message });
  const m = parsedMeta.data;
  if (m.loop !== undefined && m.with_items !== undefined) problems.push({ ...src.locate([...at, 'with_items']), message: 'give loop or with_items, not both' });
  if ((m.loop !== undefined || m.with_items !== undefined) && m.register !== undefined) {
    problems.push({ ...src.locate([...at, 'register']), message: 'not supported by mtafleet: register with a loop — register a task without a loop, or write one task per item' });
  }
  if (m.loop_control !== undefined && m.loop === undefined && m.with_items === undefined) problems.push({ ...src.locate([...at, 'loop_control']), message: 'loop_control goes with loop or with_items' });
  const whenList = m.when === undefined ? [] : Array.isArray(m.when) ? m.when : [m.when];
  const when: Expr[] = [];
  const whenText: string[] = [];
  whenList.forEach((w, j) => {
    const text = String(w);
    try {
      when.push(typeof w === 'boolean' ? { t: 'lit', v: w } : parseWhen(text.replace(/^\s*\{\{\s*|\s*\}\}\s*$/g, '')));
      whenText.push(text);
    } catch (err) {
      if (!(err instanceof WhenError)) throw err;
      problems.push({ ...src.locate([...at, 'when', ...(Array.isArray(m.when) ? [j] : [])]), message: `invalid condition: ${err.message}` });
    }
  });
  const conditions = resultConditions(kind, m, (path, message) => problems.push({ ...src.locate([...at, ...path]), message }));
  return {
    name: m.name ?? `${kind}`,
    kind,
    ...(m.ignore_errors ? { ignoreErrors: true } : {}),
    ...conditions,
    params,
    when,
    whenText,
    tags: m.tags ?? [],
    notify: m.notify ?? [],
    register: m.register,
    vars: m.vars ?? {},
    become: m.become,
    ...(m.listen ? { listen: m.listen } : {}),
    ...(m.loop !== undefined || m.with_items !== undefined
      ? { loop: { items: (m.loop ?? m.with_items)!, flatten: m.with_items !== undefined, loopVar: m.loop_control?.loop_var ?? 'item', ...(m.loop_control?.label !== undefined ? { label: m.loop_control.label } : {}) } }
      : {}),
    at,
    line: src.lineOf(at),
    source: src,
  };
}

function playVarsFiles(src: YamlSource, entries: Array<string | string[]>, at: YamlPath, problems: PlaybookProblem[], included: VarsFileRead[]): Record<string, unknown> {
  if (entries.length === 0) return {};
  const r = readVarsFiles(src.file, entries);
  for (const p of r.problems) problems.push({ ...src.locate([...at, 'vars_files', p.index]), message: p.message });
  included.push(...r.read);
  return r.vars;
}

const m0 = (meta: Record<string, unknown>): { args?: unknown } => meta;

/** Reports Ansible keywords mtafleet does not have (with what to do) and leaves them out of the schema check. */
function withoutUnsupported(src: YamlSource, raw: unknown, at: YamlPath, advice: (key: string) => string | undefined, problems: PlaybookProblem[]): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const kept = dict<unknown>(); // `__proto__: x` is a key like any other here
  for (const [k, v] of Object.entries(raw)) {
    const message = advice(k);
    if (message) problems.push({ ...src.locate([...at, k]), message });
    else kept[k] = v;
  }
  return kept;
}
