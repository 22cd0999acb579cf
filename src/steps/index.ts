export type { Action, Change, Diff, ObserveContext, Projection, StepKind, StepPlan } from './types.js';
export { UNKNOWN_FIELD } from './types.js';
export { resource, EVERYTHING, type ResourceKey } from './resources.js';
export { STEP_KINDS } from './registry.js';
export { execAction, writeFileAction, removeFileAction, restoreFileAction, fileDiff, valueDiff } from './actions.js';
