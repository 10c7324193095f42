// TanH: y = tanh(x); dy/dx = 1 - y^2.
import { Blob } from '../core/blob';
import { registerLayer } from '../core/layer_factory';
import { NeuronLayer } from './neuron';

export class TanHLayer extends NeuronLayer {
  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    const x = bottom[0].cpuData(), y = top[0].mutableCpuData();
    for (let i = 0; i < x.length; i++) y[i] = Math.tanh(x[i]);
  }

  // Only the output is needed, so in-place use is exact.
  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const y = top[0].cpuData(), dy = top[0].cpuDiff(), dx = bottom[0].mutableCpuDiff();
    for (let i = 0; i < y.length; i++) { const t = y[i]; dx[i] = dy[i] * (1 - t * t); }
  }
}

registerLayer('TanH', TanHLayer);
