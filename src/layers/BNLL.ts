// BNLL (binomial normal log likelihood, softplus): y = log(1 + exp(x)), computed as
// x + log(1 + exp(-x)) for x > 0 to avoid overflow; dy/dx = e / (1 + e), e = exp(min(x, 50)).
import { Blob } from '../core/blob';
import { backend } from '../backend';
import { registerLayer } from '../core/layer_factory';
import { currentDevice } from '../backend/mode';
import { NeuronLayer, neuronScratch } from './neuron';

const BNLL_THRESHOLD = 50;

export class BNLLLayer extends NeuronLayer {
  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    // Caffe: expf(-|x|) in float, then log(1. + e) in double
    const x = bottom[0].cpuData(),
      y = top[0].mutableCpuData(),
      e = neuronScratch(x.length);
    for (let i = 0; i < x.length; i++) e[i] = x[i] > 0 ? -x[i] : x[i];
    backend().exp(e, e);
    for (let i = 0; i < x.length; i++) y[i] = x[i] > 0 ? x[i] + Math.log(1 + e[i]) : Math.log(1 + e[i]);
  }

  protected override forwardGpu(bottom: Blob[], top: Blob[]): void {
    currentDevice().kernels.bnllForward(bottom[0].count, bottom[0].gpuData(), top[0].mutableGpuData());
  }
  protected override backwardGpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const b = bottom[0];
    currentDevice().kernels.bnllBackward(b.count, top[0].gpuDiff(), b.gpuData(), b.mutableGpuDiff());
  }

  // Reads bottom data (as Caffe does): in-place use gives a wrong gradient there too.
  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const x = bottom[0].cpuData(),
      dy = top[0].cpuDiff(),
      dx = bottom[0].mutableCpuDiff();
    const e = neuronScratch(x.length); // expf(min(x, threshold)); dy * e in float, / (e + 1.) in double
    for (let i = 0; i < x.length; i++) e[i] = Math.min(x[i], BNLL_THRESHOLD);
    backend().exp(e, e);
    for (let i = 0; i < x.length; i++) dx[i] = Math.fround(dy[i] * e[i]) / (e[i] + 1);
  }
}

registerLayer('BNLL', BNLLLayer);
