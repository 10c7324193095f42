// Silence: consumes bottoms and produces nothing (keeps unused outputs from being reported).
// Backward zeroes the diffs of the bottoms that want one.
import { Blob } from '../core/blob';
import { Layer } from '../core/layer';
import { registerLayer } from '../core/layer_factory';
import { currentDevice } from '../backend/mode';

export class SilenceLayer extends Layer {
  reshape(_bottom: Blob[], _top: Blob[]): void {}

  protected forwardCpu(_bottom: Blob[], _top: Blob[]): void {}

  protected override backwardCpu(_top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    for (let i = 0; i < bottom.length; i++) if (propagateDown[i]) bottom[i].mutableCpuDiff().fill(0);
  }

  protected override forwardGpu(_bottom: Blob[], _top: Blob[]): void {}
  protected override backwardGpu(_top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    for (let i = 0; i < bottom.length; i++)
      if (propagateDown[i]) currentDevice().math.set(bottom[i].count, 0, bottom[i].mutableGpuDiff());
  }

  override minBottomBlobs(): number {
    return 1;
  }
  override exactNumTopBlobs(): number {
    return 0;
  }
}

registerLayer('Silence', SilenceLayer);
