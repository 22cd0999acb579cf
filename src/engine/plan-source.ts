/**
 * Anyone who can write a plan file can recompute its sha256 and let mtafleet's own planner
 * re-derive changes from edited params, so the digest and plan-verify.ts alone do not stop a
 * forged plan. Apply therefore re-renders the plan from its sources with the code `plan` uses
 * (preparePlays): the playbook it names (same sha256, same tag selection), the inventory
 * (checked unchanged by apply), the recorded -e vars and --limit. Every play rule, health gate,
 * host, host setting and task the rendering does not give is refused, naming where.
 */
import type { Inventory } from '../inventory/types.js';
import { loadPlaybook, selectTasks, type Playbook } from '../playbook/index.js';
import type { TaskDef } from '../playbook/types.js';
import { PlanFileError, PlaybookError } from '../util/errors.js';
import { canonicalJson } from './canonical.js';
import type { PlannedTask } from './plan-host.js';
import type { PlanDocument, PlannedHost } from './planfile.js';
import type { PreparedTask } from './prepare.js';
import { preparePlays } from './run.js';

/** The playbook the plan names, as it was selected (--tags/--skip-tags) when the plan was made. */
export function loadPlanPlaybook(doc: PlanDocument, file: string): Playbook {
  let playbook: Playbook;
  try {
    playbook = loadPlaybook(doc.playbook.path);
  } catch (err) {
    if (err instanceof PlaybookError) throw new PlanFileError(`${file}: the plan's playbook cannot be re-checked: ${err.message}`);
    throw err;
  }
  if (playbook.sha256 !== doc.playbook.sha256) {
    throw new PlanFileError(
      `${file}: the playbook ${doc.playbook.path} changed since the plan was made (sha256 ${doc.playbook.sha256.slice(0, 12)} -> ${playbook.sha256.slice(0, 12)}); make a new plan`,
    );
  }
  return selectTasks(playbook, { ...(doc.playbook.tags ? { tags: doc.playbook.tags } : {}), ...(doc.playbook.skipTags ? { skipTags: doc.playbook.skipTags } : {}) });
}

const same = (a: unknown, b: unknown): boolean => canonicalJson(a) === canonicalJson(b);

/** Short, escaped text of a recorded value for an error message (the plan file is untrusted). */
function shown(value: unknown): string {
  const text = value === undefined ? '(none)' : JSON.stringify(value).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return text.length > 160 ? `${text.slice(0, 160)}...` : text;
}

/** Refuses every part of `doc` that re-rendering its playbook for its hosts does not give. */
export function verifyPlanSource(doc: PlanDocument, playbook: Playbook, inventory: Inventory, file: string): void {
  const fail = (what: string): never => {
    throw new PlanFileError(`${file}: ${what}, so the plan was not made from ${doc.playbook.path} (hand-edited and resealed?); make a new plan`);
  };
  // A secret -e var is stored as ***: a task that used it cannot be re-rendered (nor should a plan carry it).
  const secretNote = Object.values(doc.extraVars).includes('***') ? '; a secret -e variable is stored as *** and cannot be carried by a plan: use `mtafleet run`' : '';
  let plays;
  try {
    plays = preparePlays({ playbook, inventory, extraVars: doc.extraVars, forks: 1, ...(doc.limit !== null ? { limit: doc.limit } : {}) });
  } catch (err) {
    if (err instanceof PlaybookError) fail(`the playbook no longer renders for the plan's hosts and -e vars (${err.message})`);
    throw err;
  }
  if (doc.plays.length !== plays.length) fail(`the plan has ${doc.plays.length} play(s) where the playbook has ${plays.length}`);
  doc.plays.forEach((recorded, i) => {
    const play = plays[i];
    const where = `play "${recorded.name}"`;
    if (recorded.index !== play.index || recorded.name !== play.name) fail(`play ${i + 1} is ${shown(recorded.name)} where the playbook's is ${shown(play.name)}`);
    if (!same(recorded.rolling.healthGate, play.rolling.healthGate)) {
      fail(`${where}: the health gate ${shown(recorded.rolling.healthGate)} is not what the playbook ${doc.playbook.path} says (${shown(play.rolling.healthGate)})`);
    }
    if (!same(recorded.rolling, play.rolling)) {
      fail(`${where}: the rolling rules ${shown(recorded.rolling)} are not what the playbook ${doc.playbook.path} says (${shown(play.rolling)})`);
    }
    const names = [...recorded.hosts.map((h) => h.host), ...recorded.unreachable.map((u) => u.host)];
    const expected = play.hosts.map((h) => h.inv.name);
    const extra = names.find((n, j) => !expected.includes(n) || names.indexOf(n) !== j);
    if (extra !== undefined) fail(`${where}: host ${shown(extra)} is not (once) one of the play's hosts`);
    const missing = expected.find((n) => !names.includes(n));
    if (missing !== undefined) fail(`${where}: host ${missing} of the play is missing from the plan`);
    for (const host of recorded.hosts) {
      const prepared = play.hosts.find((h) => h.inv.name === host.host)!.prepared;
      verifyHost(host, prepared.tasks, prepared.handlers, { lockPath: prepared.lockPath, become: prepared.become }, secretNote, (what) => fail(`${where}: host ${host.host}: ${what}`));
    }
  });
}

function verifyHost(
  host: PlannedHost,
  tasks: PreparedTask[],
  handlers: PreparedTask[],
  settings: { lockPath: string; become: boolean },
  secretNote: string,
  fail: (what: string) => never,
): void {
  if (host.lockPath !== settings.lockPath) fail(`the lock path ${shown(host.lockPath)} is not the inventory's (${settings.lockPath})`);
  if (host.become !== settings.become) fail(`become ${host.become} is not what the playbook and inventory say (${settings.become})`);
  const recordedTasks = host.tasks.filter((t) => !t.handler);
  if (recordedTasks.length !== tasks.length) fail(`the plan has ${recordedTasks.length} task(s) where the playbook has ${tasks.length}`);
  recordedTasks.forEach((t, j) => verifyTask(t, tasks[j], secretNote, fail));
  // Handlers: those a recorded change notifies, in the playbook's order (as planHost plans them).
  const notified = new Set(recordedTasks.filter((t) => t.plan.kind === 'changes').flatMap((t) => t.notify));
  const expected = handlers.filter((h) => notified.has(h.def.name));
  const recordedHandlers = host.tasks.filter((t) => t.handler);
  const firstHandler = host.tasks.findIndex((t) => t.handler);
  if (firstHandler !== -1 && host.tasks.slice(firstHandler).some((t) => !t.handler)) fail('a task is recorded after a handler');
  if (recordedHandlers.length !== expected.length || recordedHandlers.some((t, j) => t.name !== expected[j].def.name)) {
    fail(`the handlers ${shown(recordedHandlers.map((t) => t.name))} are not the ones its changes notify (${shown(expected.map((h) => h.def.name))})`);
  }
  recordedHandlers.forEach((t, j) => verifyTask(t, expected[j], secretNote, fail));
}

function verifyTask(recorded: PlannedTask, prepared: PreparedTask, secretNote: string, fail: (what: string) => never): void {
  const def: TaskDef = prepared.def;
  const what = `${prepared.handler ? 'handler' : 'task'} "${def.name}"`;
  if (recorded.name !== def.name || recorded.kind !== def.kind || recorded.handler !== prepared.handler) {
    fail(`${prepared.handler ? 'handler' : 'task'} ${shown(recorded.name)} [${shown(recorded.kind)}] is where the playbook has ${what} [${def.kind}]`);
  }
  if (!same(recorded.notify, def.notify)) fail(`${what}: notify ${shown(recorded.notify)} is not the playbook's (${shown(def.notify)})`);
  if (recorded.become !== def.become) fail(`${what}: become ${shown(recorded.become)} is not the playbook's (${shown(def.become)})`);
  const rendered = prepared.params ?? null;
  if (!same(recorded.params, rendered)) {
    fail(`${what}: params are not what the playbook renders for this host (${differingKeys(recorded.params, rendered)} differ${secretNote})`);
  }
}

/** Which top-level params differ, by name only (the values may be large or secret). */
function differingKeys(a: unknown, b: unknown): string {
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return 'the values';
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(ra), ...Object.keys(rb)])].filter((k) => !same(ra[k], rb[k]));
  return keys.map((k) => shown(k)).join(', ') || 'the values';
}
