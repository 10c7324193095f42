// InnerProduct (fully connected): top = bottom (M x K) * W^T (N x K, or K x N with `transpose`) + b.
// M = product of bottom dims before `axis`, K = product from `axis` on.
import { Blob } from '../core/blob';
import { Layer } from '../core/layer';
import { registerLayer } from '../core/layer_factory';
import { backend } from '../backend';
import { currentDevice } from '../backend/mode';
import { CaffeError } from '../util/errors';
import { setUpWeightAndBias } from './param_blobs';

export class InnerProductLayer extends Layer {
  private M = 0;
  private K = 0;
  private N = 0;
  private biasTerm = true;
  private transpose = false;
  private biasMultiplier = new Blob();

  override layerSetUp(bottom: Blob[]): void {
    const ip = this.rawParam('inner_product_param');
    this.N = this.param('inner_product_param').num_output;
    this.biasTerm = this.param('inner_product_param').bias_term;
    this.transpose = this.param('inner_product_param').transpose;
    const axis = bottom[0].canonicalAxisIndex(this.param('inner_product_param').axis);
    this.K = bottom[0].countRange(axis);
    const wShape = this.transpose ? [this.K, this.N] : [this.N, this.K];
    setUpWeightAndBias(this, ip, wShape, this.biasTerm ? [this.N] : undefined);
  }

  reshape(bottom: Blob[], top: Blob[]): void {
    const axis = bottom[0].canonicalAxisIndex(this.param('inner_product_param').axis);
    const K = bottom[0].countRange(axis);
    if (K !== this.K) {
      throw new CaffeError(
        `Input size incompatible with inner product parameters (layer ${this.name}: ${K} vs ${this.K}).`,
      );
    }
    this.M = bottom[0].countRange(0, axis);
    top[0].reshape([...bottom[0].shape.slice(0, axis), this.N]);
    if (this.biasTerm && this.biasMultiplier.count !== this.M) {
      // filled once per size: a refill each forward would move it to the device every iteration
      this.biasMultiplier.reshape([this.M]);
      this.biasMultiplier.mutableCpuData().fill(1);
    }
  }

  override exactNumBottomBlobs(): number {
    return 1;
  }
  override exactNumTopBlobs(): number {
    return 1;
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    const be = backend();
    const x = bottom[0].cpuData(),
      y = top[0].mutableCpuData(),
      w = this.blobs[0].cpuData();
    be.gemm(false, !this.transpose, this.M, this.N, this.K, 1, x, w, 0, y);
    if (this.biasTerm)
      be.gemm(false, false, this.M, this.N, 1, 1, this.biasMultiplier.cpuData(), this.blobs[1].cpuData(), 1, y);
  }

  protected override forwardGpu(bottom: Blob[], top: Blob[]): void {
    const m = currentDevice().math;
    const y = top[0].mutableGpuData();
    m.gemm(false, !this.transpose, this.M, this.N, this.K, 1, bottom[0].gpuData(), this.blobs[0].gpuData(), 0, y);
    if (this.biasTerm)
      m.gemm(false, false, this.M, this.N, 1, 1, this.biasMultiplier.gpuData(), this.blobs[1].gpuData(), 1, y);
  }

  protected override backwardGpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    const m = currentDevice().math;
    const dy = top[0].gpuDiff(),
      x = bottom[0].gpuData();
    if (this.paramPropagate(0)) {
      const dw = this.blobs[0].mutableGpuDiff();
      if (this.transpose) m.gemm(true, false, this.K, this.N, this.M, 1, x, dy, 1, dw);
      else m.gemm(true, false, this.N, this.K, this.M, 1, dy, x, 1, dw);
    }
    if (this.biasTerm && this.paramPropagate(1))
      m.gemv(true, this.M, this.N, 1, dy, this.biasMultiplier.gpuData(), 1, this.blobs[1].mutableGpuDiff());
    if (propagateDown[0]) {
      const w = this.blobs[0].gpuData();
      m.gemm(false, this.transpose, this.M, this.K, this.N, 1, dy, w, 0, bottom[0].mutableGpuDiff());
    }
  }

  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    const be = backend();
    const dy = top[0].cpuDiff(),
      x = bottom[0].cpuData();
    if (this.paramPropagate(0)) {
      // dW += dy^T x (or x^T dy when transposed)
      const dw = this.blobs[0].mutableCpuDiff();
      if (this.transpose) be.gemm(true, false, this.K, this.N, this.M, 1, x, dy, 1, dw);
      else be.gemm(true, false, this.N, this.K, this.M, 1, dy, x, 1, dw);
    }
    if (this.biasTerm && this.paramPropagate(1)) {
      // db += dy^T 1
      be.gemv(true, this.M, this.N, 1, dy, this.biasMultiplier.cpuData(), 1, this.blobs[1].mutableCpuDiff());
    }
    if (propagateDown[0]) {
      // dx = dy W (or dy W^T)
      be.gemm(
        false,
        this.transpose,
        this.M,
        this.K,
        this.N,
        1,
        dy,
        this.blobs[0].cpuData(),
        0,
        bottom[0].mutableCpuDiff(),
      );
    }
  }
}

registerLayer('InnerProduct', InnerProductLayer);
