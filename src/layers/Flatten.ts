// Flatten: collapses the axes axis..end_axis (inclusive; defaults 1 and -1) into one. No copy: the top
// is a view of the bottom, data and diff (Caffe shares them in forward and backward; sharing them at
// reshape, as Caffe's Reshape does, gives the same values and lets the Net plan the diffs).
// Not in place.
import { Blob } from '../core/blob';
import { Layer } from '../core/layer';
import { registerLayer } from '../core/layer_factory';
import { check, checkOp } from '../util/check';

export class FlattenLayer extends Layer {
  reshape(bottom: Blob[], top: Blob[]): void {
    check(this, top[0] !== bottom[0], 'top[0] != bottom[0]', `${this.type} Layer does not allow in-place computation.`);
    const b = bottom[0];
    const start = b.canonicalAxisIndex(this.param('flatten_param').axis);
    const end = b.canonicalAxisIndex(this.param('flatten_param').end_axis);
    const shape = [...b.shape.slice(0, start), b.countRange(start, end + 1), ...b.shape.slice(end + 1)];
    top[0].reshape(shape);
    checkOp(this, top[0].count, '==', b.count, 'top[0]->count() == bottom[0]->count()');
    top[0].shareData(b);
    top[0].shareDiff(b);
  }

  protected forwardCpu(_bottom: Blob[], _top: Blob[]): void {}
  protected override backwardCpu(_top: Blob[], _propagateDown: boolean[], _bottom: Blob[]): void {}

  override exactNumBottomBlobs(): number {
    return 1;
  }
  override exactNumTopBlobs(): number {
    return 1;
  }
}

registerLayer('Flatten', FlattenLayer);
