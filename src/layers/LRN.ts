// Local response normalization, Caffe's two regions:
//   ACROSS_CHANNELS: scale = k + alpha/n * sum of x^2 over channels [c - (n-1)/2, c + (n-1)/2] (clipped),
//                    y = x * scale^-beta; `scale` is kept, as Caffe's scale_ blob, for backward.
//   WITHIN_CHANNEL:  Caffe's composition split -> square -> AVE pooling (kernel n, pad (n-1)/2,
//                    stride 1) -> power (1 + alpha * pooled)^-beta -> product with x. The pooling
//                    divisor is n*n at every position, borders included, and k is not used.
// Kernels: native/lrn.cc through the backend; on the device, DeviceKernels' lrn* (Caffe's lrn_layer.cu).
import { Blob } from '../core/blob';
import { Layer } from '../core/layer';
import { registerLayer } from '../core/layer_factory';
import { backend } from '../backend';
import { currentDevice } from '../backend/mode';
import { LRNDesc } from '../backend/backend';
import { checkOp } from '../util/check';
import { checkNchwInput } from './pool_util';

export class LRNLayer extends Layer {
  private size = 5;
  private alpha = 1;
  private beta = 0.75;
  private k = 1;
  private within = false;
  private desc!: LRNDesc;
  /** ACROSS_CHANNELS: Caffe's scale_ */
  readonly scale = new Blob();
  /** WITHIN_CHANNEL: the inner pooling and power layers' outputs */
  readonly pooled = new Blob();
  readonly power = new Blob();
  /** WITHIN_CHANNEL on the device: the pooling's gradient input (device memory only) */
  private scratch = new Blob();

  override layerSetUp(): void {
    const lp = this.param('lrn_param');
    this.size = lp.local_size;
    checkOp(this, this.size % 2, '==', 1, 'size_ % 2 == 1', 'LRN only supports odd values for local_size');
    this.alpha = lp.alpha;
    this.beta = lp.beta;
    this.k = lp.k;
    this.within = lp.norm_region === 'WITHIN_CHANNEL';
  }

  reshape(bottom: Blob[], top: Blob[]): void {
    checkNchwInput(this, bottom, top);
    const [num, channels, height, width] = bottom[0].shape;
    this.desc = { num, channels, height, width, localSize: this.size, alpha: this.alpha, beta: this.beta, k: this.k };
    top[0].reshapeLike(bottom[0]);
    if (this.within) {
      this.pooled.reshapeLike(bottom[0]);
      this.power.reshapeLike(bottom[0]);
    } else {
      this.scale.reshapeLike(bottom[0]);
    }
  }

  override exactNumBottomBlobs(): number {
    return 1;
  }
  override exactNumTopBlobs(): number {
    return 1;
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    if (bottom[0].count === 0) return; // (the native kernels would write k into a scale of no channels)
    const be = backend(),
      x = bottom[0].cpuData(),
      y = top[0].mutableCpuData();
    if (this.within) be.lrnWithinForward(this.desc, x, this.pooled.mutableCpuData(), this.power.mutableCpuData(), y);
    else be.lrnAcrossForward(this.desc, x, this.scale.mutableCpuData(), y);
  }

  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0] || bottom[0].count === 0) return;
    const be = backend(),
      x = bottom[0].cpuData(),
      dy = top[0].cpuDiff(),
      dx = bottom[0].mutableCpuDiff();
    if (this.within) be.lrnWithinBackward(this.desc, x, this.pooled.cpuData(), this.power.cpuData(), dy, dx);
    else be.lrnAcrossBackward(this.desc, x, top[0].cpuData(), this.scale.cpuData(), dy, dx);
  }

  protected override forwardGpu(bottom: Blob[], top: Blob[]): void {
    const k = currentDevice().kernels,
      x = bottom[0].gpuData(),
      y = top[0].mutableGpuData();
    if (this.within) k.lrnWithinForward(this.desc, x, this.pooled.mutableGpuData(), this.power.mutableGpuData(), y);
    else k.lrnAcrossForward(this.desc, x, this.scale.mutableGpuData(), y);
  }

  protected override backwardGpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const k = currentDevice().kernels,
      x = bottom[0].gpuData(),
      dy = top[0].gpuDiff(),
      dx = bottom[0].mutableGpuDiff();
    if (this.within) {
      if (this.scratch.count !== bottom[0].count) this.scratch.reshapeLike(bottom[0]);
      const s = this.scratch.mutableGpuData();
      k.lrnWithinBackward(this.desc, x, this.pooled.gpuData(), this.power.gpuData(), dy, dx, s);
    } else {
      k.lrnAcrossBackward(this.desc, x, top[0].gpuData(), this.scale.gpuData(), dy, dx);
    }
  }
}

registerLayer('LRN', LRNLayer);
