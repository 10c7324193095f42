// glog CHECK / CHECK_OP failures in Caffe's words, as CaffeErrors the CLI prints on one line.
import { formatG } from '../util/format';
import { CaffeError } from '../util/errors';

type Op = '==' | '!=' | '<' | '<=' | '>' | '>=';

/** How glog streams a CHECK_OP operand: ints as ints, floats as %g. */
const operand = (x: number) => (Number.isInteger(x) && Math.abs(x) < 2 ** 31 ? String(x) : formatG(x, 6));

/** CHECK(cond) << msg. */
export function check(cond: boolean, expr: string, msg = ''): void {
  if (!cond) throw new CaffeError(`Check failed: ${expr}${msg ? ' ' + msg : ''}`);
}

/** CHECK_EQ/NE/LT/LE/GT/GE(a, b) << msg, printed as `Check failed: ea op eb (a vs. b) msg`. */
export function checkOp(a: number, op: Op, b: number, ea: string, eb: string, msg = ''): void {
  const ok = op === '==' ? a === b : op === '!=' ? a !== b : op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
  if (!ok) throw new CaffeError(`Check failed: ${ea} ${op} ${eb} (${operand(a)} vs. ${operand(b)})${msg ? ' ' + msg : ''}`);
}
