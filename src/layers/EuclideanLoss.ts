// EuclideanLoss: loss = sum((a - b)^2) / (2 N), N = bottom[0].num. Both bottoms get a gradient:
// da = w (a - b) / N, db = -w (a - b) / N, w = the top diff (loss weight).
import { Blob } from '../core/blob';
import { LossLayer } from '../core/layer';
import { registerLayer } from '../core/layer_factory';
import { currentDevice } from '../backend/mode';
import { fatal } from '../util/check';
import { lossReshape } from './loss';

export class EuclideanLossLayer extends LossLayer {
  private diff = new Blob();

  reshape(bottom: Blob[], top: Blob[]): void {
    lossReshape(this, bottom, top);
    if (bottom[0].countRange(1) !== bottom[1].countRange(1))
      fatal(this, `Inputs must have the same dimension. (${bottom[0].countRange(1)} vs. ${bottom[1].countRange(1)})`);
    this.diff.reshapeLike(bottom[0]);
  }

  // Unlike label losses, both inputs may receive a gradient.
  override allowForceBackward(_i: number): boolean {
    return true;
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    const a = bottom[0].cpuData(),
      b = bottom[1].cpuData(),
      d = this.diff.mutableCpuData();
    let dot = 0;
    for (let i = 0; i < d.length; i++) {
      d[i] = a[i] - b[i];
      dot += d[i] * d[i];
    }
    top[0].mutableCpuData()[0] = dot / bottom[0].num / 2;
  }

  // Caffe's Forward_gpu: the difference on the device, its dot back to the host (a sync, as Caffe's)
  protected override forwardGpu(bottom: Blob[], top: Blob[]): void {
    const math = currentDevice().math,
      n = bottom[0].count,
      d = this.diff.mutableGpuData();
    math.sub(n, bottom[0].gpuData(), bottom[1].gpuData(), d);
    top[0].mutableCpuData()[0] = math.dot(n, d, d) / bottom[0].num / 2;
  }

  protected override backwardGpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    for (let k = 0; k < 2; k++) {
      if (!propagateDown[k]) continue;
      const alpha = Math.fround(((k === 0 ? 1 : -1) * top[0].cpuDiff()[0]) / bottom[k].num);
      currentDevice().math.scale(bottom[k].count, alpha, this.diff.gpuData(), bottom[k].mutableGpuDiff());
    }
  }

  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    const d = this.diff.cpuData();
    for (let k = 0; k < 2; k++) {
      if (!propagateDown[k]) continue;
      const alpha = Math.fround(((k === 0 ? 1 : -1) * top[0].cpuDiff()[0]) / bottom[k].num); // a float, as Caffe's
      const dx = bottom[k].mutableCpuDiff();
      for (let i = 0; i < dx.length; i++) dx[i] = alpha * d[i];
    }
  }
}

registerLayer('EuclideanLoss', EuclideanLossLayer);
