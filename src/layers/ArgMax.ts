// ArgMax: the indices (and optionally values) of the top_k largest entries.
//   - without `axis`: over the flattened dims after the first, per example; top shape
//     [N, 1, top_k] (padded with 1s to at least the bottom's axis count), or [N, 2, top_k, ...]
//     with out_max_val, holding the top_k indices followed by the top_k values;
//   - with `axis`: along that axis; top = bottom shape with that axis set to top_k, holding
//     the indices, or the values instead when out_max_val.
// Ordering is by (value, index) descending, so equal values list the larger index first.
// No backward pass.
import { Blob } from '../core/blob';
import { Layer } from '../core/layer';
import { registerLayer } from '../core/layer_factory';
import { fatal } from '../util/check';
import { notImplemented } from './loss';

export class ArgMaxLayer extends Layer {
  private outMaxVal = false;
  private topK = 1;
  private hasAxis = false;
  private axis = 0;
  /** candidate indices of one slice, sorted in place */
  private order = new Int32Array(0);
  /** the values of that slice */
  private vals = new Float32Array(0);

  override layerSetUp(bottom: Blob[]): void {
    this.outMaxVal = this.param('argmax_param').out_max_val;
    this.topK = this.param('argmax_param').top_k;
    this.hasAxis = this.layerParam.argmax_param?.axis !== undefined;
    if (this.topK < 1) fatal(this, `top k must not be less than 1. (${this.topK} vs. 1)`);
    if (this.hasAxis) {
      this.axis = bottom[0].canonicalAxisIndex(this.param('argmax_param').axis);
      if (this.topK > bottom[0].shape[this.axis])
        fatal(
          this,
          'top_k must be less than or equal to the dimension of the axis. ' +
            `(${this.topK} vs. ${bottom[0].shape[this.axis]})`,
        );
    } else {
      if (this.topK > bottom[0].countRange(1))
        fatal(
          this,
          'top_k must be less than or equal to the dimension of the flattened bottom blob per instance. ' +
            `(${this.topK} vs. ${bottom[0].countRange(1)})`,
        );
    }
  }

  reshape(bottom: Blob[], top: Blob[]): void {
    let shape: number[];
    if (this.hasAxis) {
      shape = bottom[0].shape.slice();
      shape[this.axis] = this.topK;
    } else {
      shape = new Array<number>(Math.max(bottom[0].numAxes, 3)).fill(1);
      shape[0] = bottom[0].shape[0];
      shape[2] = this.topK;
      if (this.outMaxVal) shape[1] = 2;
    }
    top[0].reshape(shape);
    const dim = this.hasAxis ? bottom[0].shape[this.axis] : bottom[0].countRange(1);
    if (this.order.length < dim) {
      this.order = new Int32Array(dim);
      this.vals = new Float32Array(dim);
    }
  }

  override exactNumBottomBlobs(): number {
    return 1;
  }
  override exactNumTopBlobs(): number {
    return 1;
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    const x = bottom[0].cpuData(),
      y = top[0].mutableCpuData(),
      K = this.topK;
    let dim: number, stride: number;
    if (this.hasAxis) {
      dim = bottom[0].shape[this.axis];
      stride = bottom[0].countRange(this.axis + 1);
    } else {
      dim = bottom[0].countRange(1);
      stride = 1;
    }
    const num = dim === 0 ? 0 : x.length / dim;
    const order = this.order.subarray(0, dim),
      vals = this.vals.subarray(0, dim);
    for (let i = 0; i < num; i++) {
      const o = Math.floor(i / stride),
        r = i % stride;
      for (let j = 0; j < dim; j++) {
        order[j] = j;
        vals[j] = x[(o * dim + j) * stride + r];
      }
      selectTopK(order, vals, K);
      for (let j = 0; j < K; j++) {
        const idx = order[j];
        if (this.outMaxVal) {
          if (this.hasAxis) y[(o * K + j) * stride + r] = vals[idx];
          else {
            y[2 * i * K + j] = idx;
            y[2 * i * K + K + j] = vals[idx];
          }
        } else {
          y[(o * K + j) * stride + r] = idx;
        }
      }
    }
  }

  protected override backwardCpu(_top: Blob[], propagateDown: boolean[]): void {
    if (propagateDown.some(Boolean)) throw notImplemented(this);
  }
}

/** (value, index) pairs ordered as std::greater<pair>: larger value first, then larger index. */
function before(vals: Float32Array, a: number, b: number): boolean {
  const va = vals[a],
    vb = vals[b];
  return va > vb || (!(vb > va) && a > b);
}

/** Moves the k greatest indices (by `before`) to the front of `order`, in order. */
function selectTopK(order: Int32Array, vals: Float32Array, k: number): void {
  const n = order.length;
  if (k > 8 && k > n / 4) {
    // large k: a full sort is cheaper than k selection passes
    order.sort((a, b) => (before(vals, a, b) ? -1 : before(vals, b, a) ? 1 : 0));
    return;
  }
  for (let s = 0; s < k; s++) {
    let best = s;
    for (let j = s + 1; j < n; j++) if (before(vals, order[j], order[best])) best = j;
    const t = order[s];
    order[s] = order[best];
    order[best] = t;
  }
}

registerLayer('ArgMax', ArgMaxLayer);
