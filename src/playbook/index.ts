export { loadPlaybook, parsePlaybook, serialRules } from './load.js';
export { mergeVars, renderPlayVars, resolveParams, type VarLayers } from './vars.js';
export { parseWhen, evalWhen, whenHolds, truthy, WhenError, type Expr } from './when.js';
export { renderValue, renderString, TemplateError, type Vars } from './template.js';
export type { Playbook, PlayDef, TaskDef, SerialRule, HealthGate } from './types.js';
export { selectTasks, taskSelected, parseTagList, type TagSelection } from './tags.js';
