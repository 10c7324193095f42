// Swish (Caffe master): y = x * sigmoid(beta * x); dy/dx = beta y + sigmoid(beta x) (1 - beta y).
// sigmoid(beta x) is kept from the forward for the backward.
import { Blob } from '../core/blob';
import { registerLayer } from '../core/layer_factory';
import { currentDevice } from '../backend/mode';
import { NeuronLayer } from './neuron';

export class SwishLayer extends NeuronLayer {
  private beta = 1;
  private sig = new Float32Array(0);
  /** the device's sigmoid(beta x) */
  private readonly devSig = new Blob();

  override layerSetUp(): void {
    this.beta = Math.fround(this.param('swish_param').beta);
  }

  override reshape(bottom: Blob[], top: Blob[]): void {
    super.reshape(bottom, top);
    if (this.sig.length < bottom[0].count) this.sig = new Float32Array(bottom[0].count);
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    const x = bottom[0].cpuData(),
      y = top[0].mutableCpuData(),
      s = this.sig,
      b = this.beta;
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      s[i] = 0.5 * Math.tanh(0.5 * Math.fround(v * b)) + 0.5;
      y[i] = v * s[i];
    }
  }

  protected override forwardGpu(bottom: Blob[], top: Blob[]): void {
    const n = bottom[0].count;
    this.devSig.reshape([n]);
    const k = currentDevice().kernels;
    k.swishForward(n, bottom[0].gpuData(), this.devSig.mutableGpuData(), top[0].mutableGpuData(), this.beta);
  }
  protected override backwardGpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const t = top[0];
    const k = currentDevice().kernels;
    k.swishBackward(t.count, t.gpuData(), t.gpuDiff(), this.devSig.gpuData(), bottom[0].mutableGpuDiff(), this.beta);
  }

  // Needs only y and the stored sigmoid, so in-place use is exact.
  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const y = top[0].cpuData(),
      dy = top[0].cpuDiff(),
      dx = bottom[0].mutableCpuDiff(),
      s = this.sig,
      b = this.beta;
    for (let i = 0; i < y.length; i++) {
      const by = b * y[i];
      dx[i] = dy[i] * (by + s[i] * (1 - by));
    }
  }
}

registerLayer('Swish', SwishLayer);
