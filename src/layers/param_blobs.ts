// The weight (+ bias) parameter blobs of InnerProduct, Embed, Convolution and Deconvolution, set up as
// each of Caffe's LayerSetUp does.
import { Blob } from '../core/blob';
import { Layer } from '../core/layer';
import { fillBlob } from '../core/filler';
import type { FillerParameter } from '../proto/caffe';
import { log } from '../util/logging';
import { checkMemoryFor } from '../util/memory';

/** Parameters from this size on are checked against the memory available before they are filled. */
const PARAMS_CHECKED_BYTES = 64 * 2 ** 20;

/** The filler fields InnerProduct, Embed and Convolution parameters share. */
export type WeightFillers = { weight_filler?: FillerParameter; bias_filler?: FillerParameter };

/** Blobs that came with the layer definition (LayerParameter.blobs) are kept; else blobs_[0] = a weight
 *  of `weightShape` filled by p.weight_filler, then, when `biasShape` is given (bias_term), blobs_[1] =
 *  a bias of that shape filled by p.bias_filler: weight before bias, Caffe's order of random draws.
 *  Every parameter blob gets param_propagate_down = true. */
export function setUpWeightAndBias(layer: Layer, p: WeightFillers, weightShape: number[], biasShape?: number[]): void {
  if (layer.blobs.length > 0) {
    log.info('Skipping parameter initialization');
  } else {
    checkParamsFit(layer, biasShape ? [weightShape, biasShape] : [weightShape]);
    const w = new Blob(weightShape);
    fillBlob(w, p.weight_filler, layer);
    layer.blobs = [w];
    if (biasShape) {
      const b = new Blob(biasShape);
      fillBlob(b, p.bias_filler, layer);
      layer.blobs.push(b);
    }
  }
  layer.paramPropagateDown = layer.blobs.map(() => true);
}

/**
 * Refuses in one line, before they are allocated and filled, parameters that cannot fit in the memory
 * available: their data, and their diffs when training (what the Net's estimate counts for them).
 */
function checkParamsFit(layer: Layer, shapes: number[][]): void {
  let floats = 0;
  for (const s of shapes) floats += s.reduce((a, d) => a * Math.max(d, 0), 1);
  const bytes = floats * 4 * (layer.phase === 'TRAIN' ? 2 : 1);
  if (bytes >= PARAMS_CHECKED_BYTES) checkMemoryFor(`${layer.type} layer ${layer.name}`, 'its parameters', bytes);
}
