/**
 * A plan file's digest catches accidental edits, but anyone can recompute a sha256. So apply
 * also re-derives every change from what the plan recorded: plan() is pure, so the recorded
 * observation (with the basis projected by earlier tasks) and parameters must yield exactly the
 * recorded changes, and the recorded
 * fingerprint must be the hash of the recorded observations. A hand-made action (a command
 * mtafleet's planner would never build from validated parameters) is refused. This needs only
 * the plan file; whether the parameters themselves are the playbook's is checked at apply by
 * plan-source.ts, which re-makes the whole plan from the playbook.
 */
import { PlanFileError } from '../util/errors.js';
import { canonicalJson } from './canonical.js';
import { observationFingerprint } from './volatile.js';
import { planFromRecord, type StepKinds } from './plan-host.js';
import type { PlanDocument } from './planfile.js';

export function verifyPlanDerivation(doc: PlanDocument, kinds: StepKinds, file: string): void {
  for (const play of doc.plays) {
    for (const host of play.hosts) {
      const where = `${file}: host ${host.host}`;
      if (observationFingerprint(host.observations) !== host.fingerprint) {
        throw new PlanFileError(`${where}: the recorded fingerprint is not the hash of the recorded observations (hand-edited?); make a new plan`);
      }
      for (const task of host.tasks) {
        const foreign = task.skipped ? undefined : undeclaredResource(kinds, task);
        if (foreign) throw new PlanFileError(`${where}: task "${task.name}": ${foreign} (hand-edited?); make a new plan`);
        if (task.skipped || task.plan.kind !== 'changes') continue;
        const step = kinds[task.kind];
        if (!step) throw new PlanFileError(`${where}: task "${task.name}" has unknown step kind "${task.kind}"`);
        const params = step.params.safeParse(task.params);
        if (!params.success) {
          throw new PlanFileError(`${where}: task "${task.name}" has parameters that do not validate (hand-edited?); make a new plan`);
        }
        const derived = planFromRecord(step, { ...task, params: params.data });
        if (canonicalJson(derived) !== canonicalJson(task.plan)) {
          throw new PlanFileError(
            `${where}: task "${task.name}": the recorded changes are not what mtafleet plans from the recorded observation and parameters (hand-edited?); make a new plan`,
          );
        }
      }
    }
  }
}

/** A recorded observation or basis outside the resources the task's step kind reads, in words. */
function undeclaredResource(kinds: StepKinds, task: PlanDocument['plays'][number]['hosts'][number]['tasks'][number]): string | undefined {
  const step = kinds[task.kind];
  const params = step?.params.safeParse(task.params);
  if (!step || !params?.success) return undefined; // named below for a task with changes; the replay names the rest
  const declared = new Set(step.resources(params.data));
  const observed = Object.keys(task.observations).find((k) => !declared.has(k));
  if (observed !== undefined) return `its observation holds ${JSON.stringify(observed)}, which a ${task.kind} task does not read`;
  const based = Object.keys(task.basis ?? {}).find((k) => !(k in task.observations));
  if (based !== undefined) return `its basis holds ${JSON.stringify(based)}, which it did not observe`;
  return undefined;
}
