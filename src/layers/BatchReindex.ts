// BatchReindex: selects, in any order and with repeats, items of the batch along the first axis:
//   top[i] = bottom[0][ idx[i] ]      (idx = bottom[1], a 1-D blob of indices in [0, bottom[0].shape[0]))
// so top's shape is [len(idx), bottom[0].shape[1..]]. The indices are read as Caffe does (a float
// checked against 0 and the batch size, then truncated to int). Backward zeroes bottom[0]'s diff and
// adds each top item's diff into the item it came from (a repeated index receives the sum, in top
// order); the indices receive no gradient.
import { Blob } from '../core/blob';
import { Layer } from '../core/layer';
import { registerLayer } from '../core/layer_factory';
import { checkOp } from '../util/check';
import { layerError } from './layer_check';

export class BatchReindexLayer extends Layer {
  private idx = new Int32Array(0);

  reshape(bottom: Blob[], top: Blob[]): void {
    checkOp(this, 1, '==', bottom[1].numAxes, '1 == bottom[1]->num_axes()');
    checkOp(this, 0, '<', bottom[0].numAxes, '0 < bottom[0]->num_axes()', 'the data to reindex has no batch axis');
    top[0].reshape([bottom[1].shape[0], ...bottom[0].shape.slice(1)]);
    if (this.idx.length !== bottom[1].count) this.idx = new Int32Array(bottom[1].count);
  }

  override exactNumBottomBlobs(): number {
    return 2;
  }
  override exactNumTopBlobs(): number {
    return 1;
  }
  override allowForceBackward(i: number): boolean {
    return i === 0;
  }

  /** The indices as ints, after Caffe's range checks (which compare the float values). */
  private indices(bottom: Blob[]): Int32Array {
    const num = bottom[0].shape[0],
      r = bottom[1].cpuData(),
      out = this.idx;
    for (let i = 0; i < r.length; i++) {
      const where = ` (index ${i} of ${r.length})`;
      checkOp(this, r[i], '>=', 0, 'ridx_data[i] >= 0', `Index specified for reindex layer was negative.${where}`);
      checkOp(
        this,
        r[i],
        '<',
        num,
        'ridx_data[i] < initial_num',
        `Index specified for reindex layer was greater than batch size.${where}`,
      );
      out[i] = Math.trunc(r[i]);
    }
    return out;
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    const idx = this.indices(bottom);
    if (top[0].count === 0) return;
    const inner = bottom[0].countRange(1),
      x = bottom[0].cpuData(),
      y = top[0].mutableCpuData();
    for (let i = 0; i < idx.length; i++) y.set(x.subarray(idx[i] * inner, (idx[i] + 1) * inner), i * inner);
  }

  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (propagateDown[1]) throw layerError(this, 'Cannot backprop to index.');
    if (!propagateDown[0]) return;
    const idx = this.indices(bottom),
      inner = bottom[0].countRange(1),
      dy = top[0].cpuDiff(),
      dx = bottom[0].mutableCpuDiff();
    dx.fill(0);
    for (let i = 0; i < idx.length; i++) {
      const o = idx[i] * inner;
      for (let j = 0; j < inner; j++) dx[o + j] += dy[i * inner + j];
    }
  }
}

registerLayer('BatchReindex', BatchReindexLayer);
