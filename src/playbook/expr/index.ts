export { ExprError, parseExpr, tokenize, varNames, MAX_EXPR_CHARS, type Node } from './parse.js';
export { evaluate, ansibleTruthy, looseEqual, pyStr, show, Undef, Lazy, FILTERS, type EvalContext, type Mode } from './eval.js';
