// The convolution on the WebGPU device, as Caffe's GPU path computes it: im2col, then one GEMM per
// image and group (batched over the images of a chunk), col2im for the data gradient.
import type { ConvDesc } from '../backend';
import { DeviceConvPrimitive, DevicePtr, ptrAt } from '../device';
import type { WebGpuKernels } from './webgpu_kernels';

/** Floats of im2col buffer a convolution keeps (64 MB): images are processed in chunks that fit. */
const COL_BUDGET = 2 ** 24;

/**
 * Caffe's GPU convolution (im2col, GEMM per group, col2im), over a chunk of images at a time: one
 * im2col for the chunk, then per group one strided batched GEMM over its images (the weights shared:
 * stride 0); the bias by a batched ones GEMM. Weight gradients sum over images, so they stay one
 * GEMM per image and group (accumulating, as Caffe's).
 */
export class WebGpuConvolution implements DeviceConvPrimitive {
  private readonly col: DevicePtr;
  private readonly chunk: number;
  private readonly M: number; // output channels per group
  private readonly K: number; // input channels per group x kernel
  private readonly N: number; // output pixels
  private readonly inDim: number;
  private readonly outDim: number;
  private readonly colDim: number;

  constructor(
    private readonly k: WebGpuKernels,
    private readonly d: ConvDesc,
  ) {
    this.M = d.numOutput / d.group;
    this.K = (d.channels / d.group) * d.kernelH * d.kernelW;
    this.N = d.outH * d.outW;
    this.inDim = d.channels * d.height * d.width;
    this.outDim = d.numOutput * this.N;
    this.colDim = this.K * d.group * this.N;
    this.chunk = Math.max(1, Math.min(d.num, Math.floor(COL_BUDGET / this.colDim)));
    this.col = { buffer: k.dev.alloc(this.colDim * this.chunk), offset: 0 };
  }

  /** fn(first image, images) over the chunks of the batch. */
  private chunks(fn: (n0: number, n: number) => void): void {
    for (let n0 = 0; n0 < this.d.num; n0 += this.chunk) fn(n0, Math.min(this.chunk, this.d.num - n0));
  }

  forward(x: DevicePtr, w: DevicePtr, b: DevicePtr | null, y: DevicePtr): void {
    const { d, M, K, N, col } = this,
      math = this.k.dev.math;
    this.chunks((n0, n) => {
      const yn = ptrAt(y, n0 * this.outDim);
      this.k.im2col(d, n, ptrAt(x, n0 * this.inDim), col);
      for (let g = 0; g < d.group; g++) {
        const wg = ptrAt(w, g * M * K);
        math.gemmStridedBatched(
          false,
          false,
          M,
          N,
          K,
          1,
          wg,
          0,
          ptrAt(col, g * K * N),
          this.colDim,
          0,
          ptrAt(yn, g * M * N),
          this.outDim,
          n,
        );
      }
      if (b && d.bias)
        math.gemmStridedBatched(false, false, d.numOutput, N, 1, 1, b, 0, this.k.ones(N), 0, 1, yn, this.outDim, n);
    });
  }

  backwardData(dy: DevicePtr, w: DevicePtr, dx: DevicePtr): void {
    const { d, M, K, N, col } = this,
      math = this.k.dev.math;
    this.chunks((n0, n) => {
      const dyn = ptrAt(dy, n0 * this.outDim);
      for (let g = 0; g < d.group; g++) {
        const wg = ptrAt(w, g * M * K);
        math.gemmStridedBatched(
          true,
          false,
          K,
          N,
          M,
          1,
          wg,
          0,
          ptrAt(dyn, g * M * N),
          this.outDim,
          0,
          ptrAt(col, g * K * N),
          this.colDim,
          n,
        );
      }
      this.k.col2im(d, n, col, ptrAt(dx, n0 * this.inDim));
    });
  }

  backwardWeights(x: DevicePtr, dy: DevicePtr, dw: DevicePtr, db: DevicePtr | null): void {
    const { d, M, K, N, col } = this,
      math = this.k.dev.math;
    if (db) this.k.channelSum(d.num, d.numOutput, N, dy, db);
    this.chunks((n0, n) => {
      this.k.im2col(d, n, ptrAt(x, n0 * this.inDim), col);
      for (let i = 0; i < n; i++) {
        const dyn = ptrAt(dy, (n0 + i) * this.outDim);
        for (let g = 0; g < d.group; g++)
          math.gemm(
            false,
            true,
            M,
            K,
            N,
            1,
            ptrAt(dyn, g * M * N),
            ptrAt(col, i * this.colDim + g * K * N),
            1,
            ptrAt(dw, g * M * K),
          );
      }
    });
  }

  dispose(): void {
    this.k.dev.free(this.col.buffer);
  }
}
