/** The history store: audits and runs over time, in SQLite (default) or PostgreSQL. */
export { auditRecord, findingRows, findingSubject, fleetAggregate, hostRow } from './extract.js';
export { compareAudits, type Comparison } from './compare.js';
export { describeTarget, openStore, storeNamed, saveHistory, storeError, storeTarget, writeItem, type HistoryOptions, type SaveResult, type StoreTarget } from './open.js';
export { flushPending, pendingCount, pendingDir, savePending, type PendingItem } from './pending.js';
export { redactText, redactUrl } from './redact.js';
export { renderComparison, renderHistoryMarkdown, renderHistoryTable } from './render.js';
export { renderHistoryHtml } from './html.js';
export { HistoryStore, JOURNAL_MAX_BYTES, JOURNAL_MAX_LINES } from './store.js';
export { HOST_POINTS_MAX, historyData, trendSeries, type HistoryData } from './trends.js';
export { matchHostNames } from './limit.js';
export { runRow, whoAmI } from './run-row.js';
export type { ApprovalRow, AuditParams, AuditRecord, AuditSnapshot, JournalRow, RunExtras, RunRow, StoredJournal } from './types.js';
