/** The change engine: planning, applying, journal, rollback, batches, locks, plan files. */
export { planPlaybook, runPlaybook, preparePlays, outcomesOfPlan, type PlaybookRunOptions, type LiveRunOptions } from './run.js';
export { planFromAudit, verifyFromAuditSources, remedyGroups, SHIPPED_PLAYBOOKS, type FromAuditOptions } from './from-audit.js';
export { readAuditFile, parseAudit, type AuditInput } from './audit-input.js';
export { applyPlan, checkPlanSources, type ApplyOptions } from './apply.js';
export { rollbackRun, type RollbackOptions, type RollbackResult } from './rollback.js';
export { rollbackFromHosts, listHostRuns, type HostRuns, type StoreRecords } from './rollback-hosts.js';
export { remoteUndoStore, RETENTION_DAYS, RETENTION_RUNS, type HostUndoStore, type HostRunSummary } from './host-undo.js';
export { planHost, planTask, reobserve, type HostPlan, type PlannedTask, type StepKinds } from './plan-host.js';
export { prepareHost, type PreparedHost } from './prepare.js';
export { writePlanFile, readPlanFile, writeApprovedPlanFile, planDigest, redactVars, type PlanBody, type PlanDocument, type ApprovalCheck, type FromAudit, type FromAuditSource } from './planfile.js';
export { batchSizes, splitBatches, shouldStop } from './batches.js';
export { describeDrift } from './drift.js';
export { fingerprint, canonicalJson } from './canonical.js';
export { Journal, readJournal, pendingUndos, type JournalRecord } from './journal.js';
export { listRuns, readRunRecord, findRunRecord, type RunResult, type RunRecord, type HostOutcome } from './run-record.js';
export { remoteLock, DEFAULT_LOCK_PATH, type HostLock } from './lock.js';
export type { EngineEvent, EngineListener } from './events.js';
export type { EngineDeps } from './fleet.js';
