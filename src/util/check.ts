// glog's CHECK vocabulary as Caffe uses it (CHECK, CHECK_EQ/NE/LT/LE/GT/GE, LOG(FATAL)). Every failure
// throws a CaffeError, which the CLI prints as one line:
//   [<who>: ]Check failed: <expr> (<a> vs. <b>) <msg>
// Every function takes first the one it names (`who`): a layer, printed `<type> layer <name>: `; any
// other text, printed `<text>: `; or null (or '') for no prefix, as the solver, net and upgrade checks.
import { formatG } from '../formats/prototxt_numbers';
import { CaffeError } from './errors';

/** Whom a failure is attributed to: a layer (`{ type, name }`), a free-form name, or nobody (null or ''). */
export type Who = { readonly type: string; readonly name: string } | string | null;

/** The comparison of a CHECK_OP: CHECK_EQ is '==', CHECK_NE '!=', CHECK_LT '<', and so on. */
export type CheckOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

/** The error LOG(FATAL) << what raises, prefixed by `who`. */
export function fatalError(who: Who, what: string): CaffeError {
  const prefix = who === null || typeof who === 'string' ? who : `${who.type} layer ${who.name}`;
  return new CaffeError(prefix ? `${prefix}: ${what}` : what);
}

/** LOG(FATAL) << msg. */
export function fatal(who: Who, msg: string): never {
  throw fatalError(who, msg);
}

/**
 * A CHECK known to have failed: `Check failed: <expr> <msg>`, where `expr` is the condition as glog
 * prints it (with its ` (a vs. b)` when the caller formatted one). glog streams a space after the
 * condition, so a `msg` given as '' keeps that trailing space; an absent one leaves none.
 */
export function checkFailed(who: Who, expr: string, msg?: string): never {
  throw fatalError(who, `Check failed: ${expr}${msg === undefined ? '' : ` ${msg}`}`);
}

/** CHECK(cond) << msg; `expr` is the C++ text of the condition. */
export function check(who: Who, cond: boolean, expr: string, msg?: string): void {
  if (!cond) checkFailed(who, expr, msg);
}

/** How glog streams a CHECK_OP operand: an int as an int, anything else (a float) as %g. */
export function glogValue(x: number): string {
  return Number.isInteger(x) && x >= -(2 ** 31) && x < 2 ** 31 ? String(x) : formatG(x, 6);
}

function holds(a: number, op: CheckOp, b: number): boolean {
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    default:
      return a >= b;
  }
}

/**
 * CHECK_EQ / CHECK_NE / CHECK_LT / CHECK_LE / CHECK_GT / CHECK_GE (a, b) << msg; `expr` is the C++ text
 * of the whole comparison ("a == b"). Fails as `Check failed: <expr> (<a> vs. <b>) <msg>`.
 */
export function checkOp(who: Who, a: number, op: CheckOp, b: number, expr: string, msg?: string): void {
  if (!holds(a, op, b)) checkFailed(who, `${expr} (${glogValue(a)} vs. ${glogValue(b)})`, msg);
}
