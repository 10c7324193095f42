// BatchNorm on the device, as Caffe's batch_norm_layer.cu: per-channel sums by gemv against ones, the
// per-channel values broadcast back by rank-1 gemms, everything else element-wise. The running sums
// (blobs 0..2) stay on the device, their counter too (Caffe updates it on the host).
import { Blob } from '../core/blob';
import { currentDevice } from '../backend/mode';
import type { DevicePtr } from '../backend/device';

/** N images x C channels x S positions. */
export interface BnShape {
  N: number;
  C: number;
  S: number;
}

/** Device memory only (no host copy is ever made): grown to `n` floats. */
function scratch(b: Blob, n: number): DevicePtr {
  if (b.count !== n) b.reshape([n]);
  return b.mutableGpuData();
}

export class BatchNormGpu {
  private mean = new Blob();
  private variance = new Blob();
  private numByChans = new Blob();
  /** the broadcast sqrt(variance + eps), kept for the backward (Caffe's temp_) */
  private temp = new Blob();
  /** the normalized output kept for the backward (data), the top diff copied there in place (diff) */
  private xNorm = new Blob();

  /** out[c] = alpha * sum over n, s of a[n, c, s] */
  private channelSum({ N, C, S }: BnShape, a: DevicePtr, alpha: number, out: DevicePtr): void {
    const m = currentDevice().math,
      ones = currentDevice().kernels.ones(Math.max(N, S));
    const nbc = this.numByChans.mutableGpuData();
    m.gemv(false, N * C, S, alpha, a, ones, 0, nbc);
    m.gemv(true, N, C, 1, nbc, ones, 0, out);
  }

  /** y[n, c, s] = alpha v[c] + beta y[n, c, s] */
  private broadcast({ N, C, S }: BnShape, v: DevicePtr, alpha: number, beta: number, y: DevicePtr): void {
    const m = currentDevice().math,
      ones = currentDevice().kernels.ones(Math.max(N, S));
    const nbc = this.numByChans.mutableGpuData();
    m.gemm(false, false, N, C, 1, 1, ones, v, 0, nbc);
    m.gemm(false, false, N * C, S, 1, alpha, nbc, ones, beta, y);
  }

  forward(sh: BnShape, bottom: Blob, top: Blob, blobs: Blob[], p: { global: boolean; maf: number; eps: number }): void {
    const m = currentDevice().math,
      k = currentDevice().kernels,
      { N, C, S } = sh,
      count = N * C * S;
    scratch(this.numByChans, N * C);
    const mean = scratch(this.mean, C),
      variance = scratch(this.variance, C),
      temp = scratch(this.temp, count);
    const y = top.mutableGpuData();
    if (top !== bottom) m.copy(count, bottom.gpuData(), y);
    if (p.global) {
      // the stored sums / their counter (0 when the counter is 0)
      k.scaleByInverse(C, blobs[0].gpuData(), blobs[2].gpuData(), mean);
      k.scaleByInverse(C, blobs[1].gpuData(), blobs[2].gpuData(), variance);
    } else {
      this.channelSum(sh, y, Math.fround(1 / (N * S)), mean);
    }
    this.broadcast(sh, mean, -1, 1, y); // y -= mean
    if (!p.global) {
      m.mul(count, y, y, temp);
      this.channelSum(sh, temp, Math.fround(1 / (N * S)), variance);
      // running sums: s = maf s + 1, mean_sum = mean + maf mean_sum, var_sum = m/(m-1) var + maf var_sum
      const s = blobs[2].mutableGpuData();
      m.scal(1, p.maf, s);
      m.addScalar(1, 1, s);
      const corr = count / C > 1 ? Math.fround(count / C / (count / C - 1)) : 1;
      m.axpby(C, 1, mean, p.maf, blobs[0].mutableGpuData());
      m.axpby(C, corr, variance, p.maf, blobs[1].mutableGpuData());
    }
    // stdev = sqrt(variance + eps), broadcast into temp; y /= temp
    m.addScalar(C, p.eps, variance);
    m.sqrt(C, variance, variance);
    this.broadcast(sh, variance, 1, 0, temp);
    m.div(count, y, temp, y);
    if (!p.global) m.copy(count, y, scratch(this.xNorm, count));
  }

  // dx = (dy - mean(dy) - mean(dy y) y) / stdev (TRAIN), dy / stdev (global statistics)
  backward(sh: BnShape, top: Blob, bottom: Blob, global: boolean): void {
    const m = currentDevice().math,
      { N, C, S } = sh,
      count = N * C * S;
    let dy = top.gpuDiff();
    const dx = bottom.mutableGpuDiff(),
      temp = this.temp.gpuData();
    if (global) {
      m.div(count, dy, temp, dx);
      return;
    }
    if (top === bottom) {
      m.copy(count, dy, this.xNorm.mutableGpuDiff());
      dy = this.xNorm.gpuDiff();
    }
    const y = this.xNorm.gpuData(),
      mean = this.mean.mutableGpuData();
    m.mul(count, y, dy, dx);
    this.channelSum(sh, dx, 1, mean); // sum(dy y)
    this.broadcast(sh, mean, 1, 0, dx);
    m.mul(count, dx, y, dx); // sum(dy y) y
    this.channelSum(sh, dy, 1, mean); // sum(dy)
    this.broadcast(sh, mean, 1, 1, dx); // + sum(dy)
    m.axpby(count, 1, dy, Math.fround(-1 / (N * S)), dx); // dy - (...) / m
    m.div(count, dx, temp, dx);
  }
}
