// BNLL (binomial normal log likelihood, softplus): y = log(1 + exp(x)), computed as
// x + log(1 + exp(-x)) for x > 0 to avoid overflow; dy/dx = e / (1 + e), e = exp(min(x, 50)).
import { Blob } from '../core/blob';
import { registerLayer } from '../core/layer_factory';
import { NeuronLayer } from './neuron';

const BNLL_THRESHOLD = 50;

export class BNLLLayer extends NeuronLayer {
  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    const x = bottom[0].cpuData(), y = top[0].mutableCpuData();
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      y[i] = v > 0 ? v + Math.log(1 + Math.exp(-v)) : Math.log(1 + Math.exp(v));
    }
  }

  // Reads bottom data (as Caffe does): in-place use gives a wrong gradient there too.
  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const x = bottom[0].cpuData(), dy = top[0].cpuDiff(), dx = bottom[0].mutableCpuDiff();
    for (let i = 0; i < x.length; i++) {
      const e = Math.exp(Math.min(x[i], BNLL_THRESHOLD));
      dx[i] = dy[i] * e / (e + 1);
    }
  }
}

registerLayer('BNLL', BNLLLayer);
