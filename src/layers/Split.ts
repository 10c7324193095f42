// Split: hands one bottom to several consumers. Every top views the bottom's data (no copy); each
// top keeps its own diff, and backward sums the top diffs into the bottom diff. The Net inserts
// these layers itself (src/net/insert_splits.ts) wherever a blob has more than one consumer.
import { Blob } from '../core/blob';
import { Layer } from '../core/layer';
import { registerLayer } from '../core/layer_factory';
import { CaffeError } from '../util/errors';

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

  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const dx = bottom[0].mutableCpuDiff();
    dx.set(top[0].cpuDiff());
    for (let t = 1; t < top.length; t++) {
      const dy = top[t].cpuDiff();
      for (let i = 0; i < dx.length; i++) dx[i] += dy[i];
    }
  }
}

registerLayer('Split', SplitLayer);
