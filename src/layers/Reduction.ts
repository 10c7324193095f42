// Reduction: reduces all axes from `axis` (default 0: everything, giving a 0-D top) to the end with
// SUM, ASUM (sum of |x|), SUMSQ (sum of x^2) or MEAN, times `coeff`. The top keeps the axes before
// `axis`. Backward: coeff * dy times 1, sign(x), 2x or 1/dim respectively.
import { Blob } from '../core/blob';
import { Layer } from '../core/layer';
import { backend } from '../backend';
import { registerLayer } from '../core/layer_factory';
import { currentDevice } from '../backend/mode';
import { layerError } from './layer_check';
import { checkOp } from '../util/check';

type Op = 'SUM' | 'ASUM' | 'SUMSQ' | 'MEAN';

export class ReductionLayer extends Layer {
  /** Caffe's sum_multiplier_ */
  private ones = new Float32Array(0);
  private op: Op = 'SUM';
  private num = 0;
  private dim = 0;
  /** coeff (divided by dim for MEAN), in float as Caffe keeps it */
  private coeff = 1;
  /** the device's |x| or x^2, and dim ones */
  private readonly devTemp = new Blob();
  private readonly devOnes = new Blob();

  override layerSetUp(): void {
    this.op = this.param('reduction_param').operation;
    if (!['SUM', 'ASUM', 'SUMSQ', 'MEAN'].includes(this.op)) throw layerError(this, `Unknown reduction op: ${this.op}`);
  }

  reshape(bottom: Blob[], top: Blob[]): void {
    const axis = bottom[0].canonicalAxisIndex(this.param('reduction_param').axis);
    top[0].reshape(bottom[0].shape.slice(0, axis));
    this.num = bottom[0].countRange(0, axis);
    this.dim = bottom[0].countRange(axis);
    checkOp(this, this.num, '==', top[0].count, 'num_ == top[0]->count()');
    this.coeff = Math.fround(this.param('reduction_param').coeff);
    if (this.op === 'MEAN') this.coeff = Math.fround(this.coeff / this.dim);
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    // Caffe: caffe_cpu_dot with a ones vector (SUM, MEAN), caffe_cpu_asum, caffe_cpu_dot with itself
    const be = backend(),
      x = bottom[0].cpuData(),
      y = top[0].mutableCpuData(),
      dim = this.dim;
    if (this.ones.length !== dim) this.ones = new Float32Array(dim).fill(1);
    for (let i = 0, o = 0; i < this.num; i++, o += dim) {
      const xi = x.subarray(o, o + dim);
      y[i] = this.op === 'ASUM' ? be.asum(xi) : be.dot(xi, this.op === 'SUMSQ' ? xi : this.ones);
    }
    if (this.coeff !== 1) for (let i = 0; i < this.num; i++) y[i] *= this.coeff;
  }

  /** dim ones on the device (filled on the host once per shape) */
  private onesGpu() {
    if (this.devOnes.count !== this.dim) {
      this.devOnes.reshape([this.dim]);
      this.devOnes.mutableCpuData().fill(1);
    }
    return this.devOnes.gpuData();
  }

  // each row's sum of x, |x| or x^2 by one gemv with ones, times coeff
  protected override forwardGpu(bottom: Blob[], top: Blob[]): void {
    const m = currentDevice().math,
      n = bottom[0].count;
    let x = bottom[0].gpuData();
    if (this.op === 'ASUM' || this.op === 'SUMSQ') {
      this.devTemp.reshape([n]);
      const t = this.devTemp.mutableGpuData();
      if (this.op === 'ASUM') m.abs(n, x, t);
      else m.mul(n, x, x, t);
      x = t;
    }
    m.gemv(false, this.num, this.dim, this.coeff, x, this.onesGpu(), 0, top[0].mutableGpuData());
  }

  // dx row i = coeff dy[i] (broadcast by gemm), times sign(x) (ASUM) or 2x (SUMSQ)
  protected override backwardGpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const m = currentDevice().math,
      n = bottom[0].count,
      dx = bottom[0].mutableGpuDiff();
    m.gemm(false, false, this.num, this.dim, 1, this.coeff, top[0].gpuDiff(), this.onesGpu(), 0, dx);
    if (this.op === 'ASUM') {
      this.devTemp.reshape([n]);
      const t = this.devTemp.mutableGpuData();
      m.sign(n, bottom[0].gpuData(), t);
      m.mul(n, dx, t, dx);
    } else if (this.op === 'SUMSQ') {
      m.mul(n, dx, bottom[0].gpuData(), dx);
      m.scal(n, 2, dx);
    }
  }

  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const x = bottom[0].cpuData(),
      dy = top[0].cpuDiff(),
      dx = bottom[0].mutableCpuDiff(),
      dim = this.dim;
    for (let i = 0, o = 0; i < this.num; i++, o += dim) {
      const g = Math.fround(dy[i] * this.coeff);
      switch (this.op) {
        case 'SUM':
        case 'MEAN':
          dx.fill(g, o, o + dim);
          break;
        case 'ASUM':
          for (let j = 0; j < dim; j++) {
            const v = x[o + j];
            dx[o + j] = v > 0 ? g : v < 0 ? -g : 0;
          }
          break;
        case 'SUMSQ':
          for (let j = 0; j < dim; j++) dx[o + j] = 2 * g * x[o + j];
          break;
      }
    }
  }

  override exactNumBottomBlobs(): number {
    return 1;
  }
  override exactNumTopBlobs(): number {
    return 1;
  }
}

registerLayer('Reduction', ReductionLayer);
