/**
 * `plan` and `run`: prepare every host (all input errors first), then per play either plan
 * (observe + plan, nothing applied) or roll through batches applying task by task.
 */
import type { InventoryHost } from '../inventory/types.js';
import type { Playbook } from '../playbook/types.js';
import type { Vars } from '../playbook/template.js';
import { magicVars } from '../playbook/vars.js';
import type { HostConnection } from '../transport/types.js';
import { eachHost, isFailure, mergeOutcome, playHosts, specsFor, type EngineDeps, type FleetOptions } from './fleet.js';
import { runHost } from './host-work.js';
import { Journal } from './journal.js';
import { planHost, plansChange } from './plan-host.js';
import type { PlanBody, PlannedHost, Rolling } from './planfile.js';
import { prepareHost, type PreparedHost } from './prepare.js';
import { redactVars } from './planfile.js';
import { rollBatches } from './rolling.js';
import { RunTally } from './tally.js';
import { currentUser, newRunId, outcomeOnly, summarize, writeRunRecord, type HostOutcome, type RunRecord, type RunResult } from './run-record.js';
import { fingerprint, sha256Hex } from './canonical.js';
import { PlaybookError } from '../util/errors.js';
import { wrapSecrets } from '../inventory/validate.js';
import { inventoryBytes } from '../inventory/index.js';
import { silent } from './events.js';

export interface PlaybookRunOptions extends FleetOptions {
  playbook: Playbook;
  extraVars: Vars;
}

interface PreparedPlay {
  index: number;
  name: string;
  rolling: Rolling;
  hosts: Array<{ inv: InventoryHost; prepared: PreparedHost }>;
}

/** All input checks, before any connection: host selection, templates, params. */
export function preparePlays(opts: PlaybookRunOptions): PreparedPlay[] {
  const extraVars = secretExtraVars(opts.extraVars);
  return opts.playbook.plays.map((play, index) => {
    const hosts = playHosts(opts.inventory, play.hosts, opts.limit);
    const magic = magicVars(opts.inventory, hosts.map((h) => h.name));
    return {
      index,
      name: play.name,
      rolling: { serial: play.serial, maxFailPercentage: play.maxFailPercentage, healthGate: play.healthGate },
      hosts: hosts.map((inv) => ({ inv, prepared: prepareHost(opts.playbook, index, inv, extraVars, magic) })),
    };
  });
}

/**
 * -e values with secret names (smtp_password=...) become Secret, as inventory secrets do: a
 * template using one in task params is refused, so it never reaches a plan, journal or diff.
 */
export function secretExtraVars(vars: Vars): Vars {
  return Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, wrapSecrets(k, v)]));
}

/** Observe + plan every host of every play; nothing is changed. */
export async function planPlaybook(opts: PlaybookRunOptions, deps: EngineDeps = {}): Promise<PlanBody> {
  const plays = preparePlays(opts);
  const body: PlanBody = {
    format: 'mtafleet-plan',
    version: 1,
    created: new Date().toISOString(),
    user: currentUser(),
    playbook: {
      path: opts.playbook.file,
      sha256: opts.playbook.sha256,
      ...(opts.playbook.selection?.tags?.length ? { tags: opts.playbook.selection.tags } : {}),
      ...(opts.playbook.selection?.skipTags?.length ? { skipTags: opts.playbook.selection.skipTags } : {}),
    },
    inventory: { path: opts.inventory.file, sha256: sha256Hex(inventoryBytes(opts.inventory)) },
    limit: opts.limit ?? null,
    extraVars: redactVars(secretExtraVars(opts.extraVars)),
    plays: [],
  };
  for (const play of plays) {
    const byName = new Map(play.hosts.map((h) => [h.inv.name, h.prepared]));
    const planned: PlannedHost[] = [];
    const unreachable: PlanBody['plays'][number]['unreachable'] = [];
    const specs = specsFor(play.hosts.map((h) => h.inv), opts);
    const inputErrors: PlaybookError[] = [];
    const results = await eachHost(specs, opts.forks, deps, async (conn: HostConnection) => {
      const prepared = byName.get(conn.name)!;
      const plan = await planHost(conn, prepared, deps.kinds, deps.facts).catch((err: unknown) => {
        // A playbook problem only visible on the host (a `when` on an undefined variable)
        // is bad input, reported as such once every host is planned.
        if (err instanceof PlaybookError) inputErrors.push(err);
        throw err;
      });
      for (const t of plan.tasks) deps.emit?.({ type: 'task-planned', host: conn.name, task: t.name, plan: t.plan });
      planned.push({ ...plan, lockPath: prepared.lockPath, become: prepared.become, varsSha256: fingerprint(prepared.inventoryVars) });
      return { name: conn.name, status: 'ok' as const, changes: 0, error: null };
    });
    if (inputErrors.length > 0) throw inputErrors[0];
    // A host without a plan keeps the outcome its error gave it (unreachable, failed, refused).
    for (const r of results) if (isFailure(r)) unreachable.push({ host: r.name, error: r.error ?? r.status, status: r.status });
    const order = new Map(play.hosts.map((h, i) => [h.inv.name, i]));
    planned.sort((a, b) => order.get(a.host)! - order.get(b.host)!);
    body.plays.push({ index: play.index, name: play.name, rolling: play.rolling, hosts: planned, unreachable });
  }
  return body;
}

/** Per host: how many changes a plan holds and whether something was refused. */
export function outcomesOfPlan(body: PlanBody): HostOutcome[] {
  const merged = new Map<string, HostOutcome>();
  for (const play of body.plays) {
    for (const h of play.hosts) {
      // changed_when: false — the command runs, but is reported ok (as run reports it).
      const changes = h.tasks.reduce((n, t) => n + (t.plan.kind === 'changes' && plansChange(t) ? t.plan.changes.length : 0), 0);
      const refused = h.tasks.find((t) => t.plan.kind === 'refused');
      const outcome: HostOutcome = refused
        ? { name: h.host, status: 'refused', changes, error: `task "${refused.name}": ${(refused.plan as { reason: string }).reason}` }
        : { name: h.host, status: changes > 0 ? 'changed' : 'ok', changes, error: null };
      merged.set(h.host, mergeOutcome(merged.get(h.host), outcome));
    }
    for (const u of play.unreachable) {
      merged.set(u.host, mergeOutcome(merged.get(u.host), { name: u.host, status: u.status ?? 'unreachable', changes: 0, error: u.error }));
    }
  }
  return [...merged.values()];
}

export interface LiveRunOptions extends PlaybookRunOptions {
  stateDir: string;
  autoRollback: boolean;
  runId?: string;
}

/** `run` without --check: every play, batch by batch, task by task. */
export async function runPlaybook(opts: LiveRunOptions, deps: EngineDeps = {}): Promise<RunResult> {
  const plays = preparePlays(opts);
  const runId = opts.runId ?? newRunId();
  const user = currentUser();
  const record: RunRecord = {
    runId,
    command: 'run',
    check: false,
    startedAt: new Date().toISOString(),
    finishedAt: null,
    user,
    playbook: opts.playbook.file,
    inventory: opts.inventory.file,
    hosts: [],
    summary: summarize([]),
    notRun: [],
  };
  // Written first, so a runner killed mid-run still leaves a run that `rollback` can find.
  writeRunRecord(opts.stateDir, record);
  const journal = Journal.open(opts.stateDir, runId);
  const emit = deps.emit ?? silent;
  const tally = new RunTally();
  try {
    for (const play of plays) {
      const hosts = tally.eligible(play.hosts, (h) => h.inv.name);
      if (hosts.length === 0) continue;
      const byName = new Map(hosts.map((h) => [h.inv.name, h.prepared]));
      const specs = specsFor(hosts.map((h) => h.inv), opts);
      const rolled = await rollBatches(play.name, specs, play.rolling, opts.forks, { ...deps, emit }, (batch) =>
        eachHost(batch, opts.forks, { ...deps, emit }, (conn) =>
          runHost(conn, byName.get(conn.name)!, play.index, { runId, user, journal, autoRollback: opts.autoRollback, emit, kinds: deps.kinds, lock: deps.lock, undoStore: deps.undoStore, facts: deps.facts }),
        ).then((rs) => rs.map(outcomeOnly)),
      );
      tally.addRolled(rolled);
    }
  } finally {
    journal.close();
  }
  return tally.finish(opts.stateDir, { ...record, journal: journal.anchor }, runId);
}

