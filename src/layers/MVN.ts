// MVN: mean-variance normalisation per (num, channel) plane, or per example with across_channels:
//   y = (x - mean) / (sqrt(var) + eps)      (y = x - mean when normalize_variance is false)
// with var the biased variance E[(x - mean)^2] and eps added to the standard deviation.
// Backward (treating the denominator as sqrt(var) + eps, as Caffe does):
//   dx = (dy - mean(dy) - y * mean(y * dy)) / (sqrt(var) + eps);  mean only: dx = dy - mean(dy).
// Works on legacy 4-d blobs: the top is reshaped to (num, channels, height, width).
import { Blob } from '../core/blob';
import { Layer } from '../core/layer';
import { backend } from '../backend';
import { registerLayer } from '../core/layer_factory';
import { currentDevice } from '../backend/mode';
import type { DevicePtr } from '../backend/device';

export class MVNLayer extends Layer {
  private normalizeVariance = true;
  private acrossChannels = false;
  private eps = 1e-9;
  /** per-group sqrt(var) + eps (Caffe's variance_ after its in-place sqrt and +eps) */
  private std = new Float32Array(0);
  /** per-group means, and a second set of sums for the backward */
  private mean = new Float32Array(0);
  private sums = new Float32Array(0);
  /** element-wise scratch (squares, products) and a ones vector of dim (Caffe's sum_multiplier_) */
  private temp = new Float32Array(0);
  private ones = new Float32Array(0);
  private groups = 0;
  private dim = 0;
  /** the device's: per-group means and sums, sqrt(var) + eps, two element-wise scratches, dim ones */
  private readonly dev = { mean: new Blob(), sums: new Blob(), std: new Blob(), t1: new Blob(), t2: new Blob() };
  private readonly devOnes = new Blob();

  override layerSetUp(): void {
    this.normalizeVariance = this.param('mvn_param').normalize_variance;
    this.acrossChannels = this.param('mvn_param').across_channels;
    this.eps = Math.fround(this.param('mvn_param').eps);
  }

  reshape(bottom: Blob[], top: Blob[]): void {
    const b = bottom[0];
    const n = b.num,
      c = b.channels,
      h = b.height,
      w = b.width;
    top[0].reshape([n, c, h, w]);
    this.groups = this.acrossChannels ? n : n * c;
    this.dim = this.groups === 0 ? 0 : b.count / this.groups;
    if (this.std.length < this.groups) {
      this.std = new Float32Array(this.groups);
      this.mean = new Float32Array(this.groups);
      this.sums = new Float32Array(this.groups);
    }
    if (this.temp.length !== b.count) this.temp = new Float32Array(b.count);
    if (this.ones.length !== this.dim) this.ones = new Float32Array(this.dim).fill(1);
  }

  /** The device buffers at this shape (ones filled on the host once per shape). */
  private deviceBuffers(count: number): Record<'mean' | 'sums' | 'std' | 't1' | 't2' | 'ones', DevicePtr> {
    const d = this.dev;
    for (const b of [d.mean, d.sums, d.std]) if (b.count !== this.groups) b.reshape([this.groups]);
    for (const b of [d.t1, d.t2]) if (b.count !== count) b.reshape([count]);
    if (this.devOnes.count !== this.dim) {
      this.devOnes.reshape([this.dim]);
      this.devOnes.mutableCpuData().fill(1);
    }
    return {
      mean: d.mean.mutableGpuData(),
      sums: d.sums.mutableGpuData(),
      std: d.std.mutableGpuData(),
      t1: d.t1.mutableGpuData(),
      t2: d.t2.mutableGpuData(),
      ones: this.devOnes.gpuData(),
    };
  }

  // Caffe's Forward_gpu: the group means and standard deviations by gemv, broadcast back by gemm
  protected override forwardGpu(bottom: Blob[], top: Blob[]): void {
    const m = currentDevice().math,
      n = bottom[0].count,
      G = this.groups,
      dim = this.dim;
    if (n === 0) return;
    const b = this.deviceBuffers(n),
      x = bottom[0].gpuData(),
      y = top[0].mutableGpuData(),
      invDim = Math.fround(1 / dim);
    m.gemv(false, G, dim, invDim, x, b.ones, 0, b.mean);
    m.copy(n, x, y);
    m.gemm(false, false, G, dim, 1, -1, b.mean, b.ones, 1, y); // y = x - mean
    if (!this.normalizeVariance) return;
    m.powx(n, y, 2, b.t1);
    m.gemv(false, G, dim, invDim, b.t1, b.ones, 0, b.std);
    m.powx(G, b.std, 0.5, b.std);
    m.addScalar(G, this.eps, b.std);
    m.gemm(false, false, G, dim, 1, 1, b.std, b.ones, 0, b.t1);
    m.div(n, y, b.t1, y);
  }

  // dx as backwardCpu's, written last (in place works): t1 = dy - (y sum(y dy) + sum(dy)) / dim, / std
  protected override backwardGpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const m = currentDevice().math,
      n = bottom[0].count,
      G = this.groups,
      dim = this.dim;
    if (n === 0) return;
    const b = this.deviceBuffers(n),
      y = top[0].gpuData(),
      dy = top[0].gpuDiff();
    if (!this.normalizeVariance) {
      m.gemv(false, G, dim, Math.fround(1 / dim), dy, b.ones, 0, b.mean);
      const dx = bottom[0].mutableGpuDiff();
      m.copy(n, dy, dx);
      m.gemm(false, false, G, dim, 1, -1, b.mean, b.ones, 1, dx);
      return;
    }
    m.mul(n, y, dy, b.t1);
    m.gemv(false, G, dim, 1, b.t1, b.ones, 0, b.mean);
    m.gemv(false, G, dim, 1, dy, b.ones, 0, b.sums);
    m.gemm(false, false, G, dim, 1, 1, b.mean, b.ones, 0, b.t1);
    m.mul(n, y, b.t1, b.t1);
    m.gemm(false, false, G, dim, 1, 1, b.sums, b.ones, 1, b.t1);
    m.axpby(n, 1, dy, Math.fround(-1 / dim), b.t1);
    m.gemm(false, false, G, dim, 1, 1, b.std, b.ones, 0, b.t2);
    m.div(n, b.t1, b.t2, bottom[0].mutableGpuDiff());
  }

  override exactNumBottomBlobs(): number {
    return 1;
  }
  override exactNumTopBlobs(): number {
    return 1;
  }

  // Caffe's sequence: means by gemv (sum / dim), x - mean, then squares (powx 2), their means by gemv,
  // powx 0.5, + eps, and a division; every step stored in float.
  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    const be = backend(),
      x = bottom[0].cpuData(),
      y = top[0].mutableCpuData(),
      dim = this.dim,
      G = this.groups;
    const mean = this.mean.subarray(0, G),
      std = this.std.subarray(0, G),
      invDim = Math.fround(1 / dim);
    be.gemv(false, G, dim, invDim, x, this.ones, 0, mean);
    for (let g = 0, i = 0; g < G; g++) for (let k = 0; k < dim; k++, i++) y[i] = x[i] - mean[g];
    if (!this.normalizeVariance) return;
    const sq = this.temp;
    be.powx(y, 2, sq);
    be.gemv(false, G, dim, invDim, sq, this.ones, 0, std);
    be.powx(std, 0.5, std);
    for (let g = 0; g < G; g++) std[g] += this.eps;
    for (let g = 0, i = 0; g < G; g++) for (let k = 0; k < dim; k++, i++) y[i] /= std[g];
  }

  // normalize_variance: dx = (dy - (sum(dy) + y sum(y dy)) / dim) / std, in Caffe's order: t = y sum(y dy);
  // t += sum(dy); t *= -1/dim; t += dy; dx = t / std. Otherwise dx = dy - mean(dy).
  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const be = backend(),
      y = top[0].cpuData(),
      dy = top[0].cpuDiff(),
      dx = bottom[0].mutableCpuDiff();
    const dim = this.dim,
      G = this.groups,
      s1 = this.mean.subarray(0, G),
      s2 = this.sums.subarray(0, G);
    if (!this.normalizeVariance) {
      be.gemv(false, G, dim, Math.fround(1 / dim), dy, this.ones, 0, s1);
      for (let g = 0, i = 0; g < G; g++) for (let k = 0; k < dim; k++, i++) dx[i] = dy[i] - s1[g];
      return;
    }
    const prod = this.temp;
    for (let i = 0; i < prod.length; i++) prod[i] = y[i] * dy[i];
    be.gemv(false, G, dim, 1, prod, this.ones, 0, s1);
    be.gemv(false, G, dim, 1, dy, this.ones, 0, s2);
    const negInvDim = Math.fround(-1 / dim),
      std = this.std;
    for (let g = 0, i = 0; g < G; g++) {
      for (let k = 0; k < dim; k++, i++) {
        const t = Math.fround(negInvDim * Math.fround(Math.fround(y[i] * s1[g]) + s2[g]));
        dx[i] = Math.fround(dy[i] + t) / std[g];
      }
    }
  }
}

registerLayer('MVN', MVNLayer);
