// Clip: y = max(min, min(x, max)); the gradient passes where min <= x <= max (Caffe master).
import { Blob } from '../core/blob';
import { registerLayer } from '../core/layer_factory';
import { currentDevice } from '../backend/mode';
import { NeuronLayer } from './neuron';

export class ClipLayer extends NeuronLayer {
  private min = 0;
  private max = 0;

  override layerSetUp(): void {
    this.min = Math.fround(this.param('clip_param').min);
    this.max = Math.fround(this.param('clip_param').max);
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    const x = bottom[0].cpuData(),
      y = top[0].mutableCpuData(),
      lo = this.min,
      hi = this.max;
    for (let i = 0; i < x.length; i++) {
      // std::max(min, std::min(x, max)): NaN maps to min, as in Caffe
      const m = hi < x[i] ? hi : x[i];
      y[i] = lo < m ? m : lo;
    }
  }

  protected override forwardGpu(bottom: Blob[], top: Blob[]): void {
    const n = bottom[0].count;
    currentDevice().kernels.clipForward(n, bottom[0].gpuData(), top[0].mutableGpuData(), this.min, this.max);
  }
  protected override backwardGpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const b = bottom[0];
    currentDevice().kernels.clipBackward(
      b.count,
      top[0].gpuDiff(),
      b.gpuData(),
      b.mutableGpuDiff(),
      this.min,
      this.max,
    );
  }

  // Reads bottom data (as Caffe does); in place it holds the clipped value, so the gradient passes everywhere.
  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const x = bottom[0].cpuData(),
      dy = top[0].cpuDiff(),
      dx = bottom[0].mutableCpuDiff(),
      lo = this.min,
      hi = this.max;
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      dx[i] = v >= lo && v <= hi ? dy[i] : 0;
    }
  }
}

registerLayer('Clip', ClipLayer);
