// Input: a data layer with no bottoms whose tops are only shaped (input_param.shape: none, one for
// every top, or one per top) and then filled from outside (Net inputs, the Python/TS API).
// Reshape, forward and backward do nothing.
import { Blob } from '../core/blob';
import { Layer } from '../core/layer';
import { registerLayer } from '../core/layer_factory';
import { blobShapeDims } from './layer_check';
import { check } from '../util/check';

export class InputLayer extends Layer {
  override layerSetUp(_bottom: Blob[], top: Blob[]): void {
    const shapes = this.layerParam.input_param?.shape ?? [];
    const n = shapes.length;
    check(
      this,
      n === 0 || n === 1 || n === top.length,
      'num_shape == 0 || num_shape == 1 || num_shape == num_top',
      `Must specify 'shape' once, once per top blob, or not at all: ${top.length} tops vs. ${n} shapes.`,
    );
    if (n === 0) return;
    for (let i = 0; i < top.length; i++) top[i].reshape(blobShapeDims(shapes[n === 1 ? 0 : i]));
  }

  // The tops keep whatever shape they were given: there is nothing to derive it from.
  reshape(_bottom: Blob[], _top: Blob[]): void {}

  protected forwardCpu(_bottom: Blob[], _top: Blob[]): void {}
  protected override backwardCpu(_top: Blob[], _propagateDown: boolean[], _bottom: Blob[]): void {}

  override exactNumBottomBlobs(): number {
    return 0;
  }
  override minTopBlobs(): number {
    return 1;
  }
}

registerLayer('Input', InputLayer);
