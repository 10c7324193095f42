// The weight (+ bias) parameter blobs of InnerProduct, Embed, Convolution and Deconvolution, set up as
// each of Caffe's LayerSetUp does.
import { Blob } from '../core/blob';
import { Layer } from '../core/layer';
import { fillBlob } from '../core/filler';
import type { FillerParameter } from '../proto/caffe';
import { log } from '../util/logging';

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
