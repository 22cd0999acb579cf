export type { Action, Change, Diff, ObserveContext, StepKind, StepPlan } from './types.js';
export { STEP_KINDS } from './registry.js';
export { execAction, writeFileAction, removeFileAction, restoreFileAction, fileDiff, valueDiff } from './actions.js';
