/**
 * The `when` language: the expression language of expr/ (the common Jinja subset Ansible users
 * write: comparisons, arithmetic, `in`, `is defined`, filters, subscripts), evaluated as a
 * condition. No eval. Names are looked up in the host's variables (facts, inventory, play,
 * extra vars, magic variables such as `groups` and `hostvars`, and results registered by
 * earlier tasks: `result.changed`). A secret may be compared (only a yes/no comes out); error
 * messages show it as ***.
 */
import { ExprError, ansibleTruthy, evaluate, parseExpr, type Node } from './expr/index.js';
import { renderLazyText, type Vars } from './template.js';

export class WhenError extends Error {}

export type Expr = Node;

export function parseWhen(src: string): Expr {
  try {
    return parseExpr(src);
  } catch (err) {
    if (err instanceof ExprError) throw new WhenError(err.message === 'empty expression' ? 'empty condition' : err.message);
    throw err;
  }
}

export function evalWhen(e: Expr, vars: Vars): unknown {
  try {
    return evaluate(e, { vars, mode: 'when', renderLazy: (text) => renderLazyText(text, vars, 'when', 1) });
  } catch (err) {
    if (err instanceof ExprError) throw new WhenError(err.message);
    throw err;
  }
}

/** Ansible-like truthiness: "false", "no", "off", "0" and "" strings are false. */
export const truthy = ansibleTruthy;

/** A task's `when`: a string, a boolean, or a list that must all hold. */
export function whenHolds(conditions: Expr[], vars: Vars): boolean {
  return conditions.every((c) => truthy(evalWhen(c, vars)));
}
