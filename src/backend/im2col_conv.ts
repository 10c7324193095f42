// Convolution as Caffe's BaseConvolutionLayer computes it on the CPU: per image, im2col (skipped for
// 1x1 / stride 1 / pad 0), then one gemm per group; the bias is a rank-1 gemm; the bias gradient a
// gemv per image (all images first), the weight gradient a gemm per image and group accumulating
// into the diff (beta 1), the data gradient a gemm per group then col2im.
import { Backend, ConvDesc, ConvPrimitive } from './backend';
import { NativeIm2colGeometry, native } from '../native/addon';

export class Im2colConvolution implements ConvPrimitive {
  private readonly kernelDim: number;
  private readonly spatial: number;
  private readonly is1x1: boolean;
  private readonly col: Float32Array;
  private readonly ones: Float32Array;
  private readonly geo: NativeIm2colGeometry;

  constructor(
    private readonly d: ConvDesc,
    private readonly be: Backend,
  ) {
    this.kernelDim = (d.channels / d.group) * d.kernelH * d.kernelW;
    this.spatial = d.outH * d.outW;
    this.is1x1 =
      d.kernelH === 1 && d.kernelW === 1 && d.strideH === 1 && d.strideW === 1 && d.padH === 0 && d.padW === 0;
    this.col = new Float32Array(this.is1x1 ? 0 : this.kernelDim * d.group * this.spatial);
    this.ones = new Float32Array(this.spatial).fill(1);
    this.geo = [
      d.channels,
      d.height,
      d.width,
      d.kernelH,
      d.kernelW,
      d.padH,
      d.padW,
      d.strideH,
      d.strideW,
      d.dilationH,
      d.dilationW,
    ];
  }

  private get inDim(): number {
    return this.d.channels * this.d.height * this.d.width;
  }
  private get outDim(): number {
    return this.d.numOutput * this.spatial;
  }

  /** the image's columns (the image itself for a 1x1 convolution) */
  private columns(x: Float32Array): Float32Array {
    if (this.is1x1) return x;
    native().im2col(x, this.col, ...this.geo);
    return this.col;
  }

  forward(x: Float32Array, w: Float32Array, b: Float32Array | null, y: Float32Array): void {
    const { d, kernelDim, spatial } = this,
      G = d.group,
      Mg = d.numOutput / G;
    for (let n = 0; n < d.num; n++) {
      const col = this.columns(x.subarray(n * this.inDim, (n + 1) * this.inDim));
      const yn = y.subarray(n * this.outDim, (n + 1) * this.outDim);
      for (let g = 0; g < G; g++) {
        this.be.gemm(
          false,
          false,
          Mg,
          spatial,
          kernelDim,
          1,
          w.subarray(g * Mg * kernelDim),
          col.subarray(g * kernelDim * spatial),
          0,
          yn.subarray(g * Mg * spatial),
        );
      }
      if (b) this.be.gemm(false, false, d.numOutput, spatial, 1, 1, b, this.ones, 1, yn);
    }
  }

  backwardData(dy: Float32Array, w: Float32Array, dx: Float32Array): void {
    const { d, kernelDim, spatial } = this,
      G = d.group,
      Mg = d.numOutput / G;
    for (let n = 0; n < d.num; n++) {
      const dxn = dx.subarray(n * this.inDim, (n + 1) * this.inDim);
      const col = this.is1x1 ? dxn : this.col;
      for (let g = 0; g < G; g++) {
        this.be.gemm(
          true,
          false,
          kernelDim,
          spatial,
          Mg,
          1,
          w.subarray(g * Mg * kernelDim),
          dy.subarray(n * this.outDim + g * Mg * spatial),
          0,
          col.subarray(g * kernelDim * spatial),
        );
      }
      if (!this.is1x1) native().col2im(this.col, dxn, ...this.geo);
    }
  }

  backwardWeights(x: Float32Array, dy: Float32Array, dw: Float32Array, db: Float32Array | null): void {
    const { d, kernelDim, spatial } = this,
      G = d.group,
      Mg = d.numOutput / G;
    if (db) {
      for (let n = 0; n < d.num; n++) {
        this.be.gemv(
          false,
          d.numOutput,
          spatial,
          1,
          dy.subarray(n * this.outDim, (n + 1) * this.outDim),
          this.ones,
          1,
          db,
        );
      }
    }
    for (let n = 0; n < d.num; n++) {
      const col = this.columns(x.subarray(n * this.inDim, (n + 1) * this.inDim));
      for (let g = 0; g < G; g++) {
        this.be.gemm(
          false,
          true,
          Mg,
          kernelDim,
          spatial,
          1,
          dy.subarray(n * this.outDim + g * Mg * spatial),
          col.subarray(g * kernelDim * spatial),
          1,
          dw.subarray(g * Mg * kernelDim),
        );
      }
    }
  }

  bufferBytes(_backwardData: boolean, _backwardWeights: boolean): number {
    return this.col.byteLength + this.ones.byteLength;
  }

  dispose(): void {
    /* buffers are garbage-collected */
  }
}
