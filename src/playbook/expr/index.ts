export { ExprError, parseExpr, tokenize, varNames, MAX_EXPR_CHARS, type Node } from './parse.js';
export { evaluate, Undef, Lazy, type EvalContext, type Mode } from './eval.js';
export { ansibleTruthy, looseEqual, pyStr, show } from './values.js';
export { FILTERS } from './filters.js';
