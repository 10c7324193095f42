// BatchNorm: normalizes each channel (axis 1) over the batch and spatial positions,
//   y = (x - mean_c) / sqrt(var_c + eps).
// Three blobs hold running statistics, not learned weights: [0] sum of means, [1] sum of (unbiased)
// variances, [2] the 1-element normalizer of those sums. In TRAIN (use_global_stats false, the default
// outside TEST) the batch statistics are used and the sums updated:
//   s <- s * maf + 1,  mean_sum <- mean + maf * mean_sum,  var_sum <- m/(m-1) var + maf * var_sum
// (m = values per channel); with use_global_stats the stored sums divided by s are used (s == 0 -> 0).
// As Caffe, set-up appends a `param { lr_mult: 0 }` spec per blob (and rejects a non-zero lr_mult), so the
// solver never updates the statistics; the backward never writes parameter diffs.
import { Blob } from '../core/blob';
import { Layer } from '../core/layer';
import { registerLayer } from '../core/layer_factory';
import type { ParamSpec } from '../proto/caffe';
import { log } from '../util/logging';
import { Ones, Scratch, sumCols, sumRows } from './broadcast';
import { layerError } from './layer_check';
import { checkOp } from '../util/check';
import { backend } from '../backend';
import { BatchNormGpu } from './BatchNorm_gpu';

export class BatchNormLayer extends Layer {
  private useGlobalStats = false;
  private maf = 0.999;
  private eps = 1e-5;
  private channels = 0;
  private num = 0;
  private spatial = 0;
  // per-channel: mean, variance, sqrt(variance + eps), and two backward sums
  private mean = new Scratch();
  private variance = new Scratch();
  private stdev = new Scratch();
  private sumDyY = new Scratch();
  private sumDy = new Scratch();
  private numByChans = new Scratch();
  private ones = new Ones();
  private xNorm = new Scratch(); // normalized output kept for the backward (later in-place layers may clobber top)
  private temp = new Scratch(); // full-size scratch
  private gpu: BatchNormGpu | null = null;

  override layerSetUp(bottom: Blob[]): void {
    const bp = this.rawParam('batch_norm_param');
    this.maf = Math.fround(this.param('batch_norm_param').moving_average_fraction);
    this.useGlobalStats = bp.use_global_stats !== undefined ? Boolean(bp.use_global_stats) : this.phase === 'TEST';
    if (bottom[0].numAxes < 1) throw layerError(this, 'bottom must have at least one axis');
    this.channels = bottom[0].numAxes === 1 ? 1 : bottom[0].shape[1];
    this.eps = Math.fround(this.param('batch_norm_param').eps);
    if (this.blobs.length > 0) {
      log.info('Skipping parameter initialization');
    } else {
      this.blobs = [new Blob([this.channels]), new Blob([this.channels]), new Blob([1])];
      for (const b of this.blobs) b.mutableCpuData().fill(0);
    }
    // keep the solver off the statistics: lr_mult 0 for every blob
    const specs: ParamSpec[] = this.layerParam.param ?? (this.layerParam.param = []);
    for (let i = 0; i < this.blobs.length; i++) {
      if (specs.length === i) specs.push({ lr_mult: 0 });
      else {
        checkOp(
          this,
          specs[i].lr_mult ?? 1,
          '==',
          0,
          'this->layer_param_.param(i).lr_mult() == 0.f',
          'Cannot configure batch normalization statistics as layer parameters.',
        );
      }
    }
    this.paramPropagateDown = this.blobs.map(() => false);
  }

  reshape(bottom: Blob[], top: Blob[]): void {
    const b = bottom[0];
    if (b.numAxes < 1) throw layerError(this, 'bottom must have at least one axis');
    if (b.numAxes >= 2) checkOp(this, b.shape[1], '==', this.channels, 'bottom[0]->shape(1) == channels_');
    if (top[0] !== b) top[0].reshapeLike(b);
    const C = this.channels;
    this.num = b.shape[0];
    this.spatial = this.num * C > 0 ? b.count / (this.num * C) : 0;
    for (const s of [this.mean, this.variance, this.stdev, this.sumDyY, this.sumDy]) s.ensure(C);
    this.numByChans.ensure(this.num * C);
    this.ones.ensure(Math.max(this.num, this.spatial, 1));
    this.xNorm.ensure(b.count);
    this.temp.ensure(b.count);
  }

  override exactNumBottomBlobs(): number {
    return 1;
  }
  override exactNumTopBlobs(): number {
    return 1;
  }

  /** out[c] = alpha * sum over n, s of a[n, c, s] */
  private channelSum(a: Float32Array, alpha: number, out: Float32Array): void {
    const N = this.num,
      C = this.channels,
      S = this.spatial,
      nbc = this.numByChans.data,
      ones = this.ones.data;
    sumRows(N * C, S, a, ones, alpha, 0, nbc);
    sumCols(N, C, nbc, ones, 1, 0, out);
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    const N = this.num,
      C = this.channels,
      S = this.spatial,
      count = bottom[0].count;
    const x = bottom[0].cpuData(),
      y = top[0].mutableCpuData();
    if (top[0] !== bottom[0]) y.set(x);
    const mean = this.mean.data,
      variance = this.variance.data,
      stdev = this.stdev.data;
    if (this.useGlobalStats) {
      const s = this.blobs[2].cpuData()[0],
        f = s === 0 ? 0 : Math.fround(1 / s);
      const m0 = this.blobs[0].cpuData(),
        v0 = this.blobs[1].cpuData();
      for (let c = 0; c < C; c++) {
        mean[c] = f * m0[c];
        variance[c] = f * v0[c];
      }
    } else {
      this.channelSum(y, Math.fround(1 / (N * S)), mean);
    }
    // subtract the mean
    let i = 0;
    for (let n = 0; n < N; n++)
      for (let c = 0; c < C; c++) {
        const m = mean[c];
        for (let k = 0; k < S; k++, i++) y[i] -= m;
      }
    if (!this.useGlobalStats) {
      const sq = this.temp.data;
      for (let j = 0; j < count; j++) sq[j] = y[j] * y[j];
      this.channelSum(sq, Math.fround(1 / (N * S)), variance);
      // running sums
      const maf = this.maf,
        m0 = this.blobs[0].mutableCpuData(),
        v0 = this.blobs[1].mutableCpuData();
      const s = this.blobs[2].mutableCpuData();
      s[0] = Math.fround(s[0] * maf) + 1;
      const m = count / C,
        corr = m > 1 ? Math.fround(m / (m - 1)) : 1;
      const be = backend(); // Caffe's caffe_cpu_axpby: scal, then axpy
      be.scal(maf, m0);
      be.axpy(1, mean, m0);
      be.scal(maf, v0);
      be.axpy(corr, variance, v0);
    }
    for (let c = 0; c < C; c++) stdev[c] = Math.sqrt(Math.fround(variance[c] + this.eps));
    i = 0;
    for (let n = 0; n < N; n++)
      for (let c = 0; c < C; c++) {
        const sd = stdev[c];
        for (let k = 0; k < S; k++, i++) y[i] /= sd;
      }
    if (!this.useGlobalStats) this.xNorm.data.set(y);
  }

  // dx = (dy - mean(dy) - mean(dy * y) * y) / sqrt(var + eps) with means over each channel (TRAIN);
  // dx = dy / sqrt(var + eps) with global statistics. Sums are taken before dx is written, so in-place
  // use (dx and dy sharing memory) is safe.
  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const N = this.num,
      C = this.channels,
      S = this.spatial,
      count = bottom[0].count;
    const dy = top[0].cpuDiff(),
      dx = bottom[0].mutableCpuDiff(),
      stdev = this.stdev.data;
    if (this.useGlobalStats) {
      let i = 0;
      for (let n = 0; n < N; n++)
        for (let c = 0; c < C; c++) {
          const sd = stdev[c];
          for (let k = 0; k < S; k++, i++) dx[i] = dy[i] / sd;
        }
      return;
    }
    const y = this.xNorm.data,
      prod = this.temp.data;
    for (let j = 0; j < count; j++) prod[j] = dy[j] * y[j];
    const a = this.sumDyY.data,
      b = this.sumDy.data;
    this.channelSum(prod, 1, a);
    this.channelSum(dy, 1, b);
    // Caffe's sequence, each step rounded to float: t = a y; t += b; t *= -1/m; t += dy; dx = t / sd
    const negInvM = Math.fround(-1 / (N * S));
    let i = 0;
    for (let n = 0; n < N; n++)
      for (let c = 0; c < C; c++) {
        const ac = a[c],
          bc = b[c],
          sd = stdev[c];
        for (let k = 0; k < S; k++, i++) {
          const t = Math.fround(negInvM * Math.fround(Math.fround(ac * y[i]) + bc));
          dx[i] = Math.fround(dy[i] + t) / sd;
        }
      }
  }

  protected override forwardGpu(bottom: Blob[], top: Blob[]): void {
    this.gpu ??= new BatchNormGpu();
    const p = { global: this.useGlobalStats, maf: this.maf, eps: this.eps };
    this.gpu.forward({ N: this.num, C: this.channels, S: this.spatial }, bottom[0], top[0], this.blobs, p);
  }

  protected override backwardGpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    this.gpu ??= new BatchNormGpu();
    this.gpu.backward({ N: this.num, C: this.channels, S: this.spatial }, top[0], bottom[0], this.useGlobalStats);
  }
}

registerLayer('BatchNorm', BatchNormLayer);
