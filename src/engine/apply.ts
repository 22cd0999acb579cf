/**
 * `apply PLANFILE`: the plan's integrity was checked by readPlanFile; here the inventory must
 * be the one the plan was made with, the plan must be what its playbook gives (plan-source.ts),
 * each host is re-observed and refused when it drifted, and the others get exactly the planned
 * changes, rolled in the plan's batches.
 */
import type { Inventory } from '../inventory/types.js';
import { inventoryBytes } from '../inventory/index.js';
import { PlanFileError } from '../util/errors.js';
import { sha256Hex } from './canonical.js';
import { silent } from './events.js';
import { eachHost, specsFor, type EngineDeps } from './fleet.js';
import { applyHost } from './host-work.js';
import { Journal } from './journal.js';
import type { PlanDocument } from './planfile.js';
import type { Signer } from '../approval/approvals.js';
import type { StepKinds } from './plan-host.js';
import { loadPlanPlaybook, verifyPlanSource } from './plan-source.js';
import { verifyFromAuditSources } from './from-audit.js';
import { rollBatches } from './rolling.js';
import { RunTally } from './tally.js';
import { currentUser, newRunId, outcomeOnly, summarize, writeRunRecord, type RunRecord, type RunResult } from './run-record.js';

export interface ApplyOptions {
  planFile: string;
  inventory: Inventory;
  forks: number;
  stateDir: string;
  autoRollback: boolean;
  resolve?: import('../transport/spec.js').ResolveOptions;
  runId?: string;
  /** The plan's approvers, checked by `apply --require-approval`; kept in the run record. */
  signers?: Signer[];
}

export function checkInventoryMatches(doc: PlanDocument, inventory: Inventory): void {
  let actual: string;
  try {
    actual = sha256Hex(inventoryBytes(inventory));
  } catch (err) {
    throw new PlanFileError(`cannot read the plan's inventory ${inventory.file}: ${(err as Error).message}`);
  }
  if (actual !== doc.inventory.sha256) {
    throw new PlanFileError(`the inventory ${inventory.file} changed since the plan was made (sha256 ${doc.inventory.sha256.slice(0, 12)} -> ${actual.slice(0, 12)}); make a new plan`);
  }
}

/** Everything checked before a host is contacted: same inventory, hosts in it, plan = playbook's. */
export async function checkPlanSources(doc: PlanDocument, inventory: Inventory, planFile: string, kinds?: StepKinds): Promise<void> {
  checkInventoryMatches(doc, inventory);
  for (const play of doc.plays) {
    for (const h of play.hosts) {
      if (!inventory.hosts.has(h.host)) throw new PlanFileError(`host ${h.host} of the plan is not in ${inventory.file}`);
    }
  }
  // A from-audit plan is several playbooks' plans: each is re-made from its own source.
  if (doc.fromAudit) await verifyFromAuditSources(doc, inventory, planFile, kinds);
  else await verifyPlanSource(doc, loadPlanPlaybook(doc, planFile), inventory, planFile, kinds);
}

export async function applyPlan(doc: PlanDocument, opts: ApplyOptions, deps: EngineDeps = {}): Promise<RunResult> {
  await checkPlanSources(doc, opts.inventory, opts.planFile, deps.kinds);
  const runId = opts.runId ?? newRunId();
  const user = currentUser();
  const emit = deps.emit ?? silent;
  const record: RunRecord = {
    runId,
    command: 'apply',
    check: false,
    startedAt: new Date().toISOString(),
    finishedAt: null,
    user,
    playbook: doc.playbook.path,
    inventory: opts.inventory.file,
    planFile: opts.planFile,
    ...(opts.signers ? { signers: opts.signers } : {}),
    hosts: [],
    summary: summarize([]),
    notRun: [],
  };
  writeRunRecord(opts.stateDir, record);
  const journal = Journal.open(opts.stateDir, runId);
  const tally = new RunTally();
  try {
    for (const play of doc.plays) {
      // Hosts with no plan (unreachable, failed or refused at plan time) are reported with
      // that outcome, not guessed at.
      for (const u of play.unreachable) {
        tally.add({ name: u.host, status: u.status ?? 'unreachable', changes: 0, error: `no plan for this host (at plan time: ${u.error})` });
      }
      const hosts = tally.eligible(play.hosts, (h) => h.host);
      if (hosts.length === 0) continue;
      const byName = new Map(hosts.map((h) => [h.host, h]));
      const specs = specsFor(hosts.map((h) => opts.inventory.hosts.get(h.host)!), { inventory: opts.inventory, forks: opts.forks, resolve: opts.resolve });
      const rolled = await rollBatches(play.name, specs, play.rolling, opts.forks, { ...deps, emit }, (batch) =>
        eachHost(batch, opts.forks, { ...deps, emit }, (conn) => {
          const plan = byName.get(conn.name)!;
          return applyHost(conn, plan, {
            runId,
            user,
            journal,
            autoRollback: opts.autoRollback,
            emit,
            kinds: deps.kinds,
            lock: deps.lock,
            undoStore: deps.undoStore,
            facts: deps.facts,
            lockPath: plan.lockPath,
            become: plan.become,
            playIndex: play.index,
          });
        }).then((rs) => rs.map(outcomeOnly)),
      );
      tally.addRolled(rolled);
    }
  } finally {
    journal.close();
  }
  return tally.finish(opts.stateDir, { ...record, journal: journal.anchor }, runId);
}
