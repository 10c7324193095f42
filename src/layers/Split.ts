// Split: hands one bottom to several consumers. Every top views the bottom's data (no copy); each
// top keeps its own diff, and backward sums the top diffs into the bottom diff. The Net inserts
// these layers itself (src/net/insert_splits.ts) wherever a blob has more than one consumer.
import { Blob } from '../core/blob';
import { Layer } from '../core/layer';
import { registerLayer } from '../core/layer_factory';
import { CaffeError } from '../util/errors';
import { currentDevice } from '../backend/mode';
import { backend } from '../backend';

export class SplitLayer extends Layer {
  reshape(bottom: Blob[], top: Blob[]): void {
    for (const t of top) {
      // in place would make the tops' diffs alias the bottom's, breaking the sum below
      if (t === bottom[0]) throw new CaffeError(`${this.type} Layer does not allow in-place computation.`);
      t.reshapeLike(bottom[0]);
    }
  }

  override exactNumBottomBlobs(): number {
    return 1;
  }
  override minTopBlobs(): number {
    return 1;
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    for (const t of top) t.shareData(bottom[0]);
  }

  // sharing moves nothing, on either side
  protected override forwardGpu(bottom: Blob[], top: Blob[]): void {
    this.forwardCpu(bottom, top);
  }

  // dx = dy0 + dy1 (+ dy2 ...), as Caffe's caffe_gpu_add then axpy; a copy for one top
  protected override backwardGpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const m = currentDevice().math,
      n = bottom[0].count,
      dx = bottom[0].mutableGpuDiff();
    if (top.length === 1) m.copy(n, top[0].gpuDiff(), dx);
    else m.add(n, top[0].gpuDiff(), top[1].gpuDiff(), dx);
    for (let t = 2; t < top.length; t++) m.axpy(n, 1, top[t].gpuDiff(), dx);
  }

  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const dx = bottom[0].mutableCpuDiff();
    dx.set(top[0].cpuDiff());
    for (let t = 1; t < top.length; t++) backend().axpy(1, top[t].cpuDiff(), dx); // dx + 1 * dy = dx + dy
  }
}

registerLayer('Split', SplitLayer);
