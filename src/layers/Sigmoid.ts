// Sigmoid: y = 1 / (1 + exp(-x)), evaluated as 0.5 tanh(0.5 x) + 0.5 like Caffe; dy/dx = y (1 - y).
import { Blob } from '../core/blob';
import { registerLayer } from '../core/layer_factory';
import { NeuronLayer } from './neuron';
import { currentDevice } from '../backend/mode';

export class SigmoidLayer extends NeuronLayer {
  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    const x = bottom[0].cpuData(),
      y = top[0].mutableCpuData();
    for (let i = 0; i < x.length; i++) y[i] = 0.5 * Math.tanh(0.5 * x[i]) + 0.5;
  }

  // Only the output is needed, so in-place use is exact.
  protected override forwardGpu(bottom: Blob[], top: Blob[]): void {
    currentDevice().kernels.sigmoidForward(bottom[0].count, bottom[0].gpuData(), top[0].mutableGpuData());
  }

  protected override backwardGpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const t = top[0];
    currentDevice().kernels.sigmoidBackward(t.count, t.gpuDiff(), t.gpuData(), bottom[0].mutableGpuDiff());
  }

  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const y = top[0].cpuData(),
      dy = top[0].cpuDiff(),
      dx = bottom[0].mutableCpuDiff();
    // Caffe: top_diff * s rounds to float, then times (1. - s) in double
    for (let i = 0; i < y.length; i++) {
      const s = y[i];
      dx[i] = Math.fround(dy[i] * s) * (1 - s);
    }
  }
}

registerLayer('Sigmoid', SigmoidLayer);
