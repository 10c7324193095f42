// Pooling (MAX, AVE, STOCHASTIC) over NCHW with Caffe's geometry: windows start at i*stride - pad;
// the output size rounds up (CEIL, default) or down (round_mode FLOOR), and with padding a last
// window starting at or beyond H + pad is dropped. MAX may write its argmax to a second top (as
// floats). Kernels: native/pool.cc through the backend.
import type { PoolingParameter, PoolingParameter_PoolMethod } from '../proto/caffe';
import { Blob } from '../core/blob';
import { currentDevice } from '../backend/mode';
import { Layer } from '../core/layer';
import { registerLayer } from '../core/layer_factory';
import { rng } from '../core/rng';
import { backend } from '../backend';
import { PoolDesc } from '../backend/backend';
import { CaffeError } from '../util/errors';
import { check, checkOp } from '../util/check';
import { checkNchwInput } from './pool_util';

type Method = PoolingParameter_PoolMethod;

/** Caffe's pooled size for one axis (float division, CEIL or FLOOR, then the padding rule). */
export function pooledSize(size: number, kernel: number, pad: number, stride: number, floor: boolean): number {
  const q = Math.fround(Math.fround(size + 2 * pad - kernel) / stride);
  let out = Math.trunc(floor ? Math.floor(q) : Math.ceil(q)) + 1;
  if (pad > 0 && (out - 1) * stride >= size + pad) --out;
  return out;
}

export class PoolingLayer extends Layer {
  private method: Method = 'MAX';
  private global = false;
  private floor = false;
  private kH = 0;
  private kW = 0;
  private sH = 1;
  private sW = 1;
  private pH = 0;
  private pW = 0;
  private desc!: PoolDesc;
  private maxIdx = new Int32Array(0); // MAX argmax when there is no mask top
  private valuesOnly = false; // MAX in a net that runs no backward through it: no argmax
  private randIdx = new Int32Array(0); // STOCHASTIC sampled index
  private rand = new Float32Array(0); // STOCHASTIC uniforms, one per output
  private maskBlob = new Blob(); // MAX argmax on the device (floats, as Caffe's top mask)

  private has(f: keyof PoolingParameter): boolean {
    return this.layerParam.pooling_param?.[f] !== undefined;
  }
  private get p() {
    return this.param('pooling_param');
  }

  override layerSetUp(bottom: Blob[]): void {
    const has = (f: keyof PoolingParameter) => this.has(f);
    this.method = this.p.pool;
    this.global = this.p.global_pooling;
    if (this.global) {
      check(
        this,
        !(has('kernel_size') || has('kernel_h') || has('kernel_w')),
        '!(pool_param.has_kernel_size() || pool_param.has_kernel_h() || pool_param.has_kernel_w())',
        'With Global_pooling: true Filter size cannot specified',
      );
    } else {
      check(
        this,
        !has('kernel_size') !== !(has('kernel_h') && has('kernel_w')),
        '!pool_param.has_kernel_size() != !(pool_param.has_kernel_h() && pool_param.has_kernel_w())',
        'Filter size is kernel_size OR kernel_h and kernel_w; not both',
      );
      check(
        this,
        has('kernel_size') || (has('kernel_h') && has('kernel_w')),
        'pool_param.has_kernel_size() || (pool_param.has_kernel_h() && pool_param.has_kernel_w())',
        'For non-square filters both kernel_h and kernel_w are required.',
      );
    }
    check(
      this,
      (!has('pad') && has('pad_h') && has('pad_w')) || (!has('pad_h') && !has('pad_w')),
      '(!pool_param.has_pad() && pool_param.has_pad_h() && pool_param.has_pad_w()) || ' +
        '(!pool_param.has_pad_h() && !pool_param.has_pad_w())',
      'pad is pad OR pad_h and pad_w are required.',
    );
    check(
      this,
      (!has('stride') && has('stride_h') && has('stride_w')) || (!has('stride_h') && !has('stride_w')),
      '(!pool_param.has_stride() && pool_param.has_stride_h() && pool_param.has_stride_w()) || ' +
        '(!pool_param.has_stride_h() && !pool_param.has_stride_w())',
      'Stride is stride OR stride_h and stride_w are required.',
    );
    this.floor = this.p.round_mode === 'FLOOR';
    if (this.global) {
      this.kH = bottom[0].height;
      this.kW = bottom[0].width;
    } else if (has('kernel_size')) {
      this.kH = this.kW = this.p.kernel_size;
    } else {
      this.kH = this.p.kernel_h;
      this.kW = this.p.kernel_w;
    }
    checkOp(this, this.kH, '>', 0, 'kernel_h_ > 0', 'Filter dimensions cannot be zero.');
    checkOp(this, this.kW, '>', 0, 'kernel_w_ > 0', 'Filter dimensions cannot be zero.');
    if (!has('pad_h')) this.pH = this.pW = this.p.pad;
    else {
      this.pH = this.p.pad_h;
      this.pW = this.p.pad_w;
    }
    if (!has('stride_h')) this.sH = this.sW = this.p.stride;
    else {
      this.sH = this.p.stride_h;
      this.sW = this.p.stride_w;
    }
    if (this.global) {
      check(
        this,
        this.pH === 0 && this.pW === 0 && this.sH === 1 && this.sW === 1,
        'pad_h_ == 0 && pad_w_ == 0 && stride_h_ == 1 && stride_w_ == 1',
        'With Global_pooling: true; only pad = 0 and stride = 1',
      );
    }
    if (this.pH !== 0 || this.pW !== 0) {
      check(
        this,
        this.method === 'AVE' || this.method === 'MAX',
        'this->layer_param_.pooling_param().pool() == PoolingParameter_PoolMethod_AVE || ' +
          'this->layer_param_.pooling_param().pool() == PoolingParameter_PoolMethod_MAX',
        'Padding implemented only for average and max pooling.',
      );
      checkOp(this, this.pH, '<', this.kH, 'pad_h_ < kernel_h_');
      checkOp(this, this.pW, '<', this.kW, 'pad_w_ < kernel_w_');
    }
    // Caffe divides by a zero stride (undefined behaviour); refuse it instead
    if (this.sH <= 0 || this.sW <= 0) throw new CaffeError(`Pooling layer ${this.name}: stride must be positive`);
  }

  reshape(bottom: Blob[], top: Blob[]): void {
    checkNchwInput(this, bottom, top);
    const [N, C, H, W] = bottom[0].shape;
    if (this.global) {
      this.kH = H;
      this.kW = W;
    }
    const outH = pooledSize(H, this.kH, this.pH, this.sH, this.floor);
    const outW = pooledSize(W, this.kW, this.pW, this.sW, this.floor);
    if (this.pH || this.pW) {
      checkOp(this, (outH - 1) * this.sH, '<', H + this.pH, '(pooled_height_ - 1) * stride_h_ < height_ + pad_h_');
      checkOp(this, (outW - 1) * this.sW, '<', W + this.pW, '(pooled_width_ - 1) * stride_w_ < width_ + pad_w_');
    }
    this.desc = {
      num: N,
      channels: C,
      height: H,
      width: W,
      kernelH: this.kH,
      kernelW: this.kW,
      strideH: this.sH,
      strideW: this.sW,
      padH: this.pH,
      padW: this.pW,
      outH,
      outW,
    };
    top[0].reshape([N, C, outH, outW]);
    if (top.length > 1) top[1].reshapeLike(top[0]);
    const count = top[0].count;
    const argmax = this.method === 'MAX' && top.length === 1 && !this.valuesOnly;
    if (argmax && this.maxIdx.length !== count) this.maxIdx = new Int32Array(count);
    if (this.method === 'STOCHASTIC' && this.randIdx.length !== count) {
      this.randIdx = new Int32Array(count).fill(-1);
      this.rand = new Float32Array(count);
    }
  }

  override exactNumBottomBlobs(): number {
    return 1;
  }
  override minTopBlobs(): number {
    return 1;
  }
  /**
   * MAX with one top in a net that never runs this layer's backward (the net decides, at
   * initialization): forward computes the values without the argmax backward would need.
   */
  skipArgmax(): void {
    if (this.method !== 'MAX') return;
    this.valuesOnly = true;
    this.maxIdx = new Int32Array(0);
  }

  /** Whether forward keeps MAX's argmax (for backward). */
  get keepsArgmax(): boolean {
    return this.method === 'MAX' && !this.valuesOnly;
  }

  override maxTopBlobs(): number {
    return this.p.pool === 'MAX' ? 2 : 1;
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    const be = backend(),
      d = this.desc,
      x = bottom[0].cpuData(),
      y = top[0].mutableCpuData();
    switch (this.method) {
      case 'MAX':
        if (top.length > 1) be.maxPoolForward(d, x, y, null, top[1].mutableCpuData());
        else be.maxPoolForward(d, x, y, this.valuesOnly ? null : this.maxIdx, null);
        break;
      case 'AVE':
        be.avePoolForward(d, x, y);
        break;
      case 'STOCHASTIC':
        if (this.phase === 'TRAIN') {
          const r = rng(),
            u = this.rand;
          for (let i = 0; i < u.length; i++) u[i] = r.next();
          be.stochasticPoolForward(d, x, y, u, this.randIdx);
        } else {
          be.stochasticPoolForward(d, x, y, null, null);
        }
        break;
      default:
        throw new CaffeError(`Unknown pooling method. (layer ${this.name})`);
    }
  }

  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    if (this.valuesOnly) throw new Error(`${this.name}: backward of a MAX pooling set up without its argmax`);
    const be = backend(),
      d = this.desc,
      dy = top[0].cpuDiff(),
      dx = bottom[0].mutableCpuDiff();
    // no output, no gradient (and an empty mask has no buffer for the native scatter to take)
    if (dy.length === 0) {
      dx.fill(0);
      return;
    }
    switch (this.method) {
      case 'MAX':
        if (top.length > 1) be.indexPoolBackward(d, dy, null, top[1].cpuData(), dx);
        else be.indexPoolBackward(d, dy, this.maxIdx, null, dx);
        break;
      case 'AVE':
        be.avePoolBackward(d, dy, dx);
        break;
      case 'STOCHASTIC':
        be.indexPoolBackward(d, dy, this.randIdx, null, dx);
        break;
    }
  }

  // MAX and AVE on the device; STOCHASTIC falls back to the CPU (its draws come from the host RNG)
  protected override forwardGpu(bottom: Blob[], top: Blob[]): void {
    const k = currentDevice().kernels,
      x = bottom[0].gpuData(),
      y = top[0].mutableGpuData();
    if (this.method === 'MAX') k.maxPoolForward(this.desc, x, y, this.gpuMask(top).mutableGpuData());
    else if (this.method === 'AVE') k.avePoolForward(this.desc, x, y);
    else this.forwardCpu(bottom, top);
  }

  protected override backwardGpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const k = currentDevice().kernels;
    if (this.method === 'MAX')
      k.maxPoolBackward(this.desc, top[0].gpuDiff(), this.gpuMask(top).gpuData(), bottom[0].mutableGpuDiff());
    else if (this.method === 'AVE') k.avePoolBackward(this.desc, top[0].gpuDiff(), bottom[0].mutableGpuDiff());
    else this.backwardCpu(top, propagateDown, bottom);
  }

  /** MAX's argmax on the device: the mask top when there is one, else a blob of the layer's own. */
  private gpuMask(top: Blob[]): Blob {
    if (top.length > 1) return top[1];
    if (this.maskBlob.count !== top[0].count) this.maskBlob.reshapeLike(top[0]);
    return this.maskBlob;
  }
}

registerLayer('Pooling', PoolingLayer);
