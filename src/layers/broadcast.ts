// Helpers shared by Scale, Bias and BatchNorm: the geometry of a parameter broadcast along a span of
// bottom axes (outer x dim x inner), grow-only scratch buffers, and row/column sums through the
// backend's gemv against a ones vector, as Caffe reduces; on the device, per-channel sums.
import { backend } from '../backend';
import { Blob } from '../core/blob';
import { Layer } from '../core/layer';
import { checkOp } from '../util/check';
import { currentDevice } from '../backend/mode';
import type { DevicePtr } from '../backend/device';

/**
 * Shape of a learned parameter covering `numAxes` axes of `bottom` from `axis` (-1 = to the end), with
 * Caffe's checks; `what` names the blob in messages ('scale' / 'bias').
 */
export function spanShape(layer: Layer, bottom: Blob, axisParam: number, numAxes: number, what: string): number[] {
  const axis = bottom.canonicalAxisIndex(axisParam);
  checkOp(
    layer,
    numAxes,
    '>=',
    -1,
    'num_axes >= -1',
    'num_axes must be non-negative, or -1 to extend to the end of bottom[0]',
  );
  if (numAxes >= 0) {
    checkOp(
      layer,
      bottom.numAxes,
      '>=',
      axis + numAxes,
      'bottom[0]->num_axes() >= axis + num_axes',
      `${what} blob's shape extends past bottom[0]'s shape when applied starting with bottom[0] axis = ${axis}`,
    );
  }
  return bottom.shape.slice(axis, numAxes === -1 ? bottom.numAxes : axis + numAxes);
}

export interface Span {
  outer: number;
  dim: number;
  inner: number;
}

/**
 * How `param` lines up with `bottom`: bottom = outer x param.count x inner. A scalar param (0 axes) is
 * aligned at axis 0 whatever `axis` says (outer = 1), as Caffe does.
 */
export function alignSpan(layer: Layer, bottom: Blob, param: Blob, axisParam: number, what: string): Span {
  const axis = param.numAxes === 0 ? 0 : bottom.canonicalAxisIndex(axisParam);
  checkOp(
    layer,
    bottom.numAxes,
    '>=',
    axis + param.numAxes,
    `bottom[0]->num_axes() >= axis + ${what}->num_axes()`,
    `${what} blob's shape extends past bottom[0]'s shape when applied starting with bottom[0] axis = ${axis}`,
  );
  for (let i = 0; i < param.numAxes; i++) {
    checkOp(
      layer,
      bottom.shape[axis + i],
      '==',
      param.shape[i],
      `bottom[0]->shape(axis + i) == ${what}->shape(i)`,
      `dimension mismatch between bottom[0]->shape(${axis + i}) and ${what}->shape(${i})`,
    );
  }
  return { outer: bottom.countRange(0, axis), dim: param.count, inner: bottom.countRange(axis + param.numAxes) };
}

/** y[n, d, i] += b[d] over an outer x dim x inner array. */
export function addBroadcast(span: Span, b: Float32Array, y: Float32Array): void {
  const { outer, dim, inner } = span;
  let i = 0;
  for (let n = 0; n < outer; n++)
    for (let d = 0; d < dim; d++) {
      const v = b[d];
      for (let k = 0; k < inner; k++, i++) y[i] += v;
    }
}

/** A grow-only Float32 buffer: `ensure(n)` in reshape, `data` (length >= n) in forward/backward. */
export class Scratch {
  data = new Float32Array(0);
  ensure(n: number): void {
    if (this.data.length < n) this.data = new Float32Array(n);
  }
}

/** A grow-only vector of ones (Caffe's sum multipliers). */
export class Ones {
  data = new Float32Array(0);
  ensure(n: number): void {
    if (this.data.length < n) this.data = new Float32Array(n).fill(1);
  }
}

function need(a: Float32Array, n: number, what: string): void {
  if (a.length < n) throw new Error(`internal: ${what} has ${a.length} floats, ${n} needed`);
}

function scaleInto(out: Float32Array, n: number, beta: number): void {
  if (beta === 1) return;
  for (let i = 0; i < n; i++) out[i] = beta === 0 ? 0 : out[i] * beta;
}

/** out[r] = alpha * sum_c a[r * cols + c] + beta * out[r], for r < rows (a is rows x cols). */
export function sumRows(
  rows: number,
  cols: number,
  a: Float32Array,
  ones: Float32Array,
  alpha: number,
  beta: number,
  out: Float32Array,
): void {
  if (rows === 0) return;
  need(out, rows, 'sum output');
  need(a, rows * cols, 'sum input');
  need(ones, cols, 'ones');
  if (cols === 0) {
    scaleInto(out, rows, beta);
    return;
  }
  backend().gemv(false, rows, cols, alpha, a, ones, beta, out);
}

/** out[c] = alpha * sum_r a[r * cols + c] + beta * out[c], for c < cols (a is rows x cols). */
export function sumCols(
  rows: number,
  cols: number,
  a: Float32Array,
  ones: Float32Array,
  alpha: number,
  beta: number,
  out: Float32Array,
): void {
  if (cols === 0) return;
  need(out, cols, 'sum output');
  need(a, rows * cols, 'sum input');
  need(ones, rows, 'ones');
  if (rows === 0) {
    scaleInto(out, cols, beta);
    return;
  }
  backend().gemv(true, rows, cols, alpha, a, ones, beta, out);
}

/** On the device: out[d] (+)= sum over n, k of a[n, d, k] for an outer x dim x inner array. */
export function deviceSpanSum(span: Span, a: DevicePtr, accumulate: boolean, out: DevicePtr): void {
  const dev = currentDevice();
  if (!accumulate) dev.math.set(span.dim, 0, out);
  dev.kernels.channelSum(span.outer, span.dim, span.inner, a, out);
}
