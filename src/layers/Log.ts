// Log: y = log_base(shift + scale * x) (base -1 means e); dy/dx = scale / (ln(base) (shift + scale x)).
import { Blob } from '../core/blob';
import { backend } from '../backend';
import { registerLayer } from '../core/layer_factory';
import { currentDevice } from '../backend/mode';
import type { DevicePtr } from '../backend/device';
import { check, checkOp } from '../util/check';
import { NeuronLayer, neuronScratch } from './neuron';

export class LogLayer extends NeuronLayer {
  private baseScale = 1;
  private inputScale = 1;
  private inputShift = 0;
  private backwardNumScale = 1;
  /** the device's 1 / (shift + scale x) in backward (Caffe writes it into the bottom diff) */
  private readonly grad = new Blob();

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

  /** out = x * input_scale + input_shift on the device (copy, caffe_gpu_scal, caffe_gpu_add_scalar) */
  private affineGpu(n: number, x: DevicePtr, out: DevicePtr): void {
    const math = currentDevice().math;
    math.copy(n, x, out);
    if (this.inputScale !== 1) math.scal(n, this.inputScale, out);
    if (this.inputShift !== 0) math.addScalar(n, this.inputShift, out);
  }
  protected override forwardGpu(bottom: Blob[], top: Blob[]): void {
    const math = currentDevice().math,
      n = bottom[0].count,
      y = top[0].mutableGpuData();
    this.affineGpu(n, bottom[0].gpuData(), y);
    math.log(n, y, y);
    if (this.baseScale !== 1) math.scal(n, this.baseScale, y);
  }
  protected override backwardGpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const math = currentDevice().math,
      n = bottom[0].count;
    this.grad.reshapeLike(bottom[0]);
    const g = this.grad.mutableGpuData();
    this.affineGpu(n, bottom[0].gpuData(), g);
    math.powx(n, g, -1, g);
    if (this.backwardNumScale !== 1) math.scal(n, this.backwardNumScale, g);
    math.mul(n, top[0].gpuDiff(), g, bottom[0].mutableGpuDiff());
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
