// Exp: y = base^(shift + scale * x) (base -1 means e), computed as outer * exp(inner * x) with
// inner = ln(base) * scale and outer = base^shift; dy/dx = inner * y.
import { Blob } from '../core/blob';
import { backend } from '../backend';
import { registerLayer } from '../core/layer_factory';
import { currentDevice } from '../backend/mode';
import { check, checkOp } from '../util/check';
import { NeuronLayer } from './neuron';

export class ExpLayer extends NeuronLayer {
  private innerScale = 1;
  private outerScale = 1;

  override layerSetUp(): void {
    const base = Math.fround(this.param('exp_param').base);
    if (base !== -1) checkOp(this, base, '>', 0, 'base > 0', 'base must be strictly positive.');
    const logBase = base === -1 ? 1 : Math.fround(Math.log(base));
    check(this, !Number.isNaN(logBase), '!isnan(log_base)', `NaN result: log(base) = log(${base}) = ${logBase}`);
    check(this, Number.isFinite(logBase), '!isinf(log_base)', `Inf result: log(base) = log(${base}) = ${logBase}`);
    const scale = Math.fround(this.param('exp_param').scale);
    const shift = Math.fround(this.param('exp_param').shift);
    this.innerScale = Math.fround(logBase * scale);
    this.outerScale = shift === 0 ? 1 : Math.fround(base !== -1 ? Math.pow(base, shift) : Math.exp(shift));
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    // Caffe: caffe_cpu_scale by the inner scale, caffe_exp, caffe_scal by the outer scale
    const x = bottom[0].cpuData(),
      y = top[0].mutableCpuData(),
      a = this.innerScale,
      b = this.outerScale;
    if (a === 1) backend().exp(x, y);
    else {
      for (let i = 0; i < x.length; i++) y[i] = a * x[i];
      backend().exp(y, y);
    }
    if (b !== 1) for (let i = 0; i < y.length; i++) y[i] *= b;
  }

  protected override forwardGpu(bottom: Blob[], top: Blob[]): void {
    const math = currentDevice().math,
      n = bottom[0].count,
      x = bottom[0].gpuData(),
      y = top[0].mutableGpuData();
    if (this.innerScale === 1) math.exp(n, x, y);
    else {
      math.scale(n, this.innerScale, x, y);
      math.exp(n, y, y);
    }
    if (this.outerScale !== 1) math.scal(n, this.outerScale, y);
  }
  protected override backwardGpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const math = currentDevice().math,
      n = bottom[0].count,
      dx = bottom[0].mutableGpuDiff();
    math.mul(n, top[0].gpuData(), top[0].gpuDiff(), dx);
    if (this.innerScale !== 1) math.scal(n, this.innerScale, dx);
  }

  // Only the output is needed, so in-place use is exact.
  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const y = top[0].cpuData(),
      dy = top[0].cpuDiff(),
      dx = bottom[0].mutableCpuDiff(),
      a = this.innerScale;
    for (let i = 0; i < y.length; i++) {
      const g = Math.fround(y[i] * dy[i]);
      dx[i] = a === 1 ? g : g * a;
    }
  }
}

registerLayer('Exp', ExpLayer);
