// The layers' device kernels on WebGPU (backend/device.ts DeviceKernels): dispatches of
// layer_programs.ts; the convolution is webgpu_conv.ts.
import type { ConvDesc, LRNDesc, PoolDesc } from '../backend';
import { Broadcast, DeviceConvPrimitive, DeviceKernels, DevicePtr, LossScratch } from '../device';
import type { WebGpuDevice } from './webgpu_device';
import { packParams } from './webgpu_device';
import { ewGroups } from './webgpu_math';
import { WebGpuConvolution } from './webgpu_conv';

const GEOM_TYPES = 'u'.repeat(17);
const SM_TYPES = 'uuuuuuuiuf';

export class WebGpuKernels implements DeviceKernels {
  private onesPtr: DevicePtr | null = null;
  private onesSize = 0;

  constructor(readonly dev: WebGpuDevice) {}

  private ew(prog: string, n: number, ptrs: DevicePtr[], a = 0, b = 0): void {
    this.dev.math.ew(prog, n, ptrs, a, b);
  }

  /** A grid program (layer_programs.ts `grid`) over n threads: the pointers' offsets, then `rest`. */
  private grid(prog: string, n: number, types: string, ptrs: DevicePtr[], rest: number[]): void {
    if (n <= 0) return;
    const values = [n, ...ptrs.map((p) => p.offset), ...rest];
    this.dev.dispatch(prog, ptrs, packParams(types, values), ewGroups(n));
  }

  reluForward(n: number, x: DevicePtr, y: DevicePtr, slope: number): void {
    this.ew('relu_forward', n, [x, y], slope);
  }
  reluBackward(n: number, dy: DevicePtr, x: DevicePtr, dx: DevicePtr, slope: number): void {
    this.ew('relu_backward', n, [dy, x, dx], slope);
  }
  sigmoidForward(n: number, x: DevicePtr, y: DevicePtr): void {
    this.ew('sigmoid_forward', n, [x, y]);
  }
  sigmoidBackward(n: number, dy: DevicePtr, y: DevicePtr, dx: DevicePtr): void {
    this.ew('sigmoid_backward', n, [dy, y, dx]);
  }
  tanhForward(n: number, x: DevicePtr, y: DevicePtr): void {
    this.ew('tanh_forward', n, [x, y]);
  }
  tanhBackward(n: number, dy: DevicePtr, y: DevicePtr, dx: DevicePtr): void {
    this.ew('tanh_backward', n, [dy, y, dx]);
  }
  bnllForward(n: number, x: DevicePtr, y: DevicePtr): void {
    this.ew('bnll_forward', n, [x, y]);
  }
  bnllBackward(n: number, dy: DevicePtr, x: DevicePtr, dx: DevicePtr): void {
    this.ew('bnll_backward', n, [dy, x, dx]);
  }
  tileForward(outer: number, inner: number, tiles: number, x: DevicePtr, y: DevicePtr): void {
    this.grid('tile_forward', outer * tiles * inner, 'uuuuu', [x, y], [inner, tiles]);
  }
  tileBackward(outer: number, inner: number, tiles: number, dy: DevicePtr, dx: DevicePtr): void {
    this.grid('tile_backward', outer * inner, 'uuuuu', [dy, dx], [inner, tiles]);
  }
  crop4(top: number[], strides: number[], off: number[], from: DevicePtr, to: DevicePtr, forward: boolean): void {
    const n = top[0] * top[1] * top[2] * top[3];
    const rest = [top[1], top[2], top[3], strides[0], strides[1], strides[2], ...off, forward ? 1 : 0];
    this.grid('crop4', n, 'u'.repeat(14), [from, to], rest);
  }
  lstmUnitForward(N: number, H: number, cPrev: DevicePtr, X: DevicePtr, cont: DevicePtr, c: DevicePtr, h: DevicePtr) {
    this.grid('lstm_unit_forward', N * H, 'u'.repeat(7), [cPrev, X, cont, c, h], [H]);
  }
  lstmUnitBackward(
    N: number,
    H: number,
    d: { cPrev: DevicePtr; X: DevicePtr; cont: DevicePtr; c: DevicePtr },
    dc: DevicePtr,
    dh: DevicePtr,
    dcPrev: DevicePtr,
    dX: DevicePtr,
  ): void {
    const ptrs = [d.cPrev, d.X, d.cont, d.c, dc, dh, dcPrev, dX];
    this.grid('lstm_unit_backward', N * H, 'u'.repeat(10), ptrs, [H]);
  }
  clipForward(n: number, x: DevicePtr, y: DevicePtr, lo: number, hi: number): void {
    this.ew('clip_forward', n, [x, y], lo, hi);
  }
  clipBackward(n: number, dy: DevicePtr, x: DevicePtr, dx: DevicePtr, lo: number, hi: number): void {
    this.ew('clip_backward', n, [dy, x, dx], lo, hi);
  }
  swishForward(n: number, x: DevicePtr, s: DevicePtr, y: DevicePtr, beta: number): void {
    this.ew('swish_forward', n, [x, s, y], beta);
  }
  swishBackward(n: number, y: DevicePtr, dy: DevicePtr, s: DevicePtr, dx: DevicePtr, beta: number): void {
    this.ew('swish_backward', n, [y, dy, s, dx], beta);
  }
  embedForward(M: number, N: number, x: DevicePtr, w: DevicePtr, bias: DevicePtr | null, y: DevicePtr): void {
    this.grid('embed_forward', M * N, 'u'.repeat(7), [x, w, bias ?? w, y], [N, bias ? 1 : 0]);
  }
  embedBackward(M: number, N: number, x: DevicePtr, dy: DevicePtr, dw: DevicePtr): void {
    this.grid('embed_backward', N, 'u'.repeat(6), [x, dy, dw], [N, M]);
  }
  thresholdForward(n: number, x: DevicePtr, y: DevicePtr, threshold: number): void {
    this.ew('threshold_forward', n, [x, y], threshold);
  }

  /** A geometry program (im2col, col2im, pooling) over n threads. */
  geom(prog: string, n: number, ptrs: DevicePtr[], g: number[]): void {
    if (n <= 0) return;
    const o = [0, 0, 0];
    ptrs.forEach((p, i) => (o[i] = p.offset));
    this.dev.dispatch(prog, ptrs, packParams(GEOM_TYPES, [n, ...o, ...g]), ewGroups(n));
  }

  /** im2col of `images` consecutive images of d's input into consecutive col matrices. */
  im2col(d: ConvDesc, images: number, x: DevicePtr, col: DevicePtr): void {
    const n = images * d.channels * d.kernelH * d.kernelW * d.outH * d.outW;
    this.geom('im2col', n, [x, col], convGeom(d, d.channels));
  }
  /** col2im of `images` col matrices into consecutive images (overwrites). */
  col2im(d: ConvDesc, images: number, col: DevicePtr, x: DevicePtr): void {
    this.geom('col2im', images * d.channels * d.height * d.width, [x, col], convGeom(d, d.channels));
  }
  solverUpdate(
    kind: 'nesterov' | 'adagrad' | 'rmsprop' | 'adadelta' | 'adam',
    n: number,
    g: DevicePtr,
    h: DevicePtr,
    h2: DevicePtr | null,
    s: readonly number[],
  ): void {
    if (n <= 0) return;
    const ptrs = h2 ? [g, h, h2] : [g, h];
    const sc = [0, 1, 2, 3].map((i) => s[i] ?? 0);
    const params = packParams('uuuuffff', [n, g.offset, h.offset, h2?.offset ?? 0, ...sc]);
    this.dev.dispatch(`${kind}_update`, ptrs, params, ewGroups(n));
  }

  /** db[c] += sum of dy[img, c, :] over `images` images of `channels` x `pixels`. */
  channelSum(images: number, channels: number, pixels: number, dy: DevicePtr, db: DevicePtr): void {
    if (images * pixels <= 0) return;
    const params = packParams('uuuuu', [images, pixels, channels, dy.offset, db.offset]);
    this.dev.dispatch('channel_sum', [dy, db], params, [channels, 1, 1]);
  }

  convolution(d: ConvDesc): DeviceConvPrimitive {
    return new WebGpuConvolution(this, d);
  }

  maxPoolForward(d: PoolDesc, x: DevicePtr, y: DevicePtr, mask: DevicePtr): void {
    this.geom('max_pool', d.num * d.channels * d.outH * d.outW, [x, y, mask], poolGeom(d));
  }
  maxPoolBackward(d: PoolDesc, dy: DevicePtr, mask: DevicePtr, dx: DevicePtr): void {
    this.geom('max_pool_backward', d.num * d.channels * d.height * d.width, [dy, mask, dx], poolGeom(d));
  }
  avePoolForward(d: PoolDesc, x: DevicePtr, y: DevicePtr): void {
    this.geom('ave_pool', d.num * d.channels * d.outH * d.outW, [x, y], poolGeom(d));
  }
  avePoolBackward(d: PoolDesc, dy: DevicePtr, dx: DevicePtr): void {
    this.geom('ave_pool_backward', d.num * d.channels * d.height * d.width, [dy, dx], poolGeom(d));
  }

  /** A softmax-family program over outer x inner positions. */
  private sm(
    prog: string,
    outer: number,
    channels: number,
    inner: number,
    ptrs: DevicePtr[],
    ignore: number | null,
    scale = 0,
  ): void {
    const n = outer * inner;
    if (n <= 0) return;
    const o = [0, 0, 0, 0];
    ptrs.forEach((p, i) => (o[i] = p.offset));
    const params = packParams(SM_TYPES, [n, ...o, channels, inner, ignore ?? 0, ignore === null ? 0 : 1, scale]);
    this.dev.dispatch(prog, ptrs, params, ewGroups(n));
  }

  softmaxForward(outer: number, channels: number, inner: number, x: DevicePtr, y: DevicePtr): void {
    this.sm('softmax', outer, channels, inner, [x, y], null);
  }

  softmaxBackward(outer: number, channels: number, inner: number, y: DevicePtr, dy: DevicePtr, dx: DevicePtr): void {
    this.sm('softmax_backward', outer, channels, inner, [y, dy, dx], null);
  }

  softmaxLossForward(
    outer: number,
    channels: number,
    inner: number,
    prob: DevicePtr,
    label: DevicePtr,
    ignoreLabel: number | null,
    normalizer: 'VALID' | number,
    s: LossScratch,
    top: DevicePtr,
  ): void {
    this.sm('softmax_loss', outer, channels, inner, [prob, label, s.loss, s.count], ignoreLabel);
    this.lossReduce(outer * inner, normalizer, s, top);
  }

  /** top[0] = the sum of the n losses in s.loss / the normalizer (kept in s.norm) */
  private lossReduce(n: number, normalizer: 'VALID' | number, s: LossScratch, top: DevicePtr): void {
    const valid = normalizer === 'VALID';
    const params = packParams('uuuuuff', [
      n,
      s.loss.offset,
      s.count.offset,
      top.offset,
      s.norm.offset,
      valid ? 0 : normalizer,
      valid ? 1 : 0,
    ]);
    this.dev.dispatch('loss_reduce', [s.loss, s.count, top, s.norm], params, [1, 1, 1]);
  }

  sigmoidCrossEntropyLossForward(
    n: number,
    x: DevicePtr,
    t: DevicePtr,
    ignoreLabel: number | null,
    normalizer: 'VALID' | number,
    s: LossScratch,
    top: DevicePtr,
  ): void {
    this.sm('sigmoid_ce_loss', n, 1, 1, [x, t, s.loss, s.count], ignoreLabel);
    this.lossReduce(n, normalizer, s, top);
  }

  sigmoidCrossEntropyLossBackward(
    n: number,
    x: DevicePtr,
    t: DevicePtr,
    ignoreLabel: number | null,
    lossWeight: number,
    s: LossScratch,
    dx: DevicePtr,
  ): void {
    this.sm('sigmoid_ce_loss_backward', n, 1, 1, [x, t, dx, s.norm], ignoreLabel, lossWeight);
  }

  softmaxLossBackward(
    outer: number,
    channels: number,
    inner: number,
    prob: DevicePtr,
    label: DevicePtr,
    ignoreLabel: number | null,
    lossWeight: number,
    s: LossScratch,
    dx: DevicePtr,
  ): void {
    this.sm('softmax_loss_backward', outer, channels, inner, [prob, label, dx, s.norm], ignoreLabel, lossWeight);
  }

  lrnAcrossForward(d: LRNDesc, x: DevicePtr, scale: DevicePtr, y: DevicePtr): void {
    this.lrn('lrn_forward', d, [x, scale, y]);
  }
  lrnAcrossBackward(d: LRNDesc, x: DevicePtr, y: DevicePtr, scale: DevicePtr, dy: DevicePtr, dx: DevicePtr): void {
    this.lrn('lrn_backward', d, [x, y, scale, dy, dx]);
  }
  /** One thread per (image, pixel), over LRN's Params (five offsets, unused ones 0). */
  private lrn(prog: string, d: LRNDesc, ptrs: DevicePtr[]): void {
    const n = d.num * d.height * d.width;
    if (n <= 0) return;
    const o = [0, 0, 0, 0, 0];
    ptrs.forEach((p, i) => (o[i] = p.offset));
    const crv = Math.fround((2 * d.alpha * d.beta) / d.localSize); // Caffe computes it in double
    const aos = Math.fround(d.alpha / d.localSize);
    const rest = [d.channels, d.height * d.width, (d.localSize - 1) / 2, aos, -d.beta, d.k, crv];
    this.dev.dispatch(prog, ptrs, packParams('uuuuuuuuuffff', [n, ...o, ...rest]), ewGroups(n));
  }

  lrnWithinForward(d: LRNDesc, x: DevicePtr, pooled: DevicePtr, power: DevicePtr, y: DevicePtr): void {
    const n = d.num * d.channels * d.height * d.width;
    this.dev.math.mul(n, x, x, power); // the squares, in power until it is computed
    this.avePoolForward(withinPool(d), power, pooled);
    this.ew('lrn_within_output', n, [x, pooled, power, y], d.alpha, -d.beta);
  }
  lrnWithinBackward(
    d: LRNDesc,
    x: DevicePtr,
    pooled: DevicePtr,
    power: DevicePtr,
    dy: DevicePtr,
    dx: DevicePtr,
    scratch: DevicePtr,
  ): void {
    const n = d.num * d.channels * d.height * d.width;
    this.dev.math.mul(n, x, dy, scratch);
    this.ew('lrn_within_power_backward', n, [scratch, pooled, power], d.alpha, -d.beta);
    this.avePoolBackward(withinPool(d), scratch, dx);
    this.ew('lrn_within_diff', n, [power, dy, x, dx]);
  }

  dropout(n: number, x: DevicePtr, mask: DevicePtr, scale: number, y: DevicePtr): void {
    this.ew('dropout', n, [x, mask, y], scale);
  }

  copyStrided(rows: number, count: number, src: DevicePtr, srcStride: number, dst: DevicePtr, dstStride: number): void {
    if (count === srcStride && count === dstStride) this.dev.math.copy(rows * count, src, dst);
    else this.grid('copy_strided', rows * count, 'uuuuuu', [src, dst], [count, srcStride, dstStride]);
  }

  eltwiseMaxForward(n: number, k: number, a: DevicePtr, b: DevicePtr, y: DevicePtr, mask: DevicePtr): void {
    this.ew('eltwise_max', n, [a, b, y, mask], k);
  }
  eltwiseMaxBackward(n: number, k: number, dy: DevicePtr, mask: DevicePtr, dx: DevicePtr): void {
    this.ew('eltwise_max_backward', n, [dy, mask, dx], k);
  }

  scaleByInverse(n: number, x: DevicePtr, s: DevicePtr, y: DevicePtr): void {
    this.ew('scale_by_inverse', n, [x, s, y]);
  }

  broadcastAffine(n: number, x: DevicePtr, s: Broadcast | null, b: Broadcast | null, y: DevicePtr): void {
    const rest = [s?.dim ?? 1, s?.inner ?? 1, b?.dim ?? 1, b?.inner ?? 1, s ? 1 : 0, b ? 1 : 0];
    this.grid('broadcast_affine', n, 'u'.repeat(11), [x, s?.ptr ?? x, b?.ptr ?? x, y], rest);
  }

  preluForward(n: number, channels: number, dim: number, x: DevicePtr, slope: DevicePtr, y: DevicePtr): void {
    this.grid('prelu_forward', n, 'uuuuuuu', [x, slope, y, y], [channels, dim]);
  }
  preluBackward(
    n: number,
    channels: number,
    dim: number,
    dy: DevicePtr,
    x: DevicePtr,
    slope: DevicePtr,
    dx: DevicePtr,
  ): void {
    this.grid('prelu_backward', n, 'uuuuuuu', [dy, x, slope, dx], [channels, dim]);
  }
  preluSlopeTerms(n: number, dy: DevicePtr, x: DevicePtr, t: DevicePtr): void {
    this.ew('prelu_slope_terms', n, [dy, x, t]);
  }

  eluForward(n: number, x: DevicePtr, y: DevicePtr, alpha: number): void {
    this.ew('elu_forward', n, [x, y], alpha);
  }
  eluBackward(n: number, dy: DevicePtr, x: DevicePtr, y: DevicePtr, dx: DevicePtr, alpha: number): void {
    this.ew('elu_backward', n, [dy, x, y, dx], alpha);
  }

  accuracy(
    outer: number,
    classes: number,
    inner: number,
    x: DevicePtr,
    label: DevicePtr,
    topK: number,
    ignoreLabel: number | null,
    s: LossScratch,
    top: DevicePtr,
    perClass: DevicePtr | null,
  ): void {
    const n = outer * inner;
    const rest = [classes, inner, topK, ignoreLabel ?? 0, ignoreLabel === null ? 0 : 1];
    this.grid('accuracy', n, 'uuuuuuuiiu', [x, label, s.loss, s.count], rest);
    // hits / max(count, 1): the VALID-normalized sum, 0 when nothing counted
    const params = packParams('uuuuuff', [n, s.loss.offset, s.count.offset, top.offset, s.norm.offset, 0, 1]);
    this.dev.dispatch('loss_reduce', [s.loss, s.count, top, s.norm], params, [1, 1, 1]);
    if (perClass && classes > 0) {
      const pc = packParams('uuuuuff', [n, label.offset, s.loss.offset, s.count.offset, perClass.offset, 0, 0]);
      this.dev.dispatch('accuracy_per_class', [label, s.loss, s.count, perClass], pc, [classes, 1, 1]);
    }
  }

  ones(n: number): DevicePtr {
    if (n > this.onesSize) {
      if (this.onesPtr) this.dev.free(this.onesPtr.buffer);
      this.onesSize = Math.max(n, 2 * this.onesSize, 1024);
      this.onesPtr = { buffer: this.dev.alloc(this.onesSize), offset: 0 };
      this.dev.math.set(this.onesSize, 1, this.onesPtr);
    }
    return this.onesPtr!;
  }
}

/** The window geometry convolutions and poolings share. */
type Window = Omit<PoolDesc, 'num' | 'channels'>;

/** GEOM's fields after the offsets: `channels` planes of d's input, windows dilated by (dh, dw). */
function geomFields(channels: number, d: Window, dh = 1, dw = 1): number[] {
  const { height, width, outH, outW, kernelH, kernelW, padH, padW, strideH, strideW } = d;
  return [channels, height, width, outH, outW, kernelH, kernelW, padH, padW, strideH, strideW, dh, dw];
}

/** im2col/col2im over `channels` of d's input. */
const convGeom = (d: ConvDesc, channels: number) => geomFields(channels, d, d.dilationH, d.dilationW);
const poolGeom = (d: PoolDesc) => geomFields(d.channels, d);

/** WITHIN_CHANNEL's inner AVE pooling: kernel size, pad (size - 1) / 2, stride 1 (output size = input). */
function withinPool(d: LRNDesc): PoolDesc {
  const pre = (d.localSize - 1) / 2;
  return {
    num: d.num,
    channels: d.channels,
    height: d.height,
    width: d.width,
    kernelH: d.localSize,
    kernelW: d.localSize,
    strideH: 1,
    strideW: 1,
    padH: pre,
    padW: pre,
    outH: d.height,
    outW: d.width,
  };
}
