// Deconvolution (Caffe's DeconvolutionLayer): the transposed convolution. Its forward is the
// convolution's backward-data pass and its backward the convolution's forward (for the bottom diff)
// and weight-gradient pass, with bottom and top in swapped roles. Weights are
// [channels, num_output / group, kh, kw]; output size per spatial axis
// stride (in - 1) + dilation (k - 1) + 1 - 2 pad. The bias is added per output channel.
import { Blob } from '../core/blob';
import { registerLayer } from '../core/layer_factory';
import { BaseConvolutionLayer } from './base_conv';

export class DeconvolutionLayer extends BaseConvolutionLayer {
  protected reverseDimensions(): boolean {
    return true;
  }

  protected computeOutputShape(input: readonly number[]): number[] {
    return input.map((d, i) => {
      const extent = this.dilation[i] * (this.kernel[i] - 1) + 1;
      return this.stride[i] * (d - 1) + extent - 2 * this.pad[i];
    });
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    const prim = this.cpuPrim();
    if (!prim) return;
    const w = this.blobs[0].cpuData();
    for (let i = 0; i < bottom.length; i++) {
      const y = top[i].mutableCpuData();
      prim.backwardData(bottom[i].cpuData(), w, y);
      if (this.biasTerm) this.addBias(y, this.spatial(top[i]));
    }
  }

  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    const prim = this.cpuPrim();
    if (!prim) return;
    const w = this.blobs[0].cpuData();
    for (let i = 0; i < top.length; i++) {
      const dy = top[i].cpuDiff();
      if (this.biasTerm && this.paramPropagate(1)) this.accumulateBiasDiff(dy, this.spatial(top[i]));
      // the top diff is the underlying convolution's input, the bottom its output
      if (this.paramPropagate(0)) prim.backwardWeights(dy, bottom[i].cpuData(), this.blobs[0].mutableCpuDiff(), null);
      if (propagateDown[i]) prim.forward(dy, w, null, bottom[i].mutableCpuDiff());
    }
  }

  protected override forwardGpu(bottom: Blob[], top: Blob[]): void {
    const prim = this.gpuPrim();
    if (!prim) return;
    const w = this.blobs[0].gpuData();
    for (let i = 0; i < bottom.length; i++) {
      const y = top[i].mutableGpuData();
      prim.backwardData(bottom[i].gpuData(), w, y);
      if (this.biasTerm) this.addBiasGpu(y, this.spatial(top[i]));
    }
  }

  protected override backwardGpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    const prim = this.gpuPrim();
    if (!prim) return;
    for (let i = 0; i < top.length; i++) {
      const dy = top[i].gpuDiff();
      if (this.biasTerm && this.paramPropagate(1)) this.accumulateBiasDiffGpu(dy, this.spatial(top[i]));
      if (this.paramPropagate(0)) prim.backwardWeights(dy, bottom[i].gpuData(), this.blobs[0].mutableGpuDiff(), null);
      if (propagateDown[i]) prim.forward(dy, this.blobs[0].gpuData(), null, bottom[i].mutableGpuDiff());
    }
  }
}

registerLayer('Deconvolution', DeconvolutionLayer);
