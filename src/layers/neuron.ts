// Base of element-wise layers (Caffe's NeuronLayer): one bottom, one top of the same shape,
// in-place allowed.
import { Blob } from '../core/blob';
import { Layer } from '../core/layer';

let shared = new Float32Array(0);

/** A scratch array of n floats shared by the element-wise layers (they run one at a time). */
export function neuronScratch(n: number): Float32Array {
  if (shared.length < n) shared = new Float32Array(n);
  return shared.subarray(0, n);
}

export abstract class NeuronLayer extends Layer {
  reshape(bottom: Blob[], top: Blob[]): void {
    if (top[0] !== bottom[0]) top[0].reshapeLike(bottom[0]);
  }
  override exactNumBottomBlobs(): number {
    return 1;
  }
  override exactNumTopBlobs(): number {
    return 1;
  }
}
