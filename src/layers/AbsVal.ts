// AbsVal: y = |x|; dy/dx = sign(x) (0 at 0). Caffe forbids in-place use (the backward needs x).
import { Blob } from '../core/blob';
import { registerLayer } from '../core/layer_factory';
import { currentDevice } from '../backend/mode';
import { check } from '../util/check';
import { NeuronLayer } from './neuron';

export class AbsValLayer extends NeuronLayer {
  override layerSetUp(bottom: Blob[], top: Blob[]): void {
    check(this, top[0] !== bottom[0], 'top[0] != bottom[0]', `${this.type} Layer does not allow in-place computation.`);
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    const x = bottom[0].cpuData(),
      y = top[0].mutableCpuData();
    for (let i = 0; i < x.length; i++) y[i] = Math.abs(x[i]);
  }

  // Caffe's Forward_gpu / Backward_gpu: abs; sign of x times dy
  protected override forwardGpu(bottom: Blob[], top: Blob[]): void {
    currentDevice().math.abs(bottom[0].count, bottom[0].gpuData(), top[0].mutableGpuData());
  }
  protected override backwardGpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const math = currentDevice().math,
      n = bottom[0].count,
      dx = bottom[0].mutableGpuDiff();
    math.sign(n, bottom[0].gpuData(), dx);
    math.mul(n, dx, top[0].gpuDiff(), dx);
  }

  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const x = bottom[0].cpuData(),
      dy = top[0].cpuDiff(),
      dx = bottom[0].mutableCpuDiff();
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      dx[i] = v > 0 ? dy[i] : v < 0 ? -dy[i] : 0;
    }
  }
}

registerLayer('AbsVal', AbsValLayer);
