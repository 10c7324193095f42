// Scale: top = bottom[0] * s (+ b), with s broadcast over bottom[0]'s axes [axis, axis + s.numAxes).
// s is bottom[1] when given, else a learned blob covering `num_axes` axes from `axis` (-1 = all
// remaining; 0 = a scalar) filled by `filler` (default constant 1). With bias_term a learned bias b of
// the same span is added (Caffe runs an internal Bias layer; it is computed here directly, keeping
// Caffe's blob order [scale, bias], or [bias] with two bottoms). ds = sum of dy * x over the outer and
// inner axes; dx = dy * s; db = sum of dy. In place, the input is saved in the forward for ds.
//
// Deviation from Caffe: a learned scale's diff always accumulates (Caffe overwrites it in its
// element-wise and outer_dim == 1 shortcuts), as the layer contract requires.
import { Blob } from '../core/blob';
import { Layer } from '../core/layer';
import { registerLayer } from '../core/layer_factory';
import { fillBlob } from '../core/filler';
import { log } from '../util/logging';
import { backend } from '../backend';
import { Ones, Scratch, Span, addBroadcast, alignSpan, deviceSpanSum, spanShape, sumCols, sumRows } from './broadcast';
import { currentDevice } from '../backend/mode';
import { biasDiff } from './Bias';

export class ScaleLayer extends Layer {
  private span: Span = { outer: 0, dim: 0, inner: 0 };
  private biasSpan: Span = { outer: 0, dim: 0, inner: 0 };
  private biasTerm = false;
  private biasParamId = -1;
  private ones = new Ones();
  private partial = new Scratch();
  private temp = new Blob(); // bottom data saved for in-place use

  override layerSetUp(bottom: Blob[]): void {
    const sp = this.rawParam('scale_param');
    const axis = this.param('scale_param').axis;
    if (bottom.length === 1 && this.blobs.length > 0) {
      log.info('Skipping parameter initialization');
    } else if (bottom.length === 1) {
      const shape = spanShape(this, bottom[0], axis, this.param('scale_param').num_axes, 'scale');
      const s = new Blob();
      s.reshape(shape);
      fillBlob(s, sp.filler ?? { type: 'constant', value: 1 }, this); // identity by default
      this.blobs = [s];
    }
    this.biasTerm = this.param('scale_param').bias_term;
    if (this.biasTerm) {
      if (this.blobs.length + bottom.length < 3) {
        // a new bias: the span the internal Bias layer would get (bottom[1]'s axes with two bottoms)
        const numAxes = bottom.length > 1 ? bottom[1].numAxes : this.param('scale_param').num_axes;
        const shape = spanShape(this, bottom[0], axis, numAxes, 'bias');
        const b = new Blob();
        b.reshape(shape);
        fillBlob(b, sp.bias_filler, this); // default constant 0
        this.biasParamId = this.blobs.length;
        this.blobs.push(b);
      } else {
        this.biasParamId = this.blobs.length - 1; // came with the layer
      }
    }
    this.paramPropagateDown = this.blobs.map(() => true);
  }

  reshape(bottom: Blob[], top: Blob[]): void {
    const axis = this.param('scale_param').axis;
    const scale = bottom.length > 1 ? bottom[1] : this.blobs[0];
    this.span = alignSpan(this, bottom[0], scale, axis, 'scale');
    if (top[0] === bottom[0]) this.temp.reshapeLike(bottom[0]);
    else top[0].reshapeLike(bottom[0]);
    let { outer, dim, inner } = this.span;
    if (this.biasTerm) {
      this.biasSpan = alignSpan(this, bottom[0], this.blobs[this.biasParamId], axis, 'bias');
      outer = Math.max(outer, this.biasSpan.outer);
      inner = Math.max(inner, this.biasSpan.inner);
      dim = Math.max(dim, this.biasSpan.dim);
    }
    this.ones.ensure(Math.max(outer, inner, 1));
    this.partial.ensure(this.biasTerm ? Math.max(outer * dim, this.biasSpan.outer * this.biasSpan.dim) : outer * dim);
  }

  override minBottomBlobs(): number {
    return 1;
  }
  override maxBottomBlobs(): number {
    return 2;
  }
  override exactNumTopBlobs(): number {
    return 1;
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    const x = bottom[0].cpuData();
    if (top[0] === bottom[0]) this.temp.mutableCpuData().set(x);
    const s = (bottom.length > 1 ? bottom[1] : this.blobs[0]).cpuData();
    const y = top[0].mutableCpuData();
    const { outer, dim, inner } = this.span;
    let i = 0;
    for (let n = 0; n < outer; n++)
      for (let d = 0; d < dim; d++) {
        const f = s[d];
        for (let k = 0; k < inner; k++, i++) y[i] = x[i] * f;
      }
    if (this.biasTerm) addBroadcast(this.biasSpan, this.blobs[this.biasParamId].cpuData(), y);
  }

  /**
   * Caffe's reduction of dy * x to the scale's shape, branch for branch: a dot product for a single
   * value, gemv over inner then over outer otherwise. A learned scale's diff accumulates (where Caffe's
   * first gemv writes straight into it, outer 1, the result is the same from a zero diff).
   */
  private scaleDiff(prod: Float32Array, learned: boolean, ds: Float32Array): void {
    const { outer, dim, inner } = this.span,
      ones = this.ones.data,
      be = backend();
    let sums = prod;
    if (inner !== 1) {
      if (outer * dim === 1) {
        const r = be.dot(prod.subarray(0, inner), ones.subarray(0, inner));
        ds[0] = learned ? ds[0] + r : r;
      } else {
        sums = outer === 1 ? ds : this.partial.data;
        sumRows(outer * dim, inner, prod, ones, 1, outer === 1 && learned ? 1 : 0, sums);
      }
    }
    if (outer === 1) return;
    if (dim === 1) {
      const r = be.dot(ones.subarray(0, outer), sums.subarray(0, outer));
      ds[0] = learned ? ds[0] + r : r;
    } else {
      sumCols(outer, dim, sums, ones, 1, learned ? 1 : 0, ds);
    }
  }

  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    const dy = top[0].cpuDiff();
    if (this.biasTerm && this.paramPropagate(this.biasParamId)) {
      const { outer, dim, inner } = this.biasSpan;
      biasDiff({ outer, dim, inner }, dy, this.ones.data, true, this.blobs[this.biasParamId].mutableCpuDiff());
    }
    const learned = bottom.length === 1;
    const scale = learned ? this.blobs[0] : bottom[1];
    const inPlace = top[0] === bottom[0];
    // the scale gradient first: in place, writing the bottom diff overwrites the top diff
    if (learned ? this.paramPropagate(0) : propagateDown[1]) {
      const x = (inPlace ? this.temp : bottom[0]).cpuData();
      const ds = scale.mutableCpuDiff();
      if (bottom[0].count === scale.count) {
        // element-wise: no reduction
        // (Caffe writes the product over a learned scale's diff; parameter diffs accumulate here, which
        // is the same whenever the diff starts at zero, i.e. outside iter_size > 1)
        if (learned) for (let j = 0; j < ds.length; j++) ds[j] += dy[j] * x[j];
        else for (let j = 0; j < ds.length; j++) ds[j] = dy[j] * x[j];
      } else {
        // dy * x goes to scratch: the saved input when in place, else bottom[0]'s diff (rewritten below)
        const prod = inPlace ? this.temp.mutableCpuData() : bottom[0].mutableCpuDiff();
        for (let j = 0; j < prod.length; j++) prod[j] = dy[j] * x[j];
        this.scaleDiff(prod, learned, ds);
      }
    }
    if (propagateDown[0]) {
      const s = scale.cpuData(),
        dx = bottom[0].mutableCpuDiff();
      const { outer, dim, inner } = this.span;
      let i = 0;
      for (let n = 0; n < outer; n++)
        for (let d = 0; d < dim; d++) {
          const f = s[d];
          for (let k = 0; k < inner; k++, i++) dx[i] = dy[i] * f;
        }
    }
  }

  // Caffe's scale_layer.cu: one broadcast kernel (scale and bias fused), the gradients by sums over the span
  protected override forwardGpu(bottom: Blob[], top: Blob[]): void {
    const dev = currentDevice(),
      b = bottom[0];
    if (top[0] === b) dev.math.copy(b.count, b.gpuData(), this.temp.mutableGpuData());
    const s = { ptr: (bottom.length > 1 ? bottom[1] : this.blobs[0]).gpuData(), ...this.span };
    const bias = this.biasTerm ? { ptr: this.blobs[this.biasParamId].gpuData(), ...this.biasSpan } : null;
    dev.kernels.broadcastAffine(b.count, b.gpuData(), s, bias, top[0].mutableGpuData());
  }

  protected override backwardGpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    const m = currentDevice().math,
      dy = top[0].gpuDiff(),
      n = bottom[0].count;
    if (this.biasTerm && this.paramPropagate(this.biasParamId))
      deviceSpanSum(this.biasSpan, dy, true, this.blobs[this.biasParamId].mutableGpuDiff());
    const learned = bottom.length === 1;
    const scale = learned ? this.blobs[0] : bottom[1];
    const inPlace = top[0] === bottom[0];
    // the scale gradient first: in place, writing the bottom diff overwrites the top diff
    if (learned ? this.paramPropagate(0) : propagateDown[1]) {
      const x = (inPlace ? this.temp : bottom[0]).gpuData(),
        ds = scale.mutableGpuDiff();
      if (n === scale.count && !learned) m.mul(n, dy, x, ds);
      else {
        // dy * x into scratch (the saved input in place, else bottom[0]'s diff, rewritten below), then summed
        const prod = inPlace ? this.temp.mutableGpuData() : bottom[0].mutableGpuDiff();
        m.mul(n, dy, x, prod);
        if (n === scale.count) m.axpy(n, 1, prod, ds);
        else deviceSpanSum(this.span, prod, learned, ds);
      }
    }
    if (propagateDown[0]) {
      const s = { ptr: scale.gpuData(), ...this.span };
      currentDevice().kernels.broadcastAffine(n, dy, s, null, bottom[0].mutableGpuDiff());
    }
  }
}

registerLayer('Scale', ScaleLayer);
