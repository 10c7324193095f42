// Log: y = log_base(shift + scale * x) (base -1 means e); dy/dx = scale / (ln(base) (shift + scale x)).
import { Blob } from '../core/blob';
import { backend } from '../backend';
import { registerLayer } from '../core/layer_factory';
import { check, checkOp } from '../util/check';
import { NeuronLayer, neuronScratch } from './neuron';

export class LogLayer extends NeuronLayer {
  private baseScale = 1;
  private inputScale = 1;
  private inputShift = 0;
  private backwardNumScale = 1;

  override layerSetUp(): void {
    const base = Math.fround(this.param('log_param').base);
    if (base !== -1) checkOp(this, base, '>', 0, 'base > 0', 'base must be strictly positive.');
    const logBase = base === -1 ? 1 : Math.fround(Math.log(base));
    check(this, !Number.isNaN(logBase), '!isnan(log_base)', `NaN result: log(base) = log(${base}) = ${logBase}`);
    check(this, Number.isFinite(logBase), '!isinf(log_base)', `Inf result: log(base) = log(${base}) = ${logBase}`);
    this.baseScale = Math.fround(1 / logBase);
    check(
      this,
      !Number.isNaN(this.baseScale),
      '!isnan(base_scale_)',
      `NaN result: 1/log(base) = 1/log(${base}) = ${this.baseScale}`,
    );
    check(
      this,
      Number.isFinite(this.baseScale),
      '!isinf(base_scale_)',
      `Inf result: 1/log(base) = 1/log(${base}) = ${this.baseScale}`,
    );
    this.inputScale = Math.fround(this.param('log_param').scale);
    this.inputShift = Math.fround(this.param('log_param').shift);
    this.backwardNumScale = Math.fround(this.inputScale / logBase);
  }

  /** out = x * input_scale + input_shift, in float (caffe_scal, caffe_add_scalar) */
  private affine(x: Float32Array, out: Float32Array): void {
    const a = this.inputScale,
      s = this.inputShift;
    for (let i = 0; i < x.length; i++) {
      let v = x[i];
      if (a !== 1) v = Math.fround(v * a);
      out[i] = s !== 0 ? v + s : v;
    }
  }

  // Caffe: caffe_log (logf) of the affine input, then caffe_scal by 1 / ln(base)
  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    const x = bottom[0].cpuData(),
      y = top[0].mutableCpuData(),
      b = this.baseScale;
    this.affine(x, y);
    backend().log(y, y);
    if (b !== 1) for (let i = 0; i < y.length; i++) y[i] *= b;
  }

  // Reads bottom data (as Caffe does): in-place use gives a wrong gradient there too.
  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    // Caffe: caffe_powx(affine input, -1), caffe_scal by scale / ln(base), caffe_mul by the top diff
    const x = bottom[0].cpuData(),
      dy = top[0].cpuDiff(),
      dx = bottom[0].mutableCpuDiff(),
      s = this.backwardNumScale;
    const g = neuronScratch(x.length);
    this.affine(x, g);
    backend().powx(g, -1, g);
    for (let i = 0; i < x.length; i++) dx[i] = dy[i] * (s !== 1 ? Math.fround(g[i] * s) : g[i]);
  }
}

registerLayer('Log', LogLayer);
