// The compute backend: what layers call for heavy maths. The CPU backend (native addon over oneDNN)
// works on host Float32Arrays in place; a device backend (CUDA, tfjs-node-gpu) implements the same
// interface over its own buffers and syncs with host memory through SyncedMemory.

/** Convolution geometry, NCHW, 2-D (Caffe's ConvolutionParameter resolved to numbers). */
export interface ConvDesc {
  num: number;
  channels: number;
  height: number;
  width: number;
  numOutput: number;
  group: number;
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  dilationH: number;
  dilationW: number;
  outH: number;
  outW: number;
  bias: boolean;
  /** forward only (backends with fusesConvReLU): y = ReLU(conv + b) with this negative slope */
  reluSlope?: number;
  /** forward only: no backward will follow a forward (the backward calls still work, built apart) */
  inference?: boolean;
}

/** A convolution primitive created at reshape and executed every iteration. */
export interface ConvPrimitive {
  /** y = conv(x, w) (+ b) */
  forward(x: Float32Array, w: Float32Array, b: Float32Array | null, y: Float32Array): void;
  /** dx = conv_backward_data(dy, w) (overwrites dx) */
  backwardData(dy: Float32Array, w: Float32Array, dx: Float32Array): void;
  /** dw += conv_backward_weights(x, dy); db += sum(dy) when db is given */
  backwardWeights(x: Float32Array, dy: Float32Array, dw: Float32Array, db: Float32Array | null): void;
  /**
   * For memory estimates, running forward and, when asked, backwardData / backwardWeights: the bytes of
   * the buffers it holds (columns), or else of its largest call's scratch (reordered copies) in the
   * per-thread arena every convolution shares.
   */
  bufferBytes?(backwardData: boolean, backwardWeights: boolean): number;
  scratchBytes?(backwardData: boolean, backwardWeights: boolean): number;
  dispose(): void;
}

/** Pooling geometry: windows start at -pad with `stride`; `outH x outW` by Caffe's ceil/floor rule. */
export interface PoolDesc {
  num: number;
  channels: number;
  height: number;
  width: number;
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  outH: number;
  outW: number;
}

/** LRN geometry (Caffe's LRNParameter). */
export interface LRNDesc {
  num: number;
  channels: number;
  height: number;
  width: number;
  localSize: number;
  alpha: number;
  beta: number;
  k: number;
}

export interface DeviceInfo {
  backend: string;
  lines: string[];
}

export interface Backend {
  readonly name: string;
  /** Human-readable device description (device_query). */
  info(): DeviceInfo;
  /** The compute thread count: n (--threads), or undefined for OMP_NUM_THREADS, else one per CPU. */
  setThreads(n: number | undefined): void;
  /** Row-major C = alpha op(A) op(B) + beta C, Caffe's caffe_cpu_gemm argument order. */
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
  ): void;
  /** Row-major y = alpha op(A) x + beta y with A M x N, Caffe's caffe_cpu_gemv. */
  gemv(
    transA: boolean,
    M: number,
    N: number,
    alpha: number,
    A: Float32Array,
    x: Float32Array,
    beta: number,
    y: Float32Array,
  ): void;
  /** y += alpha x (caffe_axpy), over y's length. */
  axpy(alpha: number, x: Float32Array, y: Float32Array): void;
  /** ReLU's CPU forward over y's length: y = x > 0 ? x : 0 + x * slope; in place allowed. */
  reluForward(x: Float32Array, y: Float32Array, slope: number): void;
  /** ReLU's CPU backward over dx's length: dx = x > 0 ? dy : dy * slope; in place (dy, dx) allowed. */
  reluBackward(x: Float32Array, dy: Float32Array, dx: Float32Array, slope: number): void;
  /** Strided slab copy (Caffe's caffe_copy per slab in Concat and Slice): for r in [0, rows),
   *  dst[dstOffset + r * dstStride + i] = src[srcOffset + r * srcStride + i], i in [0, count).
   *  Offsets and strides count elements; the slabs of src and of dst do not overlap one another. */
  copyStrided(
    rows: number,
    count: number,
    src: Float32Array,
    srcOffset: number,
    srcStride: number,
    dst: Float32Array,
    dstOffset: number,
    dstStride: number,
  ): void;
  /** x *= alpha (caffe_scal). */
  scal(alpha: number, x: Float32Array): void;
  /** sum x[i] y[i] over x's length (caffe_cpu_dot). */
  dot(x: Float32Array, y: Float32Array): number;
  /** sum |x[i]| (caffe_cpu_asum). */
  asum(x: Float32Array): number;
  /** y = exp(x) element-wise over x's length (caffe_exp); in place allowed. */
  exp(x: Float32Array, y: Float32Array): void;
  /** y = exp(x) element-wise in double (Caffe's code calling exp on a double); in place allowed. */
  expDouble(x: Float64Array, y: Float64Array): void;
  /** y = ln(x) element-wise (caffe_log); in place allowed. */
  log(x: Float32Array, y: Float32Array): void;
  /** y = tanh(x) element-wise in float (std::tanh on floats); in place allowed. */
  tanh(x: Float32Array, y: Float32Array): void;
  /** y = x^p element-wise over x's length (caffe_powx); in place allowed. */
  powx(x: Float32Array, p: number, y: Float32Array): void;
  convolution(d: ConvDesc): ConvPrimitive;
  /** Whether convolution() honours ConvDesc.reluSlope and .inference. */
  readonly fusesConvReLU?: boolean;

  // Pooling and LRN with Caffe's exact semantics. Argmax indices are plane-local (h * W + w), -1 for
  // a window with no element; MAX writes them to `mask` (Int32) or `topMask` (floats, Caffe's top[1]).
  /** MAX pooling; the first maximum in row-major order wins ties; neither mask: the values only. */
  maxPoolForward(
    d: PoolDesc,
    x: Float32Array,
    y: Float32Array,
    mask: Int32Array | null,
    topMask: Float32Array | null,
  ): void;
  /** dx = 0, then dx[index] += dy (MAX and STOCHASTIC backward); indices from `mask` or `topMask`. */
  indexPoolBackward(
    d: PoolDesc,
    dy: Float32Array,
    mask: Int32Array | null,
    topMask: Float32Array | null,
    dx: Float32Array,
  ): void;
  /** AVE pooling: divisor = window clipped at H + pad, sum over the window clipped to the image. */
  avePoolForward(d: PoolDesc, x: Float32Array, y: Float32Array): void;
  avePoolBackward(d: PoolDesc, dy: Float32Array, dx: Float32Array): void;
  /** STOCHASTIC pooling (no padding): TRAIN samples with `rand` (uniform [0,1), one per output) into
   *  y and idx; TEST (rand null) gives sum x^2 / sum x. */
  stochasticPoolForward(
    d: PoolDesc,
    x: Float32Array,
    y: Float32Array,
    rand: Float32Array | null,
    idx: Int32Array | null,
  ): void;
  /** LRN ACROSS_CHANNELS; `scale` (k + alpha/n * window sum of x^2) is kept for backward. */
  lrnAcrossForward(d: LRNDesc, x: Float32Array, scale: Float32Array, y: Float32Array): void;
  lrnAcrossBackward(
    d: LRNDesc,
    x: Float32Array,
    y: Float32Array,
    scale: Float32Array,
    dy: Float32Array,
    dx: Float32Array,
  ): void;
  /** LRN WITHIN_CHANNEL as Caffe composes it; `pooled` (AVE of x^2) and `power` ((1 + alpha pooled)^-beta) are kept. */
  lrnWithinForward(d: LRNDesc, x: Float32Array, pooled: Float32Array, power: Float32Array, y: Float32Array): void;
  lrnWithinBackward(
    d: LRNDesc,
    x: Float32Array,
    pooled: Float32Array,
    power: Float32Array,
    dy: Float32Array,
    dx: Float32Array,
  ): void;
}

/**
 * What BLAS does with an empty product, which the native gemm refuses: nothing when M or N is 0 (C is
 * empty), C = beta C when K is 0 (op(A) op(B) is all zeros). True when the product was empty and so done.
 */
export function emptyGemm(M: number, N: number, K: number, beta: number, C: Float32Array): boolean {
  if (M > 0 && N > 0 && K > 0) return false;
  if (K === 0) for (let i = 0; i < M * N; i++) C[i] = beta === 0 ? 0 : beta * C[i];
  return true;
}
