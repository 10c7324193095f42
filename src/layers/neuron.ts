// Base of element-wise layers (Caffe's NeuronLayer): one bottom, one top of the same shape,
// in-place allowed.
import { Blob } from '../core/blob';
import { Layer } from '../core/layer';

export abstract class NeuronLayer extends Layer {
  reshape(bottom: Blob[], top: Blob[]): void {
    if (top[0] !== bottom[0]) top[0].reshapeLike(bottom[0]);
  }
  override exactNumBottomBlobs(): number { return 1; }
  override exactNumTopBlobs(): number { return 1; }
}
