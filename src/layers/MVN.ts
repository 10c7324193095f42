// MVN: mean-variance normalisation per (num, channel) plane, or per example with across_channels:
//   y = (x - mean) / (sqrt(var) + eps)      (y = x - mean when normalize_variance is false)
// with var the biased variance E[(x - mean)^2] and eps added to the standard deviation.
// Backward (treating the denominator as sqrt(var) + eps, as Caffe does):
//   dx = (dy - mean(dy) - y * mean(y * dy)) / (sqrt(var) + eps);  mean only: dx = dy - mean(dy).
// Works on legacy 4-d blobs: the top is reshaped to (num, channels, height, width).
import { Blob } from '../core/blob';
import { Layer } from '../core/layer';
import { registerLayer } from '../core/layer_factory';

const P = 'caffe.MVNParameter';

export class MVNLayer extends Layer {
  private normalizeVariance = true;
  private acrossChannels = false;
  private eps = 1e-9;
  /** per-group sqrt(var) + eps (Caffe's variance_ after its in-place sqrt and +eps) */
  private std = new Float32Array(0);
  private groups = 0;
  private dim = 0;

  override layerSetUp(): void {
    this.normalizeVariance = this.param<boolean>('mvn_param', P, 'normalize_variance');
    this.acrossChannels = this.param<boolean>('mvn_param', P, 'across_channels');
    this.eps = this.param<number>('mvn_param', P, 'eps');
  }

  reshape(bottom: Blob[], top: Blob[]): void {
    const b = bottom[0];
    const n = b.num, c = b.channels, h = b.height, w = b.width;
    top[0].reshape([n, c, h, w]);
    this.groups = this.acrossChannels ? n : n * c;
    this.dim = this.groups === 0 ? 0 : b.count / this.groups;
    if (this.std.length < this.groups) this.std = new Float32Array(this.groups);
  }

  override exactNumBottomBlobs(): number { return 1; }
  override exactNumTopBlobs(): number { return 1; }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    const x = bottom[0].cpuData(), y = top[0].mutableCpuData(), dim = this.dim;
    for (let g = 0; g < this.groups; g++) {
      const o = g * dim;
      let sum = 0;
      for (let k = 0; k < dim; k++) sum += x[o + k];
      const mean = Math.fround(sum / dim);
      for (let k = 0; k < dim; k++) y[o + k] = x[o + k] - mean;
      if (!this.normalizeVariance) continue;
      let sq = 0;
      for (let k = 0; k < dim; k++) sq += y[o + k] * y[o + k];
      const std = Math.fround(Math.sqrt(Math.fround(sq / dim)) + this.eps);
      this.std[g] = std;
      for (let k = 0; k < dim; k++) y[o + k] /= std;
    }
  }

  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const y = top[0].cpuData(), dy = top[0].cpuDiff(), dx = bottom[0].mutableCpuDiff(), dim = this.dim;
    for (let g = 0; g < this.groups; g++) {
      const o = g * dim;
      let sdy = 0, sydy = 0;
      for (let k = 0; k < dim; k++) { sdy += dy[o + k]; sydy += y[o + k] * dy[o + k]; }
      if (this.normalizeVariance) {
        const std = this.std[g];
        for (let k = 0; k < dim; k++) dx[o + k] = (dy[o + k] - (sdy + y[o + k] * sydy) / dim) / std;
      } else {
        const m = sdy / dim;
        for (let k = 0; k < dim; k++) dx[o + k] = dy[o + k] - m;
      }
    }
  }
}

registerLayer('MVN', MVNLayer);
