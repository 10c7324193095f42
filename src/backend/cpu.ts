// The CPU backend: oneDNN through the native addon, on host Float32Arrays (no copies).
import * as os from 'os';
import { Backend, ConvDesc, ConvPrimitive, DeviceInfo, LRNDesc, PoolDesc, emptyGemm } from './backend';
import { NativePoolGeometry, native } from '../native/addon';

export class CpuBackend implements Backend {
  readonly name: string = 'cpu';

  constructor() {
    this.setThreads(undefined);
  }

  setThreads(n: number | undefined): void {
    native().ompThreads(n ?? 0);
  }

  info(): DeviceInfo {
    const n = native().info();
    const cpus = os.cpus();
    return {
      backend: 'cpu',
      lines: [
        `Backend: CPU (oneDNN ${n.dnnl})`,
        `CPU: ${cpus[0]?.model ?? 'unknown'}`,
        `Cores: ${n.hardwareThreads}`,
        `Threads: ${n.threads}`,
        `Thread wait policy: ${(process.env.OMP_WAIT_POLICY ?? 'default').toLowerCase()}`,
        `ISA: ${n.isa}`,
      ],
    };
  }

  gemm(
    transA: boolean,
    transB: boolean,
    M: number,
    N: number,
    K: number,
    alpha: number,
    A: Float32Array,
    B: Float32Array,
    beta: number,
    C: Float32Array,
  ): void {
    if (emptyGemm(M, N, K, beta, C)) return;
    native().gemm(transA, transB, M, N, K, alpha, A, B, beta, C);
  }

  gemv(
    transA: boolean,
    M: number,
    N: number,
    alpha: number,
    A: Float32Array,
    x: Float32Array,
    beta: number,
    y: Float32Array,
  ): void {
    if (M * N <= 4096) {
      // small (a softmax's channel sums): a loop beats a call into the addon
      const len = transA ? N : M,
        K = transA ? M : N;
      for (let i = 0; i < len; i++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += (transA ? A[k * N + i] : A[i * N + k]) * x[k];
        y[i] = alpha * s + (beta === 0 ? 0 : beta * y[i]);
      }
      return;
    }
    // as a gemm with one row: y^T (1 x len) = x^T op(A)^T (an empty one as BLAS does: see emptyGemm)
    if (emptyGemm(1, transA ? N : M, transA ? M : N, beta, y)) return;
    if (transA) native().gemm(false, false, 1, N, M, alpha, x, A, beta, y);
    else native().gemm(false, true, 1, M, N, alpha, x, A, beta, y);
  }

  // a product of two floats is exact in a double, so `alpha * x + y` stored to a float rounds like a fused
  // saxpy; native/eltwise.cc computes it so on both cores
  axpy(alpha: number, x: Float32Array, y: Float32Array): void {
    native().axpy(alpha, x, y);
  }

  reluForward(x: Float32Array, y: Float32Array, slope: number): void {
    native().reluForward(x, y, slope);
  }

  reluBackward(x: Float32Array, dy: Float32Array, dx: Float32Array, slope: number): void {
    native().reluBackward(x, dy, dx, slope);
  }

  copyStrided(
    rows: number,
    count: number,
    src: Float32Array,
    srcOffset: number,
    srcStride: number,
    dst: Float32Array,
    dstOffset: number,
    dstStride: number,
  ): void {
    for (let r = 0; r < rows; r++) {
      const from = srcOffset + r * srcStride;
      dst.set(src.subarray(from, from + count), dstOffset + r * dstStride);
    }
  }

  scal(alpha: number, x: Float32Array): void {
    for (let i = 0; i < x.length; i++) x[i] = alpha * x[i];
  }

  // x^2 and x^0.5 exactly rounded (a float square is exact in a double)
  powx(x: Float32Array, p: number, y: Float32Array): void {
    if (p === 2) for (let i = 0; i < x.length; i++) y[i] = x[i] * x[i];
    else if (p === 0.5) for (let i = 0; i < x.length; i++) y[i] = Math.sqrt(x[i]);
    else for (let i = 0; i < x.length; i++) y[i] = Math.pow(x[i], p);
  }

  log(x: Float32Array, y: Float32Array): void {
    for (let i = 0; i < x.length; i++) y[i] = Math.log(x[i]);
  }

  tanh(x: Float32Array, y: Float32Array): void {
    for (let i = 0; i < x.length; i++) y[i] = Math.tanh(x[i]);
  }

  exp(x: Float32Array, y: Float32Array): void {
    for (let i = 0; i < x.length; i++) y[i] = Math.exp(x[i]);
  }

  expDouble(x: Float64Array, y: Float64Array): void {
    for (let i = 0; i < x.length; i++) y[i] = Math.exp(x[i]);
  }

  asum(x: Float32Array): number {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += Math.abs(x[i]);
    return s;
  }

  dot(x: Float32Array, y: Float32Array): number {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i] * y[i];
    return s;
  }

  /** oneDNN applies a fused ReLU as a post-op of the convolution (native/conv_plan.h). */
  readonly fusesConvReLU: boolean = true;

  /** A native oneDNN convolution (native/conv.cc); its primitives are built on first use, then reused. */
  convolution(d: ConvDesc): ConvPrimitive {
    return new (native().Conv)(d);
  }

  // Pooling and LRN: OpenMP kernels in native/pool.cc.
  maxPoolForward(
    d: PoolDesc,
    x: Float32Array,
    y: Float32Array,
    mask: Int32Array | null,
    topMask: Float32Array | null,
  ): void {
    native().maxPoolForward(x, y, mask, topMask, ...poolGeo(d));
  }

  indexPoolBackward(
    d: PoolDesc,
    dy: Float32Array,
    mask: Int32Array | null,
    topMask: Float32Array | null,
    dx: Float32Array,
  ): void {
    native().indexPoolBackward(dy, mask, topMask, dx, ...poolGeo(d));
  }

  avePoolForward(d: PoolDesc, x: Float32Array, y: Float32Array): void {
    native().avePoolForward(x, y, ...poolGeo(d));
  }

  avePoolBackward(d: PoolDesc, dy: Float32Array, dx: Float32Array): void {
    native().avePoolBackward(dy, dx, ...poolGeo(d));
  }

  stochasticPoolForward(
    d: PoolDesc,
    x: Float32Array,
    y: Float32Array,
    rand: Float32Array | null,
    idx: Int32Array | null,
  ): void {
    native().stochasticPoolForward(x, y, rand, idx, ...poolGeo(d));
  }

  lrnAcrossForward(d: LRNDesc, x: Float32Array, scale: Float32Array, y: Float32Array): void {
    native().lrnAcrossForward(x, scale, y, d.num, d.channels, d.height * d.width, d.localSize, d.alpha, d.beta, d.k);
  }

  lrnAcrossBackward(
    d: LRNDesc,
    x: Float32Array,
    y: Float32Array,
    scale: Float32Array,
    dy: Float32Array,
    dx: Float32Array,
  ): void {
    native().lrnAcrossBackward(
      x,
      y,
      scale,
      dy,
      dx,
      d.num,
      d.channels,
      d.height * d.width,
      d.localSize,
      d.alpha,
      d.beta,
    );
  }

  lrnWithinForward(d: LRNDesc, x: Float32Array, pooled: Float32Array, power: Float32Array, y: Float32Array): void {
    native().lrnWithinForward(x, pooled, power, y, d.num * d.channels, d.height, d.width, d.localSize, d.alpha, d.beta);
  }

  lrnWithinBackward(
    d: LRNDesc,
    x: Float32Array,
    pooled: Float32Array,
    power: Float32Array,
    dy: Float32Array,
    dx: Float32Array,
  ): void {
    native().lrnWithinBackward(
      x,
      pooled,
      power,
      dy,
      dx,
      d.num * d.channels,
      d.height,
      d.width,
      d.localSize,
      d.alpha,
      d.beta,
    );
  }
}

/** The geometry arguments of native/pool.cc's pooling kernels. */
function poolGeo(d: PoolDesc): NativePoolGeometry {
  return [
    d.num * d.channels,
    d.height,
    d.width,
    d.outH,
    d.outW,
    d.kernelH,
    d.kernelW,
    d.strideH,
    d.strideW,
    d.padH,
    d.padW,
  ];
}
