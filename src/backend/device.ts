// The device-neutral side of GPU execution, as Caffe's GPU mode: a Device owns memory of its own
// (buffers, addressed by DevicePtr) and runs Caffe's math_functions and the layers' primitives on it.
// SyncedMemory mirrors host memory on it on demand; layers' forwardGpu/backwardGpu and the solvers'
// device updates call its ops. The WebGPU backend (backend/webgpu) is one implementation; a CUDA one
// (cuBLAS/cuDNN, NCCL for the all-reduce of data-parallel training) implements the same interface.
//
// Ops are asynchronous: they are queued in order and run on the device in that order. Whatever returns
// a host value (download, dot, asum) waits for the queue to drain. A host buffer passed to upload may
// be reused as soon as upload returns.
import type { ConvDesc, DeviceInfo, LRNDesc, PoolDesc } from './backend';

/** Memory a device allocated: `size` floats. Opaque outside the device that made it. */
export interface DeviceBuffer {
  readonly id: number;
  readonly size: number;
}

/** A position in device memory: `offset` floats into `buffer` (Caffe's float* on the GPU). */
export interface DevicePtr {
  readonly buffer: DeviceBuffer;
  readonly offset: number;
}

/** `p` advanced by `k` floats (pointer arithmetic, as `gpu_data() + k` in Caffe). */
export function ptrAt(p: DevicePtr, k: number): DevicePtr {
  return k === 0 ? p : { buffer: p.buffer, offset: p.offset + k };
}

/** Caffe's math_functions on device memory (caffe_gpu_*): n elements from each pointer. */
export interface DeviceMath {
  /** Row-major C = alpha op(A) op(B) + beta C (caffe_gpu_gemm); beta 0 never reads C. */
  gemm(
    transA: boolean,
    transB: boolean,
    M: number,
    N: number,
    K: number,
    alpha: number,
    A: DevicePtr,
    B: DevicePtr,
    beta: number,
    C: DevicePtr,
  ): void;
  /** C_z = alpha op(A_z) op(B_z) + beta C_z for z < batch, X_z = X + z strideX (a stride may be 0:
   *  one matrix for all), as cublasSgemmStridedBatched in row-major terms. */
  gemmStridedBatched(
    transA: boolean,
    transB: boolean,
    M: number,
    N: number,
    K: number,
    alpha: number,
    A: DevicePtr,
    strideA: number,
    B: DevicePtr,
    strideB: number,
    beta: number,
    C: DevicePtr,
    strideC: number,
    batch: number,
  ): void;
  /** y = alpha op(A) x + beta y, A M x N row-major (caffe_gpu_gemv). */
  gemv(
    transA: boolean,
    M: number,
    N: number,
    alpha: number,
    A: DevicePtr,
    x: DevicePtr,
    beta: number,
    y: DevicePtr,
  ): void;
  /** y = alpha */
  set(n: number, alpha: number, y: DevicePtr): void;
  /** y = x */
  copy(n: number, x: DevicePtr, y: DevicePtr): void;
  /** y += alpha x */
  axpy(n: number, alpha: number, x: DevicePtr, y: DevicePtr): void;
  /** y = alpha x + beta y */
  axpby(n: number, alpha: number, x: DevicePtr, beta: number, y: DevicePtr): void;
  /** x *= alpha */
  scal(n: number, alpha: number, x: DevicePtr): void;
  /** y = alpha x (caffe_gpu_scale; never reads y) */
  scale(n: number, alpha: number, x: DevicePtr, y: DevicePtr): void;
  /** y += alpha (caffe_gpu_add_scalar) */
  addScalar(n: number, alpha: number, y: DevicePtr): void;
  add(n: number, a: DevicePtr, b: DevicePtr, y: DevicePtr): void;
  sub(n: number, a: DevicePtr, b: DevicePtr, y: DevicePtr): void;
  mul(n: number, a: DevicePtr, b: DevicePtr, y: DevicePtr): void;
  div(n: number, a: DevicePtr, b: DevicePtr, y: DevicePtr): void;
  /** y = a^p */
  powx(n: number, a: DevicePtr, p: number, y: DevicePtr): void;
  exp(n: number, a: DevicePtr, y: DevicePtr): void;
  log(n: number, a: DevicePtr, y: DevicePtr): void;
  sqrt(n: number, a: DevicePtr, y: DevicePtr): void;
  abs(n: number, a: DevicePtr, y: DevicePtr): void;
  /** y = sign(a) in {-1, 0, 1} */
  sign(n: number, a: DevicePtr, y: DevicePtr): void;
  /** sum x[i] y[i] (waits for the device) */
  dot(n: number, x: DevicePtr, y: DevicePtr): number;
  /** sum |x[i]| (waits for the device) */
  asum(n: number, x: DevicePtr): number;
}

/** How many transfers between host and device memory there were (SyncedMemory counts them). */
export interface TransferCounts {
  uploads: number;
  downloads: number;
  bytesUp: number;
  bytesDown: number;
}

export interface Device {
  /** the device id (--gpu=N) */
  readonly id: number;
  /** the adapter's name, as Caffe's `GPU 0: <name>` */
  readonly name: string;
  readonly math: DeviceMath;
  readonly kernels: DeviceKernels;
  /** device_query's lines */
  info(): DeviceInfo;
  /** A zeroed buffer of `size` floats. */
  alloc(size: number): DeviceBuffer;
  free(b: DeviceBuffer): void;
  /** dst[0, src.length) = src */
  upload(src: Float32Array, dst: DevicePtr): void;
  /** dst = src[0, dst.length); waits for the ops queued before */
  download(src: DevicePtr, dst: Float32Array): void;
  /** Waits until every queued op has run (errors of earlier ops are thrown here). */
  synchronize(): void;
  dispose(): void;
}

/** A convolution on the device, made at reshape (as the CPU backend's ConvPrimitive). */
export interface DeviceConvPrimitive {
  /** y = conv(x, w) (+ b) */
  forward(x: DevicePtr, w: DevicePtr, b: DevicePtr | null, y: DevicePtr): void;
  /** dx = conv_backward_data(dy, w) (overwrites dx) */
  backwardData(dy: DevicePtr, w: DevicePtr, dx: DevicePtr): void;
  /** dw += conv_backward_weights(x, dy); db += sum(dy) when db is given */
  backwardWeights(x: DevicePtr, dy: DevicePtr, dw: DevicePtr, db: DevicePtr | null): void;
  /** Frees its device buffers. */
  dispose(): void;
}

/** A loss layer's device buffers: per-position loss and count, and the normalizer kept for backward
 *  (Accuracy's too: the per-position hit in `loss`). */
export interface LossScratch {
  loss: DevicePtr;
  count: DevicePtr;
  norm: DevicePtr;
}

/** The layers' device kernels (Caffe's per-layer .cu kernels), each the maths of its CPU layer. */
export interface DeviceKernels {
  /** y = x > 0 ? x : slope x */
  reluForward(n: number, x: DevicePtr, y: DevicePtr, slope: number): void;
  /** dx = dy (x > 0 ? 1 : slope) */
  reluBackward(n: number, dy: DevicePtr, x: DevicePtr, dx: DevicePtr, slope: number): void;
  sigmoidForward(n: number, x: DevicePtr, y: DevicePtr): void;
  /** dx = dy y (1 - y) */
  sigmoidBackward(n: number, dy: DevicePtr, y: DevicePtr, dx: DevicePtr): void;
  tanhForward(n: number, x: DevicePtr, y: DevicePtr): void;
  /** dx = dy (1 - y^2) */
  tanhBackward(n: number, dy: DevicePtr, y: DevicePtr, dx: DevicePtr): void;
  /** y = log(1 + exp(x)) (BNLL) */
  bnllForward(n: number, x: DevicePtr, y: DevicePtr): void;
  /** dx = dy e / (1 + e), e = exp(min(x, 50)) */
  bnllBackward(n: number, dy: DevicePtr, x: DevicePtr, dx: DevicePtr): void;
  /** Tile: each of `outer` blocks of `inner` values repeated `tiles` times in a row */
  tileForward(outer: number, inner: number, tiles: number, x: DevicePtr, y: DevicePtr): void;
  /** dx = the sum of each block's `tiles` copies' diffs */
  tileBackward(outer: number, inner: number, tiles: number, dy: DevicePtr, dx: DevicePtr): void;
  /** Crop of a 4-axis blob: top element (a, b, c, d) is bottom element (a + off[0], ..., d + off[3]) at
   *  the bottom's strides; `forward` copies bottom -> top, else top -> bottom (the rest untouched) */
  crop4(top: number[], strides: number[], off: number[], from: DevicePtr, to: DevicePtr, forward: boolean): void;
  /** LSTMUnit forward over N streams of H (Caffe's LSTMActsForward + LSTMUnitForward): c_t, h_t from
   *  c_{t-1}, the gate inputs X (N x 4H: i' f' o' g') and cont (N) */
  lstmUnitForward(
    N: number,
    H: number,
    cPrev: DevicePtr,
    X: DevicePtr,
    cont: DevicePtr,
    c: DevicePtr,
    h: DevicePtr,
  ): void;
  /** its backward: dc_{t-1} and dX from the top diffs dc_t, dh_t (none to cont) */
  lstmUnitBackward(
    N: number,
    H: number,
    data: { cPrev: DevicePtr; X: DevicePtr; cont: DevicePtr; c: DevicePtr },
    dc: DevicePtr,
    dh: DevicePtr,
    dcPrev: DevicePtr,
    dX: DevicePtr,
  ): void;
  /** y = max(lo, min(x, hi)) (NaN to lo, as Caffe's std::max/std::min) */
  clipForward(n: number, x: DevicePtr, y: DevicePtr, lo: number, hi: number): void;
  /** dx = dy where lo <= x <= hi, else 0 */
  clipBackward(n: number, dy: DevicePtr, x: DevicePtr, dx: DevicePtr, lo: number, hi: number): void;
  /** s = sigmoid(beta x), y = x s (y may be x) */
  swishForward(n: number, x: DevicePtr, s: DevicePtr, y: DevicePtr, beta: number): void;
  /** dx = dy (beta y + s (1 - beta y)) */
  swishBackward(n: number, y: DevicePtr, dy: DevicePtr, s: DevicePtr, dx: DevicePtr, beta: number): void;
  /** Embed: y row m = w row x[m] (+ bias), M rows of N */
  embedForward(M: number, N: number, x: DevicePtr, w: DevicePtr, bias: DevicePtr | null, y: DevicePtr): void;
  /** dw row x[m] += dy row m, for m in order (as the CPU's sums) */
  embedBackward(M: number, N: number, x: DevicePtr, dy: DevicePtr, dw: DevicePtr): void;
  /** y = x > threshold ? 1 : 0 */
  thresholdForward(n: number, x: DevicePtr, y: DevicePtr, threshold: number): void;
  convolution(d: ConvDesc): DeviceConvPrimitive;
  /** MAX pooling; mask holds each output's plane-local argmax (-1 for an empty window) as floats */
  maxPoolForward(d: PoolDesc, x: DevicePtr, y: DevicePtr, mask: DevicePtr): void;
  /** dx = sum of dy routed by mask (overwrites dx) */
  maxPoolBackward(d: PoolDesc, dy: DevicePtr, mask: DevicePtr, dx: DevicePtr): void;
  avePoolForward(d: PoolDesc, x: DevicePtr, y: DevicePtr): void;
  avePoolBackward(d: PoolDesc, dy: DevicePtr, dx: DevicePtr): void;
  /** softmax over the channel axis of outer x channels x inner */
  softmaxForward(outer: number, channels: number, inner: number, x: DevicePtr, y: DevicePtr): void;
  /** dx = (dy - sum over channels of dy y) y (dx may be dy: in place) */
  softmaxBackward(outer: number, channels: number, inner: number, y: DevicePtr, dy: DevicePtr, dx: DevicePtr): void;
  /** top[0] = sum of -log prob[label] / normalizer (VALID: the positions not ignored; else `fixed`) */
  softmaxLossForward(
    outer: number,
    channels: number,
    inner: number,
    prob: DevicePtr,
    label: DevicePtr,
    ignoreLabel: number | null,
    normalizer: 'VALID' | number,
    scratch: LossScratch,
    top: DevicePtr,
  ): void;
  /** dx = (prob - onehot(label)) lossWeight / the forward's normalizer; 0 at ignored positions */
  softmaxLossBackward(
    outer: number,
    channels: number,
    inner: number,
    prob: DevicePtr,
    label: DevicePtr,
    ignoreLabel: number | null,
    lossWeight: number,
    scratch: LossScratch,
    dx: DevicePtr,
  ): void;
  /** SigmoidCrossEntropyLoss: top[0] = sum of the cross-entropies of sigmoid(x) and t / normalizer
   *  (VALID: the elements whose target is not the ignore label) */
  sigmoidCrossEntropyLossForward(
    n: number,
    x: DevicePtr,
    t: DevicePtr,
    ignoreLabel: number | null,
    normalizer: 'VALID' | number,
    scratch: LossScratch,
    top: DevicePtr,
  ): void;
  /** dx = (sigmoid(x) - t) lossWeight / the forward's normalizer; 0 where ignored */
  sigmoidCrossEntropyLossBackward(
    n: number,
    x: DevicePtr,
    t: DevicePtr,
    ignoreLabel: number | null,
    lossWeight: number,
    scratch: LossScratch,
    dx: DevicePtr,
  ): void;
  /** The solvers' updates (Caffe's <solver>_update_gpu): diff g becomes the step, histories advance.
   *  `s` holds the scalars in the order each program of the WebGPU backend names them. */
  solverUpdate(
    kind: 'nesterov' | 'adagrad' | 'rmsprop' | 'adadelta' | 'adam',
    n: number,
    g: DevicePtr,
    h: DevicePtr,
    h2: DevicePtr | null,
    s: readonly number[],
  ): void;
  /** db[c] += sum of dy[img, c, :] over images x channels x pixels (Caffe's bias gradient) */
  channelSum(images: number, channels: number, pixels: number, dy: DevicePtr, db: DevicePtr): void;
  /** n ones on the device (Caffe's bias_multiplier_), shared and never written */
  ones(n: number): DevicePtr;

  /** LRN ACROSS_CHANNELS: scale = k + alpha/size * window sum of x^2 over channels; y = x scale^-beta */
  lrnAcrossForward(d: LRNDesc, x: DevicePtr, scale: DevicePtr, y: DevicePtr): void;
  /** dx = dy scale^-beta - (2 alpha beta / size) x * window sum of dy y / scale */
  lrnAcrossBackward(d: LRNDesc, x: DevicePtr, y: DevicePtr, scale: DevicePtr, dy: DevicePtr, dx: DevicePtr): void;
  /** LRN WITHIN_CHANNEL as Caffe composes it: pooled = AVE-pool(x^2), power = (1 + alpha pooled)^-beta,
   *  y = x power */
  lrnWithinForward(d: LRNDesc, x: DevicePtr, pooled: DevicePtr, power: DevicePtr, y: DevicePtr): void;
  /** back through product, power, pooling and square; `scratch` holds count floats */
  lrnWithinBackward(
    d: LRNDesc,
    x: DevicePtr,
    pooled: DevicePtr,
    power: DevicePtr,
    dy: DevicePtr,
    dx: DevicePtr,
    scratch: DevicePtr,
  ): void;
  /** y = mask != 0 ? x scale : 0 (Dropout, both ways) */
  dropout(n: number, x: DevicePtr, mask: DevicePtr, scale: number, y: DevicePtr): void;
  /** dst[r dstStride + k] = src[r srcStride + k] for r < rows, k < count (Concat, Slice) */
  copyStrided(rows: number, count: number, src: DevicePtr, srcStride: number, dst: DevicePtr, dstStride: number): void;
  /** Eltwise MAX, step k >= 1: k = 1 takes a = bottom 0, b = bottom 1 (a tie goes to 1); k > 1 takes a = y
   *  and b = bottom k, which wins only when greater; mask = the winning bottom's index */
  eltwiseMaxForward(n: number, k: number, a: DevicePtr, b: DevicePtr, y: DevicePtr, mask: DevicePtr): void;
  /** dx = mask == k ? dy : 0 */
  eltwiseMaxBackward(n: number, k: number, dy: DevicePtr, mask: DevicePtr, dx: DevicePtr): void;
  /** y = (s[0] == 0 ? 0 : 1 / s[0]) x (BatchNorm's global statistics from their sums) */
  scaleByInverse(n: number, x: DevicePtr, s: DevicePtr, y: DevicePtr): void;
  /** y[i] = x[i] s[(i / s.inner) % s.dim] + b[(i / b.inner) % b.dim], s or b absent (Scale, Bias) */
  broadcastAffine(n: number, x: DevicePtr, s: Broadcast | null, b: Broadcast | null, y: DevicePtr): void;
  /** y = x > 0 ? x : x slope[c], c = (i / dim) % channels */
  preluForward(n: number, channels: number, dim: number, x: DevicePtr, slope: DevicePtr, y: DevicePtr): void;
  /** dx = x > 0 ? dy : dy slope[c] */
  preluBackward(
    n: number,
    channels: number,
    dim: number,
    dy: DevicePtr,
    x: DevicePtr,
    slope: DevicePtr,
    dx: DevicePtr,
  ): void;
  /** t = x <= 0 ? dy x : 0 (the terms of PReLU's slope gradient) */
  preluSlopeTerms(n: number, dy: DevicePtr, x: DevicePtr, t: DevicePtr): void;
  /** y = max(x, 0) + alpha (exp(min(x, 0)) - 1) */
  eluForward(n: number, x: DevicePtr, y: DevicePtr, alpha: number): void;
  /** dx = x > 0 ? dy : dy (alpha + y) */
  eluBackward(n: number, dy: DevicePtr, x: DevicePtr, y: DevicePtr, dx: DevicePtr, alpha: number): void;
  /** top[0] = hits / counted positions (0 when none); the true label is a hit when fewer than topK other
   *  classes score >= it; perClass[c] = the same over positions labelled c (0 for none) */
  accuracy(
    outer: number,
    classes: number,
    inner: number,
    x: DevicePtr,
    label: DevicePtr,
    topK: number,
    ignoreLabel: number | null,
    scratch: LossScratch,
    top: DevicePtr,
    perClass: DevicePtr | null,
  ): void;
}

/** A parameter broadcast over an array: element i uses ptr[(i / inner) % dim]. */
export interface Broadcast {
  ptr: DevicePtr;
  dim: number;
  inner: number;
}
