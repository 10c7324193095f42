// Parameter: no bottoms; one learnable blob of parameter_param.shape (zero-initialised unless it
// came with the layer), exposed as the top, which shares the blob's data and diff, so gradients
// arriving at the top land in the parameter's diff.
import { Blob } from '../core/blob';
import { Layer } from '../core/layer';
import { registerLayer } from '../core/layer_factory';
import { log } from '../util/logging';
import { blobShapeDims } from './layer_check';

export class ParameterLayer extends Layer {
  override layerSetUp(_bottom: Blob[], top: Blob[]): void {
    const shape = blobShapeDims(this.layerParam.parameter_param?.shape);
    if (this.blobs.length > 0) {
      log.info('Skipping parameter initialization');
    } else {
      this.blobs = [new Blob(shape)];
    }
    this.paramPropagateDown = this.blobs.map(() => true);
    top[0].reshape(shape);
  }

  // The top's shape was fixed at set-up.
  reshape(_bottom: Blob[], _top: Blob[]): void {}

  protected forwardCpu(_bottom: Blob[], top: Blob[]): void {
    top[0].shareData(this.blobs[0]);
    top[0].shareDiff(this.blobs[0]);
  }

  // The top's diff is the parameter's diff: nothing to do.
  protected override backwardCpu(_top: Blob[], _propagateDown: boolean[], _bottom: Blob[]): void {}

  override exactNumBottomBlobs(): number {
    return 0;
  }
  override exactNumTopBlobs(): number {
    return 1;
  }
}

registerLayer('Parameter', ParameterLayer);
