// ELU: y = x for x > 0, alpha * (exp(x) - 1) otherwise; dy/dx = 1 for x > 0, y + alpha otherwise.
import { Blob } from '../core/blob';
import { backend } from '../backend';
import { currentDevice } from '../backend/mode';
import { registerLayer } from '../core/layer_factory';
import { NeuronLayer, neuronScratch } from './neuron';

export class ELULayer extends NeuronLayer {
  private alpha = 1;

  override layerSetUp(): void {
    this.alpha = Math.fround(this.param('elu_param').alpha);
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    // Caffe, in float: max(x, 0) + alpha * (expf(min(x, 0)) - 1)
    const x = bottom[0].cpuData(),
      y = top[0].mutableCpuData(),
      a = this.alpha,
      e = neuronScratch(x.length);
    for (let i = 0; i < x.length; i++) e[i] = Math.min(x[i], 0);
    backend().exp(e, e);
    for (let i = 0; i < x.length; i++) y[i] = Math.max(x[i], 0) + Math.fround(a * Math.fround(e[i] - 1));
  }

  // Reads bottom data as Caffe does; in place it holds y, which is > 0 exactly where x > 0.
  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const x = bottom[0].cpuData(),
      y = top[0].cpuData(),
      dy = top[0].cpuDiff(),
      dx = bottom[0].mutableCpuDiff();
    const a = this.alpha;
    for (let i = 0; i < x.length; i++) dx[i] = x[i] > 0 ? dy[i] : dy[i] * Math.fround(a + y[i]);
  }

  protected override forwardGpu(bottom: Blob[], top: Blob[]): void {
    currentDevice().kernels.eluForward(bottom[0].count, bottom[0].gpuData(), top[0].mutableGpuData(), this.alpha);
  }

  protected override backwardGpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const b = bottom[0];
    currentDevice().kernels.eluBackward(
      b.count,
      top[0].gpuDiff(),
      b.gpuData(),
      top[0].gpuData(),
      b.mutableGpuDiff(),
      this.alpha,
    );
  }
}

registerLayer('ELU', ELULayer);
