// Log: y = log_base(shift + scale * x) (base -1 means e); dy/dx = scale / (ln(base) (shift + scale x)).
import { Blob } from '../core/blob';
import { registerLayer } from '../core/layer_factory';
import { check, checkOp } from './layer_check';
import { NeuronLayer } from './neuron';

const P = 'caffe.LogParameter';

export class LogLayer extends NeuronLayer {
  private baseScale = 1; private inputScale = 1; private inputShift = 0; private backwardNumScale = 1;

  override layerSetUp(): void {
    const base = Math.fround(this.param<number>('log_param', P, 'base'));
    if (base !== -1) checkOp(this, base, '>', 0, 'base > 0', 'base must be strictly positive.');
    const logBase = base === -1 ? 1 : Math.fround(Math.log(base));
    check(this, !Number.isNaN(logBase), '!isnan(log_base)', `NaN result: log(base) = log(${base}) = ${logBase}`);
    check(this, Number.isFinite(logBase), '!isinf(log_base)', `Inf result: log(base) = log(${base}) = ${logBase}`);
    this.baseScale = Math.fround(1 / logBase);
    check(this, !Number.isNaN(this.baseScale), '!isnan(base_scale_)', `NaN result: 1/log(base) = 1/log(${base}) = ${this.baseScale}`);
    check(this, Number.isFinite(this.baseScale), '!isinf(base_scale_)', `Inf result: 1/log(base) = 1/log(${base}) = ${this.baseScale}`);
    this.inputScale = Math.fround(this.param<number>('log_param', P, 'scale'));
    this.inputShift = Math.fround(this.param<number>('log_param', P, 'shift'));
    this.backwardNumScale = Math.fround(this.inputScale / logBase);
  }

  private affine(v: number): number {
    if (this.inputScale !== 1) v = Math.fround(v * this.inputScale);
    if (this.inputShift !== 0) v = Math.fround(v + this.inputShift);
    return v;
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    const x = bottom[0].cpuData(), y = top[0].mutableCpuData(), b = this.baseScale;
    for (let i = 0; i < x.length; i++) {
      const l = Math.fround(Math.log(this.affine(x[i])));
      y[i] = b === 1 ? l : l * b;
    }
  }

  // Reads bottom data (as Caffe does): in-place use gives a wrong gradient there too.
  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const x = bottom[0].cpuData(), dy = top[0].cpuDiff(), dx = bottom[0].mutableCpuDiff(), s = this.backwardNumScale;
    for (let i = 0; i < x.length; i++) {
      let g = Math.fround(1 / this.affine(x[i]));
      if (s !== 1) g = Math.fround(g * s);
      dx[i] = dy[i] * g;
    }
  }
}

registerLayer('Log', LogLayer);
