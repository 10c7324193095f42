// TanH: y = tanh(x); dy/dx = 1 - y^2.
import { Blob } from '../core/blob';
import { backend } from '../backend';
import { registerLayer } from '../core/layer_factory';
import { NeuronLayer } from './neuron';
import { currentDevice } from '../backend/mode';

export class TanHLayer extends NeuronLayer {
  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    backend().tanh(bottom[0].cpuData(), top[0].mutableCpuData());
  }

  // Only the output is needed, so in-place use is exact.
  protected override forwardGpu(bottom: Blob[], top: Blob[]): void {
    currentDevice().kernels.tanhForward(bottom[0].count, bottom[0].gpuData(), top[0].mutableGpuData());
  }

  protected override backwardGpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const t = top[0];
    currentDevice().kernels.tanhBackward(t.count, t.gpuDiff(), t.gpuData(), bottom[0].mutableGpuDiff());
  }

  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const y = top[0].cpuData(),
      dy = top[0].cpuDiff(),
      dx = bottom[0].mutableCpuDiff();
    for (let i = 0; i < y.length; i++) {
      const t = y[i];
      dx[i] = dy[i] * Math.fround(1 - Math.fround(t * t));
    } // in float, as Caffe
  }
}

registerLayer('TanH', TanHLayer);
