/**
 * Anyone who can write a plan file can recompute its sha256 and let mtafleet's own planner
 * re-derive changes from edited params, so the digest and plan-verify.ts alone do not stop a
 * forged plan. Apply therefore re-makes the plan from its sources with the code `plan` ran
 * (preparePlays, then planHostWith fed the recorded observations instead of the host's): the
 * playbook it names (same sha256, same tag selection), the inventory (checked unchanged by
 * apply), the recorded -e vars and --limit. Every play rule, health gate, host, host setting,
 * task, `when` outcome, handler, param and change the replay does not give is refused, naming
 * where. (Signed approvals, which also pin the playbook path, are issue #14.)
 */
import type { Inventory } from '../inventory/types.js';
import { loadPlaybook, selectTasks, type Playbook } from '../playbook/index.js';
import type { TaskDef } from '../playbook/types.js';
import { varNames } from '../playbook/expr/index.js';
import { FACT_NAMES } from './facts.js';
import { STEP_KINDS } from '../steps/registry.js';
import { PlanFileError, PlaybookError } from '../util/errors.js';
import { canonicalJson, fingerprint } from './canonical.js';
import { conditionHolds, planHostWith, type Decide, type HostPlan, type Observe, type StepKinds } from './plan-host.js';
import type { PlanDocument, PlannedHost } from './planfile.js';
import type { PreparedHost } from './prepare.js';
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
export async function verifyPlanSource(doc: PlanDocument, playbook: Playbook, inventory: Inventory, file: string, kinds: StepKinds = STEP_KINDS): Promise<void> {
  // A secret -e var is stored as ***: a task that used it cannot be re-rendered (nor should a plan carry it).
  const secretNote = Object.values(doc.extraVars).includes('***') ? ' (a secret -e variable is stored as *** and cannot be carried by a plan: use `mtafleet run`)' : '';
  const fail = (what: string): never => {
    throw new PlanFileError(`${file}: ${what}; the plan is not what ${doc.playbook.path} gives (hand-edited and resealed?); make a new plan`);
  };
  let plays;
  try {
    plays = preparePlays({ playbook, inventory, extraVars: doc.extraVars, forks: 1, ...(doc.limit !== null ? { limit: doc.limit } : {}) });
  } catch (err) {
    if (err instanceof PlaybookError) fail(`the playbook no longer renders for the plan's hosts and -e vars (${err.message})`);
    throw err;
  }
  if (doc.plays.length !== plays.length) fail(`the plan has ${doc.plays.length} play(s) where the playbook has ${plays.length}`);
  for (const [i, recorded] of doc.plays.entries()) {
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
      const hostFail = (what: string): never => fail(`${where}: host ${host.host}: ${what}`);
      if (host.varsSha256 !== fingerprint(prepared.inventoryVars)) {
        throw new PlanFileError(
          host.varsSha256 === undefined
            ? `${file}: host ${host.host}: the plan records no digest of its inventory variables (made by an older mtafleet, or hand-edited); make a new plan`
            : `${file}: host ${host.host}: its inventory variables (${inventory.file}, group_vars/, host_vars/) changed since the plan was made; make a new plan`,
        );
      }
      if (host.lockPath !== prepared.lockPath) hostFail(`the lock path ${shown(host.lockPath)} is not the inventory's (${prepared.lockPath})`);
      if (host.become !== prepared.become) hostFail(`become ${host.become} is not what the playbook and inventory say (${prepared.become})`);
      const { replayed, mismatch } = await replayHost(host, prepared, kinds, hostFail);
      const difference = firstDifference(host, replayed, secretNote) ?? mismatch;
      if (difference) hostFail(difference);
    }
  }
}

/**
 * The planner run again (planHostWith, the code `plan` ran) on the recorded observations: what
 * it plans must be exactly what the plan records. A `when` on gathered facts is taken from the
 * plan (facts are not stored in plan files: they may hold config secrets).
 */
async function replayHost(recorded: PlannedHost, prepared: PreparedHost, kinds: StepKinds, fail: (what: string) => never): Promise<{ replayed: HostPlan; mismatch?: string }> {
  // A task the plan has not observed gets no observation: the comparison after the replay
  // then names the first place where plan and playbook part.
  let mismatch: string | undefined;
  // Params rendered from facts are re-rendered from the facts the plan recorded (apply checks
  // them against the host's before anything runs).
  if (recorded.facts) prepared.facts = { ...recorded.facts };
  const observe: Observe = async (task, _become, at) => {
    const r = recorded.tasks[at];
    if (r && r.name === task.def.name && r.handler === task.handler && r.skipped === undefined) return r.observations;
    mismatch ??= `the playbook runs ${label(task.handler, task.def.name)} here, the plan records it as skipped`;
    return {};
  };
  const decide: Decide = (host, task, registered, at) => {
    const r = recorded.tasks[at];
    if (!r || r.name !== task.def.name || r.handler !== task.handler) {
      mismatch ??= `the playbook has ${label(task.handler, task.def.name)} here, the plan ${r ? `has ${label(r.handler, r.name)}` : 'has nothing'}`;
    }
    return usesFacts(task.def) ? r?.skipped === undefined : conditionHolds(host, task, registered);
  };
  try {
    return { replayed: await planHostWith(observe, prepared, kinds, decide), ...(mismatch ? { mismatch } : {}) };
  } catch (err) {
    if (mismatch) fail(mismatch);
    if (err instanceof PlaybookError) fail(`the playbook cannot be planned from the recorded observations (${err.message})`);
    throw err;
  }
}

function usesFacts(task: TaskDef): boolean {
  // Gathered facts are `facts.*`, `ansible_facts.*` and the `ansible_*` names of facts.ts.
  return task.when.some((e) => [...varNames(e)].some((n) => n === 'facts' || n === 'ansible_facts' || FACT_NAMES.has(n)));
}

const label = (handler: boolean, name: string): string => `${handler ? 'handler' : 'task'} ${shown(name)}`;

/** The first place where the recorded host plan and the replayed one differ, in words. */
function firstDifference(recorded: HostPlan, replayed: HostPlan, secretNote: string): string | undefined {
  for (let i = 0; i < Math.max(recorded.tasks.length, replayed.tasks.length); i++) {
    const r = recorded.tasks[i];
    const p = replayed.tasks[i];
    if (!p) return `${label(r.handler, r.name)} is in the plan, but the playbook does not plan it there`;
    if (!r) return `the playbook plans ${label(p.handler, p.name)}, which the plan leaves out`;
    const what = `${p.handler ? 'handler' : 'task'} "${p.name}"`;
    if (r.name !== p.name || r.kind !== p.kind || r.handler !== p.handler) return `${label(r.handler, r.name)} [${shown(r.kind)}] is where the playbook has ${what} [${p.kind}]`;
    if (r.become !== p.become) return `${what}: become ${shown(r.become)} is not the playbook's (${shown(p.become)})`;
    if (!same(r.notify, p.notify)) return `${what}: notify ${shown(r.notify)} is not the playbook's (${shown(p.notify)})`;
    if ((r.skipped === undefined) !== (p.skipped === undefined)) return `${what}: recorded as ${r.skipped === undefined ? 'run' : 'skipped'} where its when says ${p.skipped === undefined ? 'run' : 'skip'}`;
    if (!same(r.params, p.params)) return `${what}: params are not what the playbook renders for this host (${differingKeys(r.params, p.params)} differ)${secretNote}`;
    if (!same(r.basis, p.basis)) return `${what}: the state it is planned against (basis) is not what the earlier tasks of the plan leave`;
    if (r.predicted !== p.predicted) return `${what}: recorded as ${r.predicted === undefined ? 'exact' : 'predicted'} where it ${p.predicted === undefined ? 'reads nothing an earlier task leaves unknown' : 'reads what an earlier task leaves unknown'}`;
    if (!same(r.plan, p.plan)) return `${what}: the recorded changes are not what mtafleet plans from the recorded observation and parameters`;
    for (const [k, v] of Object.entries(r.observations)) {
      if (!same(v, recorded.observations[k])) return `${what}: its observation ${shown(k)} is not the host's recorded one (did the host change while planning?)`;
    }
    if (!same(r, p)) return `${what}: the recorded entry is not the one the planner makes (a field added or altered)`;
  }
  if (!same(recorded.observations, replayed.observations)) return "the host's recorded observations are not the ones its tasks made";
  if (recorded.fingerprint !== replayed.fingerprint) return 'the recorded fingerprint is not the hash of the recorded observations';
  return undefined;
}

/** Which top-level params differ, by name only (the values may be large or secret). */
function differingKeys(a: unknown, b: unknown): string {
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return 'the values';
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(ra), ...Object.keys(rb)])].filter((k) => !same(ra[k], rb[k]));
  return keys.map((k) => shown(k)).join(', ') || 'the values';
}
