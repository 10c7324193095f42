// Helpers shared by Pooling and LRN: glog-worded CHECK failures (layer_check.ts) and the 4-axis input rule.
import { Blob } from '../core/blob';
import { Layer } from '../core/layer';
import { check, layerError } from './layer_check';

export { check };

/** CHECK_<op>(a, b) << msg, with glog's `(a vs. b)`. */
export function checkOp(layer: Layer, ok: boolean, expr: string, a: number, b: number, msg = ''): void {
  check(layer, ok, `${expr} (${a} vs. ${b})`, msg);
}

/** Pooling and LRN take NCHW input only, and never run in place. */
export function checkNchwInput(layer: Layer, bottom: Blob[], top: Blob[]): void {
  checkOp(layer, bottom[0].numAxes === 4, '4 == bottom[0]->num_axes()', 4, bottom[0].numAxes,
    'Input must have 4 axes, corresponding to (num, channels, height, width)');
  if (top[0] === bottom[0]) throw layerError(layer, 'does not allow in-place computation');
}
