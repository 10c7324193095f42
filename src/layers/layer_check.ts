// Layer errors: a CaffeError naming the layer (util/check.ts words it; its check/checkOp take the layer
// as their first argument to fail the same way, "Check failed: a == b (3 vs. 4) message").
import { Layer } from '../core/layer';
import { fatalError } from '../util/check';
import { CaffeError } from '../util/errors';

/** An error attributed to `layer`: `<Type> layer <name>: <what>`. */
export function layerError(layer: Layer, what: string): CaffeError {
  return fatalError(layer, what);
}

/** The dims of a BlobShape message (absent = no axes). */
export function blobShapeDims(shape: { dim?: ArrayLike<number> } | undefined): number[] {
  return Array.from(shape?.dim ?? [], Number);
}
