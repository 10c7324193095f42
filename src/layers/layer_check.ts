// Caffe-style CHECK helpers for layers: a failed check throws a CaffeError naming the layer, with
// the wording Caffe's glog CHECK macros print ("Check failed: a == b (3 vs. 4) message").
import { Layer } from '../core/layer';
import { CaffeError } from '../util/errors';

/** An error attributed to `layer`: `<Type> layer <name>: <what>`. */
export function layerError(layer: Layer, what: string): CaffeError {
  return new CaffeError(`${layer.type} layer ${layer.name}: ${what}`);
}

/** CHECK(cond) << msg */
export function check(layer: Layer, ok: boolean, cond: string, msg = ''): void {
  if (!ok) throw layerError(layer, `Check failed: ${cond}${msg ? ` ${msg}` : ''}`);
}

type Op = '==' | '!=' | '<' | '<=' | '>' | '>=';

/** CHECK_EQ / CHECK_NE / CHECK_LT / ... (a, b) << msg, printing both values as glog does. */
export function checkOp(layer: Layer, a: number, op: Op, b: number, cond: string, msg = ''): void {
  let ok: boolean;
  switch (op) {
    case '==': ok = a === b; break;
    case '!=': ok = a !== b; break;
    case '<': ok = a < b; break;
    case '<=': ok = a <= b; break;
    case '>': ok = a > b; break;
    default: ok = a >= b; break;
  }
  if (!ok) throw layerError(layer, `Check failed: ${cond} (${a} vs. ${b})${msg ? ` ${msg}` : ''}`);
}

/** The dims of a BlobShape message (absent = no axes). */
export function blobShapeDims(shape: { dim?: ArrayLike<number> } | undefined): number[] {
  return Array.from(shape?.dim ?? [], Number);
}
