// Softmax along `axis` (default 1): y = exp(x - max) / sum(exp(x - max)) independently for every
// position of the other axes; the per-position max is subtracted first for numerical safety.
// Backward: dx = (dy - sum_c(dy * y)) * y. In place (top === bottom) works.
import { Blob } from '../core/blob';
import { currentDevice } from '../backend/mode';
import { Layer } from '../core/layer';
import { registerLayer } from '../core/layer_factory';
import { backend } from '../backend';

export class SoftmaxLayer extends Layer {
  private axis = 1;
  private outer = 0;
  private inner = 0;
  private channels = 0;
  /** per-inner-position scratch (max, then sum, then dot), as Caffe's scale_ */
  private scale = new Float32Array(0);
  /** C ones (Caffe's sum_multiplier_) */
  private ones = new Float32Array(0);

  reshape(bottom: Blob[], top: Blob[]): void {
    this.axis = bottom[0].canonicalAxisIndex(this.param('softmax_param').axis);
    if (top[0] !== bottom[0]) top[0].reshapeLike(bottom[0]);
    this.outer = bottom[0].countRange(0, this.axis);
    this.inner = bottom[0].countRange(this.axis + 1);
    this.channels = bottom[0].shape[this.axis];
    if (this.scale.length !== this.inner) this.scale = new Float32Array(this.inner);
    if (this.ones.length !== this.channels) this.ones = new Float32Array(this.channels).fill(1);
  }

  override exactNumBottomBlobs(): number {
    return 1;
  }
  override exactNumTopBlobs(): number {
    return 1;
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    const x = bottom[0].cpuData(),
      y = top[0].mutableCpuData(),
      s = this.scale;
    const C = this.channels,
      inner = this.inner,
      dim = C * inner;
    for (let i = 0; i < this.outer; i++) {
      const base = i * dim;
      // max over channels, per inner position
      for (let k = 0; k < inner; k++) s[k] = x[base + k];
      for (let c = 1; c < C; c++) {
        const o = base + c * inner;
        for (let k = 0; k < inner; k++) if (x[o + k] > s[k]) s[k] = x[o + k];
      }
      // subtract, then exponentiate the block (reads x before writing y: in-place safe)
      for (let c = 0; c < C; c++) {
        const o = base + c * inner;
        for (let k = 0; k < inner; k++) y[o + k] = x[o + k] - s[k];
      }
      const block = y.subarray(base, base + dim);
      backend().exp(block, block);
      // sum over channels (Caffe's gemv with ones) and divide
      backend().gemv(true, C, inner, 1, y.subarray(base, base + dim), this.ones, 0, s);
      for (let c = 0; c < C; c++) {
        const o = base + c * inner;
        for (let k = 0; k < inner; k++) y[o + k] /= s[k];
      }
    }
  }

  protected override forwardGpu(bottom: Blob[], top: Blob[]): void {
    const x = bottom[0].gpuData(),
      y = top[0].mutableGpuData();
    currentDevice().kernels.softmaxForward(this.outer, this.channels, this.inner, x, y);
  }

  protected override backwardGpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const y = top[0].gpuData(),
      dy = top[0].gpuDiff(),
      dx = bottom[0].mutableGpuDiff();
    currentDevice().kernels.softmaxBackward(this.outer, this.channels, this.inner, y, dy, dx);
  }

  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const y = top[0].cpuData(),
      dy = top[0].cpuDiff(),
      dx = bottom[0].mutableCpuDiff(),
      s = this.scale;
    const C = this.channels,
      inner = this.inner,
      dim = C * inner;
    // Caffe: s = dot over channels of (dy, y) (caffe_cpu_strided_dot), then dx = (dy - s) * y in float
    for (let i = 0; i < this.outer; i++) {
      const base = i * dim;
      if (inner === 1) {
        s[0] = backend().dot(dy.subarray(base, base + C), y.subarray(base, base + C));
      } else {
        for (let k = 0; k < inner; k++) s[k] = 0;
        for (let c = 0; c < C; c++) {
          const o = base + c * inner;
          for (let k = 0; k < inner; k++) s[k] += dy[o + k] * y[o + k];
        }
      }
      for (let c = 0; c < C; c++) {
        const o = base + c * inner;
        for (let k = 0; k < inner; k++) dx[o + k] = Math.fround(dy[o + k] - s[k]) * y[o + k];
      }
    }
  }
}

registerLayer('Softmax', SoftmaxLayer);
