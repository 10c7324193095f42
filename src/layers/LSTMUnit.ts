// LSTMUnit: one LSTM step for N streams of hidden size H (bottoms c_{t-1} 1xNxH, the gate inputs
// 1xNx4H = [i' f' o' g'] and cont_t 1xN; tops c_t, h_t 1xNxH):
//   i = sigmoid(i'), f = cont_t * sigmoid(f') (0 where cont_t is 0), o = sigmoid(o'), g = tanh(g'),
//   c_t = f c_{t-1} + i g,  h_t = o tanh(c_t).
// In Caffe's float arithmetic: sigmoid(x) = float(1. / (1. + expf(-x))) and tanh(x) = float(2. / (1. +
// exp(-2. x)) - 1.) in double, every other product and sum rounded to float, in its C expression order.
// Backward (no gradient to cont): with dc = dc_t + dh_t o (1 - tanh(c_t)^2),
//   dc_{t-1} = dc f, di' = dc g i (1 - i), df' = dc c_{t-1} f (1 - f), do' = dh_t tanh(c_t) o (1 - o),
//   dg' = dc i (1 - g^2).
import { Blob } from '../core/blob';
import { Layer } from '../core/layer';
import { registerLayer } from '../core/layer_factory';
import { currentDevice } from '../backend/mode';
import { backend } from '../backend';
import { check, checkOp } from '../util/check';

const f32 = Math.fround;
/** Caffe's sigmoid of x from e = expf(-x) */
const sigmoid = (e: number) => f32(1 / (1 + e));
/** Caffe's tanh of x from e = exp(-2x) in double */
const tanh = (e: number) => f32(2 * (1 / (1 + e)) - 1);

export class LSTMUnitLayer extends Layer {
  private hidden = 0;
  /** expf(-x) of every gate input (g's unused) */
  private expGates = new Float32Array(0);
  /** exp(-2 g') then exp(-2 c_t), N x H each, in double */
  private expTanh = new Float64Array(0);

  reshape(bottom: Blob[], top: Blob[]): void {
    const num = bottom[0].shape[1];
    bottom.forEach((b, i) => {
      if (i === 2) checkOp(this, 2, '==', b.numAxes, '2 == bottom[i]->num_axes()');
      else checkOp(this, 3, '==', b.numAxes, '3 == bottom[i]->num_axes()');
      checkOp(this, 1, '==', b.shape[0], '1 == bottom[i]->shape(0)');
      checkOp(this, num, '==', b.shape[1], 'num_instances == bottom[i]->shape(1)');
    });
    this.hidden = bottom[0].shape[2];
    checkOp(this, 4 * this.hidden, '==', bottom[1].shape[2], '4 * hidden_dim_ == bottom[1]->shape(2)');
    top[0].reshapeLike(bottom[0]);
    top[1].reshapeLike(bottom[0]);
    if (this.expGates.length !== bottom[1].count) this.expGates = new Float32Array(bottom[1].count);
    if (this.expTanh.length !== 2 * bottom[0].count) this.expTanh = new Float64Array(2 * bottom[0].count);
  }

  override exactNumBottomBlobs(): number {
    return 3;
  }
  override exactNumTopBlobs(): number {
    return 2;
  }
  override allowForceBackward(i: number): boolean {
    return i !== 2; // not to the sequence continuation indicators
  }

  /** expf(-x) of every gate input and exp(-2 g') (the first N x H of expTanh), as the engine computes exp. */
  private gateExps(X: Float32Array): void {
    const H = this.hidden,
      e = this.expGates,
      t = this.expTanh,
      num = X.length / (4 * H);
    for (let k = 0; k < X.length; k++) e[k] = -X[k];
    backend().exp(e, e);
    for (let n = 0; n < num; n++) for (let d = 0; d < H; d++) t[n * H + d] = -2 * X[n * 4 * H + 3 * H + d];
    const g = t.subarray(0, num * H);
    backend().expDouble(g, g);
  }

  /** exp(-2 c) of the cell states into the second N x H of expTanh. */
  private cellExps(C: Float32Array): Float64Array {
    const t = this.expTanh.subarray(C.length, 2 * C.length);
    for (let k = 0; k < C.length; k++) t[k] = -2 * C[k];
    backend().expDouble(t, t);
    return t;
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    const H = this.hidden,
      num = bottom[0].shape[1];
    const cPrev = bottom[0].cpuData(),
      X = bottom[1].cpuData(),
      cont = bottom[2].cpuData();
    const C = top[0].mutableCpuData(),
      Hs = top[1].mutableCpuData();
    this.gateExps(X);
    const e = this.expGates,
      t = this.expTanh;
    for (let n = 0; n < num; n++) {
      const x = n * 4 * H,
        k = n * H;
      for (let d = 0; d < H; d++) {
        const i = sigmoid(e[x + d]);
        const f = cont[n] === 0 ? 0 : f32(cont[n] * sigmoid(e[x + H + d]));
        const g = tanh(t[k + d]);
        C[k + d] = f32(f * cPrev[k + d]) + f32(i * g);
      }
    }
    const tc = this.cellExps(C);
    for (let n = 0; n < num; n++)
      for (let d = 0; d < H; d++) Hs[n * H + d] = sigmoid(e[n * 4 * H + 2 * H + d]) * tanh(tc[n * H + d]);
  }

  protected override forwardGpu(bottom: Blob[], top: Blob[]): void {
    const [cPrev, X, cont] = bottom.map((b) => b.gpuData());
    const k = currentDevice().kernels;
    k.lstmUnitForward(
      bottom[0].shape[1],
      this.hidden,
      cPrev,
      X,
      cont,
      top[0].mutableGpuData(),
      top[1].mutableGpuData(),
    );
  }

  protected override backwardGpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    check(this, !propagateDown[2], '!propagate_down[2]', 'Cannot backpropagate to sequence indicators.');
    if (!propagateDown[0] && !propagateDown[1]) return;
    const [cPrev, X, cont] = bottom.map((b) => b.gpuData());
    const data = { cPrev, X, cont, c: top[0].gpuData() };
    const [dcPrev, dX] = [bottom[0].mutableGpuDiff(), bottom[1].mutableGpuDiff()];
    currentDevice().kernels.lstmUnitBackward(
      bottom[0].shape[1],
      this.hidden,
      data,
      top[0].gpuDiff(),
      top[1].gpuDiff(),
      dcPrev,
      dX,
    );
  }

  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    check(this, !propagateDown[2], '!propagate_down[2]', 'Cannot backpropagate to sequence indicators.');
    if (!propagateDown[0] && !propagateDown[1]) return;
    const H = this.hidden,
      num = bottom[0].shape[1];
    const cPrev = bottom[0].cpuData(),
      X = bottom[1].cpuData(),
      cont = bottom[2].cpuData();
    const dC = top[0].cpuDiff(),
      dH = top[1].cpuDiff();
    const dcPrev = bottom[0].mutableCpuDiff(),
      dX = bottom[1].mutableCpuDiff();
    this.gateExps(X);
    const tc = this.cellExps(top[0].cpuData());
    const e = this.expGates,
      t = this.expTanh;
    for (let n = 0; n < num; n++) {
      const x = n * 4 * H,
        k = n * H;
      for (let d = 0; d < H; d++) {
        const i = sigmoid(e[x + d]);
        const f = cont[n] === 0 ? 0 : f32(cont[n] * sigmoid(e[x + H + d]));
        const o = sigmoid(e[x + 2 * H + d]);
        const g = tanh(t[k + d]);
        const cp = cPrev[k + d],
          tanhC = tanh(tc[k + d]);
        const dh = dH[k + d];
        const dc = f32(dC[k + d] + f32(f32(dh * o) * f32(1 - f32(tanhC * tanhC))));
        dcPrev[k + d] = dc * f;
        dX[x + d] = f32(f32(dc * g) * i) * f32(1 - i);
        dX[x + H + d] = f32(f32(dc * cp) * f) * f32(1 - f);
        dX[x + 2 * H + d] = f32(f32(dh * tanhC) * o) * f32(1 - o);
        dX[x + 3 * H + d] = f32(dc * i) * f32(1 - f32(g * g));
      }
    }
  }
}

registerLayer('LSTMUnit', LSTMUnitLayer);
