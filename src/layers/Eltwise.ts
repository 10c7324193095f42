// Eltwise: element-wise PROD, SUM (with one optional coefficient per bottom) or MAX of bottoms of
// identical shape. MAX remembers which bottom won each element (a tie between bottoms 0 and 1 goes
// to bottom 1; a later bottom must be strictly greater to win) and routes the gradient there only.
// PROD's gradient is the product of the other bottoms (stable_prod_grad, the default) or top / bottom.
import { Blob } from '../core/blob';
import { Layer } from '../core/layer';
import { backend } from '../backend';
import { registerLayer } from '../core/layer_factory';
import { layerError } from './layer_check';
import { check } from '../util/check';
import { currentDevice } from '../backend/mode';

type Op = 'PROD' | 'SUM' | 'MAX';

export class EltwiseLayer extends Layer {
  private op: Op = 'SUM';
  private coeffs: number[] = [];
  private stableProdGrad = true;
  /** MAX: index of the winning bottom per element (capacity grows, never shrinks) */
  private maxIdx = new Int32Array(0);
  /** MAX on the device: the winning bottom's index as floats */
  private maxMask = new Blob();

  override layerSetUp(bottom: Blob[]): void {
    const p = this.rawParam('eltwise_param');
    const coeff: ArrayLike<number> = p.coeff ?? [];
    this.op = this.param('eltwise_param').operation;
    check(
      this,
      coeff.length === 0 || coeff.length === bottom.length,
      'coeff_size() == 0 || coeff_size() == bottom.size()',
      'Eltwise Layer takes one coefficient per bottom blob.',
    );
    check(
      this,
      !(this.op === 'PROD' && coeff.length > 0),
      '!(operation() == PROD && coeff_size())',
      'Eltwise layer only takes coefficients for summation.',
    );
    // coefficients are floats in caffe.proto
    this.coeffs = bottom.map((_, i) => (coeff.length ? Math.fround(coeff[i]) : 1));
    this.stableProdGrad = this.param('eltwise_param').stable_prod_grad;
    if (this.op !== 'PROD' && this.op !== 'SUM' && this.op !== 'MAX')
      throw layerError(this, 'Unknown elementwise operation.');
  }

  reshape(bottom: Blob[], top: Blob[]): void {
    const s0 = bottom[0].shape;
    for (let i = 1; i < bottom.length; i++) {
      const s = bottom[i].shape;
      check(
        this,
        s.length === s0.length && s.every((d, j) => d === s0[j]),
        'bottom[0]->shape() == bottom[i]->shape()',
        `bottom[0]: ${bottom[0].shapeString()}, bottom[${i}]: ${bottom[i].shapeString()}`,
      );
    }
    top[0].reshapeLike(bottom[0]);
    if (this.op === 'MAX' && this.maxIdx.length < bottom[0].count) this.maxIdx = new Int32Array(bottom[0].count);
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    const y = top[0].mutableCpuData(),
      n = y.length;
    switch (this.op) {
      case 'PROD': {
        const a = bottom[0].cpuData(),
          b = bottom[1].cpuData();
        for (let i = 0; i < n; i++) y[i] = a[i] * b[i];
        for (let k = 2; k < bottom.length; k++) {
          const c = bottom[k].cpuData();
          for (let i = 0; i < n; i++) y[i] *= c[i];
        }
        break;
      }
      case 'SUM': {
        y.fill(0);
        for (let k = 0; k < bottom.length; k++) backend().axpy(this.coeffs[k], bottom[k].cpuData(), y); // caffe_axpy
        break;
      }
      case 'MAX': {
        const mask = this.maxIdx,
          a = bottom[0].cpuData(),
          b = bottom[1].cpuData();
        for (let i = 0; i < n; i++) {
          if (a[i] > b[i]) {
            y[i] = a[i];
            mask[i] = 0;
          } else {
            y[i] = b[i];
            mask[i] = 1;
          }
        }
        for (let k = 2; k < bottom.length; k++) {
          const c = bottom[k].cpuData();
          for (let i = 0; i < n; i++)
            if (c[i] > y[i]) {
              y[i] = c[i];
              mask[i] = k;
            }
        }
        break;
      }
    }
  }

  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    const y = top[0].cpuData(),
      dy = top[0].cpuDiff(),
      n = dy.length;
    for (let k = 0; k < bottom.length; k++) {
      if (!propagateDown[k]) continue;
      const x = bottom[k].cpuData(),
        dx = bottom[k].mutableCpuDiff();
      switch (this.op) {
        case 'PROD':
          if (this.stableProdGrad) {
            // product of every other bottom
            let first = true;
            for (let j = 0; j < bottom.length; j++) {
              if (j === k) continue;
              const o = bottom[j].cpuData();
              if (first) {
                dx.set(o);
                first = false;
              } else for (let i = 0; i < n; i++) dx[i] *= o[i];
            }
          } else {
            for (let i = 0; i < n; i++) dx[i] = y[i] / x[i];
          }
          for (let i = 0; i < n; i++) dx[i] *= dy[i];
          break;
        case 'SUM': {
          const w = this.coeffs[k];
          if (w === 1) dx.set(dy);
          else for (let i = 0; i < n; i++) dx[i] = w * dy[i];
          break;
        }
        case 'MAX': {
          const mask = this.maxIdx;
          for (let i = 0; i < n; i++) dx[i] = mask[i] === k ? dy[i] : 0;
          break;
        }
      }
    }
  }

  // Caffe's eltwise_layer.cu: PROD and SUM through the math functions, MAX by its kernel with a mask
  protected override forwardGpu(bottom: Blob[], top: Blob[]): void {
    const { math: m, kernels: k } = currentDevice(),
      n = top[0].count,
      y = top[0].mutableGpuData();
    switch (this.op) {
      case 'PROD':
        m.mul(n, bottom[0].gpuData(), bottom[1].gpuData(), y);
        for (let i = 2; i < bottom.length; i++) m.mul(n, y, bottom[i].gpuData(), y);
        break;
      case 'SUM':
        m.set(n, 0, y);
        for (let i = 0; i < bottom.length; i++) m.axpy(n, this.coeffs[i], bottom[i].gpuData(), y);
        break;
      case 'MAX': {
        if (this.maxMask.count !== n) this.maxMask.reshape([n]);
        const mask = this.maxMask.mutableGpuData();
        k.eltwiseMaxForward(n, 1, bottom[0].gpuData(), bottom[1].gpuData(), y, mask);
        for (let i = 2; i < bottom.length; i++) k.eltwiseMaxForward(n, i, y, bottom[i].gpuData(), y, mask);
        break;
      }
    }
  }

  protected override backwardGpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    const { math: m, kernels: k } = currentDevice(),
      n = top[0].count,
      dy = top[0].gpuDiff();
    for (let i = 0; i < bottom.length; i++) {
      if (!propagateDown[i]) continue;
      const dx = bottom[i].mutableGpuDiff();
      switch (this.op) {
        case 'PROD':
          if (this.stableProdGrad) {
            // product of every other bottom
            const others = bottom.filter((_, j) => j !== i);
            m.copy(n, others[0].gpuData(), dx);
            for (const o of others.slice(1)) m.mul(n, dx, o.gpuData(), dx);
          } else {
            m.div(n, top[0].gpuData(), bottom[i].gpuData(), dx);
          }
          m.mul(n, dx, dy, dx);
          break;
        case 'SUM':
          if (this.coeffs[i] === 1) m.copy(n, dy, dx);
          else m.scale(n, this.coeffs[i], dy, dx);
          break;
        case 'MAX':
          k.eltwiseMaxBackward(n, i, dy, this.maxMask.gpuData(), dx);
          break;
      }
    }
  }

  override minBottomBlobs(): number {
    return 2;
  }
  override exactNumTopBlobs(): number {
    return 1;
  }
}

registerLayer('Eltwise', EltwiseLayer);
