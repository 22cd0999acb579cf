import path from 'node:path';
import { z } from 'zod';
import { argv, script, sh } from '../transport/quote.js';
import type { HostConnection } from '../transport/types.js';
import { execAction, fileDiff, restoreFileAction, valueDiff, writeFileAction } from './actions.js';
import { absolutePath, lineValue, normaliseValue, sysctlName, wholeOutputPattern } from './guards/params.js';
import { SYSCTL_CONF, parseAssignments, persistedWinner, setAssignment, type SysctlFile } from './sysctl/files.js';
import { resource } from './resources.js';
import type { Change, Projection, StepKind, StepPlan } from './types.js';
import { dict } from '../util/dict.js';

/**
 * sysctl: a kernel parameter at runtime (`sysctl -w`) and persistently (a drop-in under
 * /etc/sysctl.d). Plans whichever of the two differs; a drop-in that a later file would
 * override at boot is fixed there too (edited in /etc, or masked by a same-named /etc file
 * when the winner lives in /run or /usr/lib), and the summary says so.
 */
const DEFAULT_FILE = '/etc/sysctl.d/90-mtafleet.conf';

const sysctlFile = absolutePath.refine(
  (p) => p === SYSCTL_CONF || (path.dirname(p) === '/etc/sysctl.d' && p.endsWith('.conf')),
  'file must be /etc/sysctl.conf or /etc/sysctl.d/NAME.conf',
);

export const sysctlParams = z.union([
  z.object({ name: sysctlName, value: lineValue, file: sysctlFile.optional() }).strict(),
  z
    .object({ values: z.record(sysctlName, lineValue).refine((v) => Object.keys(v).length > 0, 'values is empty'), file: sysctlFile.optional() })
    .strict(),
]);
export type SysctlParams = z.infer<typeof sysctlParams>;

/**
 * Observation keys name the resource, so the engine can tell which tasks depend on which
 * (`sysctl KEY` per runtime value; one key for all config files, since boot precedence makes
 * every sysctl task depend on all of them).
 */
export const CONFIG_FILES_KEY = resource.sysctlConfigFiles();
export const runtimeKey = resource.sysctl;

export interface SysctlState extends Record<string, unknown> {
  /** path -> text (null: not readable), every *.conf of the sysctl.d dirs and /etc/sysctl.conf. */
  [CONFIG_FILES_KEY]: Record<string, string | null>;
}
export type RuntimeValue = { value: string | null; error: string | null };

export function sysctlEntries(params: SysctlParams): Array<{ key: string; value: string }> {
  if ('values' in params) return Object.entries(params.values).map(([key, value]) => ({ key, value: normaliseValue(value) }));
  return [{ key: params.name, value: normaliseValue(params.value) }];
}

/** Lists every sysctl config file, one line each: base64 of its bytes (or "!"), a space, its path. */
const LIST_FILES = script(`for f in /etc/sysctl.d/*.conf /run/sysctl.d/*.conf /usr/local/lib/sysctl.d/*.conf /usr/lib/sysctl.d/*.conf /lib/sysctl.d/*.conf /etc/sysctl.conf; do
  [ -f "$f" ] || continue
  if [ -r "$f" ]; then printf '%s %s\\n' "$(base64 -w0 < "$f")" "$f"; else printf '! %s\\n' "$f"; fi
done`);

export function parseFileListing(stdout: string): Record<string, string | null> {
  const files = dict<string | null>(); // paths as the host printed them
  for (const line of stdout.split('\n')) {
    const space = line.indexOf(' ');
    if (space < 0) continue;
    const encoded = line.slice(0, space);
    files[line.slice(space + 1)] = encoded === '!' ? null : Buffer.from(encoded, 'base64').toString('utf8');
  }
  return files;
}

/** The files as the planner uses them: assignments of the wanted keys, content kept. */
function sysctlFiles(state: SysctlState, keys: string[]): SysctlFile[] {
  return Object.entries(state[CONFIG_FILES_KEY]).map(([path, content]) => ({
    path,
    content,
    settings: content === null ? [] : parseAssignments(content).filter((a) => keys.includes(a.key)),
    readable: content !== null,
  }));
}

async function observe(host: HostConnection, params: SysctlParams): Promise<SysctlState> {
  const state: Record<string, unknown> = {};
  for (const { key } of sysctlEntries(params)) {
    const r = await host.exec(sh`LC_ALL=C sysctl -n ${key}`);
    const value: RuntimeValue =
      r.exitCode === 0 ? { value: normaliseValue(r.stdout), error: null } : { value: null, error: r.stderr.trim() || `exit ${r.exitCode}` };
    state[runtimeKey(key)] = value;
  }
  const listing = await host.exec(LIST_FILES);
  state[CONFIG_FILES_KEY] = parseFileListing(listing.stdout);
  return state as SysctlState;
}

/** Working copy of the files during planning: path -> text (null = absent). */
type Contents = Map<string, string | null>;

function settingsOf(files: SysctlFile[], contents: Contents, keys: string[]) {
  const paths = new Set([...files.map((f) => f.path), ...contents.keys()]);
  return [...paths].map((p) => {
    if (contents.has(p)) {
      const text = contents.get(p);
      return { path: p, settings: text == null ? [] : parseAssignments(text).filter((a) => keys.includes(a.key)) };
    }
    return { path: p, settings: files.find((f) => f.path === p)!.settings };
  });
}

function originalContent(files: SysctlFile[], p: string): string | null {
  return files.find((f) => f.path === p)?.content ?? null;
}

export function planSysctl(state: SysctlState, params: SysctlParams): StepPlan {
  const entries = sysctlEntries(params);
  const keys = entries.map((e) => e.key);
  const target = params.file ?? DEFAULT_FILE;
  const files = sysctlFiles(state, keys);
  const runtime = (key: string) => state[runtimeKey(key)] as RuntimeValue | undefined;
  const contents: Contents = new Map();
  const notes = new Map<string, string[]>();
  const note = (p: string, text: string) => notes.set(p, [...(notes.get(p) ?? []), text]);
  const current = (p: string) => (contents.has(p) ? contents.get(p)! : originalContent(files, p));

  for (const { key } of entries) {
    const rt = runtime(key);
    if (!rt || rt.value === null) return { kind: 'refused', reason: `sysctl ${key} does not exist on this host (${rt?.error ?? 'not observed'})` };
  }

  for (const { key, value } of entries) {
    let winner = persistedWinner(settingsOf(files, contents, keys), key);
    if (winner?.value === value) continue;
    contents.set(target, setAssignment(current(target), key, value));
    note(target, `${key} = ${value}`);
    // A later file can still win at boot: fix it where it lives, bounded by the file count.
    for (let i = 0; i <= files.length; i += 1) {
      winner = persistedWinner(settingsOf(files, contents, keys), key);
      if (!winner || winner.value === value) break;
      const overriding = winner.path;
      if (overriding.startsWith('/etc/')) {
        contents.set(overriding, setAssignment(current(overriding), key, value));
        note(overriding, `${key} = ${value} (this file sets ${winner.value} and is read after ${target}, so it would win at boot)`);
      } else {
        const mask = path.join('/etc/sysctl.d', path.basename(overriding));
        contents.set(mask, setAssignment(current(mask) ?? originalContent(files, overriding), key, value));
        note(mask, `${key} = ${value} (masks ${overriding}, which sets ${winner.value} after ${target} and would win at boot)`);
      }
    }
  }

  const changes: Change[] = [];
  for (const [p, after] of contents) {
    const before = originalContent(files, p);
    if (after === before || after === null) continue;
    changes.push({
      summary: `${before === null ? 'create' : 'edit'} ${p}: ${notes.get(p)!.join('; ')}`,
      label: 'exact',
      diff: fileDiff(p, before, after),
      do: [writeFileAction(p, after, before === null ? { mode: 0o644 } : {})],
      undo: [restoreFileAction(p, before)],
    });
  }
  for (const { key, value } of entries) {
    const old = runtime(key)!.value!;
    if (old === value) continue;
    changes.push({
      summary: `set ${key} ${old} -> ${value} (runtime)`,
      label: 'exact',
      diff: valueDiff(key, old, value),
      do: [execAction(argv('sysctl', '-w', `${key}=${value}`))],
      undo: [execAction(argv('sysctl', '-w', `${key}=${old}`))],
      verify: [execAction(argv('sysctl', '-n', key), { expectStdout: wholeOutputPattern(value) })],
    });
  }
  if (changes.length > 0) return { kind: 'changes', changes };
  const where = entries.map(({ key, value }) => {
    const w = persistedWinner(settingsOf(files, contents, keys), key);
    return `${key} is ${value} at runtime and at boot (${w?.path}:${w?.line})`;
  });
  return { kind: 'noop', reason: where.join('; ') };
}

/** After the plan: each runtime value set, each config file as written. */
export function projectSysctl(state: SysctlState, _params: SysctlParams, plan: StepPlan): Projection {
  if (plan.kind !== 'changes') return { state, unknown: [] };
  const files = { ...state[CONFIG_FILES_KEY] };
  const next: Record<string, unknown> = { ...state };
  for (const c of plan.changes) {
    if (c.diff.type === 'file') files[c.diff.path] = c.diff.after;
    if (c.diff.type === 'value') next[runtimeKey(c.diff.name)] = { value: c.diff.after, error: null } satisfies RuntimeValue;
  }
  next[CONFIG_FILES_KEY] = files;
  return { state: next, unknown: [] };
}

export const sysctlStep: StepKind<SysctlParams, SysctlState> = {
  kind: 'sysctl',
  params: sysctlParams as z.ZodType<SysctlParams>,
  resources: (params) => [...sysctlEntries(params).map((e) => runtimeKey(e.key)), CONFIG_FILES_KEY],
  observe: (host, params) => observe(host, params),
  plan: planSysctl,
  project: projectSysctl,
};

