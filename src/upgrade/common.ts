// Helpers of the upgrade passes: glog-style fatal errors and CHECK failures. The message helpers
// they use (has, mutable, add, items, cloneMessage, ...) are in src/proto/message.ts.
import { CaffeError } from '../util/errors';

/** LOG(FATAL): the message alone. */
export function fatal(msg: string): never {
  throw new CaffeError(msg);
}

/** A failed CHECK(cond) << msg, worded as glog words it. */
export function checkFailed(cond: string, msg: string): never {
  throw new CaffeError(`Check failed: ${cond} ${msg}`);
}

/** CHECK_EQ(a, b) << msg; `expr` is the C++ text glog prints ("x.size() == 1"). */
export function checkEq(actual: number, expected: number, expr: string, msg: string): void {
  if (actual !== expected) checkFailed(`${expr} (${actual} vs. ${expected})`, msg);
}
