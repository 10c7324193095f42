// Helpers shared by Pooling and LRN: the 4-axis input rule (glog-worded CHECK failures from util/check.ts).
import { Blob } from '../core/blob';
import { Layer } from '../core/layer';
import { checkOp } from '../util/check';
import { layerError } from './layer_check';

/** Pooling and LRN take NCHW input only, and never run in place. */
export function checkNchwInput(layer: Layer, bottom: Blob[], top: Blob[]): void {
  checkOp(
    layer,
    4,
    '==',
    bottom[0].numAxes,
    '4 == bottom[0]->num_axes()',
    'Input must have 4 axes, corresponding to (num, channels, height, width)',
  );
  if (top[0] === bottom[0]) throw layerError(layer, 'does not allow in-place computation');
}
