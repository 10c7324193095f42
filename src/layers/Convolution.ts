// Convolution (Caffe's ConvolutionLayer): top = conv(bottom, W) + b per bottom/top pair, sharing the
// weights; output size per spatial axis (in + 2 pad - (dilation (k - 1) + 1)) / stride + 1, with
// C's truncating division. Runs on the backend's native convolution primitive (oneDNN).
import { Blob } from '../core/blob';
import { registerLayer } from '../core/layer_factory';
import { BaseConvolutionLayer } from './base_conv';
import { backend } from '../backend';

export class ConvolutionLayer extends BaseConvolutionLayer {
  protected reverseDimensions(): boolean {
    return false;
  }

  protected computeOutputShape(input: readonly number[]): number[] {
    return input.map((d, i) => {
      const extent = this.dilation[i] * (this.kernel[i] - 1) + 1;
      return Math.trunc((d + 2 * this.pad[i] - extent) / this.stride[i]) + 1;
    });
  }

  /** The CPU forward applies an in-place ReLU (slope 0) that follows, where the backend can fuse it. */
  fuseReLU(): void {
    this.setForwardOptions({ ...this.forwardOptions, reluSlope: 0 });
  }

  /** Whether the CPU forward's top is already ReLU'd. */
  reluFused(): boolean {
    return this.forwardOptions.reluSlope !== undefined && !!backend().fusesConvReLU;
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    const prim = this.cpuPrim();
    if (!prim) return;
    const w = this.blobs[0].cpuData(),
      b = this.biasTerm ? this.blobs[1].cpuData() : null;
    for (let i = 0; i < bottom.length; i++) prim.forward(bottom[i].cpuData(), w, b, top[i].mutableCpuData());
  }

  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    const prim = this.cpuPrim();
    if (!prim) return;
    const w = this.blobs[0].cpuData();
    const doW = this.paramPropagate(0),
      doB = this.biasTerm && this.paramPropagate(1);
    for (let i = 0; i < top.length; i++) {
      const dy = top[i].cpuDiff();
      if (doW) {
        // weight (and bias) gradients accumulate into the parameter diffs
        prim.backwardWeights(
          bottom[i].cpuData(),
          dy,
          this.blobs[0].mutableCpuDiff(),
          doB ? this.blobs[1].mutableCpuDiff() : null,
        );
      } else if (doB) {
        this.accumulateBiasDiff(dy, this.spatial(top[i]));
      }
      if (propagateDown[i]) prim.backwardData(dy, w, bottom[i].mutableCpuDiff());
    }
  }

  protected override forwardGpu(bottom: Blob[], top: Blob[]): void {
    const prim = this.gpuPrim();
    if (!prim) return;
    const w = this.blobs[0].gpuData(),
      b = this.biasTerm ? this.blobs[1].gpuData() : null;
    for (let i = 0; i < bottom.length; i++) prim.forward(bottom[i].gpuData(), w, b, top[i].mutableGpuData());
  }

  protected override backwardGpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    const prim = this.gpuPrim();
    if (!prim) return;
    const doW = this.paramPropagate(0),
      doB = this.biasTerm && this.paramPropagate(1);
    for (let i = 0; i < top.length; i++) {
      const dy = top[i].gpuDiff();
      if (doW) {
        const db = doB ? this.blobs[1].mutableGpuDiff() : null;
        prim.backwardWeights(bottom[i].gpuData(), dy, this.blobs[0].mutableGpuDiff(), db);
      } else if (doB) {
        this.accumulateBiasDiffGpu(dy, this.spatial(top[i]));
      }
      if (propagateDown[i]) prim.backwardData(dy, this.blobs[0].gpuData(), bottom[i].mutableGpuDiff());
    }
  }
}

registerLayer('Convolution', ConvolutionLayer);
