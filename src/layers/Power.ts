// Power: y = (shift + scale * x)^power, with Caffe's special cases:
//   - power * scale == 0: y is the constant (power == 0 ? 1 : shift^power) and dy/dx = 0;
//   - power == 1: dy/dx = scale;  power == 2: dy/dx = 2 scale (shift + scale x);
//   - shift == 0: dy/dx = power * y / x;  otherwise dy/dx = power * scale * y / (shift + scale x).
import { Blob } from '../core/blob';
import { backend } from '../backend';
import { registerLayer } from '../core/layer_factory';
import { currentDevice } from '../backend/mode';
import { NeuronLayer } from './neuron';

export class PowerLayer extends NeuronLayer {
  private power = 1;
  private scale = 1;
  private shift = 0;
  private diffScale = 1;
  /** the device's dy/dx in backward, multiplied by dy last (in place stays as on the CPU) */
  private readonly grad = new Blob();

  override layerSetUp(): void {
    this.power = Math.fround(this.param('power_param').power);
    this.scale = Math.fround(this.param('power_param').scale);
    this.shift = Math.fround(this.param('power_param').shift);
    this.diffScale = Math.fround(this.power * this.scale);
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    const y = top[0].mutableCpuData(),
      { power, scale, shift } = this;
    if (this.diffScale === 0) {
      // the input does not matter
      y.fill(power === 0 ? 1 : Math.pow(shift, power));
      return;
    }
    const x = bottom[0].cpuData(); // Caffe: copy, caffe_scal, caffe_add_scalar, caffe_powx (powf)
    for (let i = 0; i < x.length; i++) {
      let v = x[i];
      if (scale !== 1) v = Math.fround(v * scale);
      y[i] = shift !== 0 ? v + shift : v;
    }
    if (power !== 1) backend().powx(y, power, y);
  }

  // Caffe's Forward_gpu: set, or copy, caffe_gpu_scal, caffe_gpu_add_scalar, caffe_gpu_powx
  protected override forwardGpu(bottom: Blob[], top: Blob[]): void {
    const math = currentDevice().math,
      n = bottom[0].count,
      y = top[0].mutableGpuData(),
      { power, scale, shift } = this;
    if (this.diffScale === 0) {
      math.set(n, power === 0 ? 1 : Math.pow(shift, power), y);
      return;
    }
    math.copy(n, bottom[0].gpuData(), y);
    if (scale !== 1) math.scal(n, scale, y);
    if (shift !== 0) math.addScalar(n, shift, y);
    if (power !== 1) math.powx(n, y, power, y);
  }

  // Caffe's Backward_gpu: dy/dx by the cases above, then times dy
  protected override backwardGpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const math = currentDevice().math,
      n = bottom[0].count,
      { power, scale, shift, diffScale } = this;
    this.grad.reshapeLike(bottom[0]);
    const g = this.grad.mutableGpuData();
    if (diffScale === 0 || power === 1) math.set(n, diffScale, g);
    else if (power === 2) {
      math.axpby(n, Math.fround(diffScale * scale), bottom[0].gpuData(), 0, g);
      if (shift !== 0) math.addScalar(n, Math.fround(diffScale * shift), g);
    } else if (shift === 0) {
      math.div(n, top[0].gpuData(), bottom[0].gpuData(), g);
      math.scal(n, power, g);
    } else {
      math.copy(n, bottom[0].gpuData(), g);
      if (scale !== 1) math.scal(n, scale, g);
      math.addScalar(n, shift, g);
      math.div(n, top[0].gpuData(), g, g);
      if (diffScale !== 1) math.scal(n, diffScale, g);
    }
    math.mul(n, top[0].gpuDiff(), g, bottom[0].mutableGpuDiff());
  }

  // Reads bottom data (as Caffe does), so in-place use only gives a correct gradient where Caffe's does.
  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const dx = bottom[0].mutableCpuDiff(),
      dy = top[0].cpuDiff();
    const { power, scale, shift, diffScale } = this;
    if (diffScale === 0) {
      dx.fill(0);
      return;
    }
    if (power === 1) {
      for (let i = 0; i < dx.length; i++) dx[i] = diffScale * dy[i];
      return;
    }
    const x = bottom[0].cpuData();
    if (power === 2) {
      // 2 scale (shift + scale x) = diff_scale * scale * x + diff_scale * shift
      const a = Math.fround(diffScale * scale),
        b = Math.fround(diffScale * shift);
      for (let i = 0; i < dx.length; i++) dx[i] = dy[i] * Math.fround(Math.fround(a * x[i]) + b);
      return;
    }
    const y = top[0].cpuData();
    if (shift === 0) {
      // power * y / x
      for (let i = 0; i < dx.length; i++) dx[i] = dy[i] * Math.fround(power * Math.fround(y[i] / x[i]));
      return;
    }
    for (let i = 0; i < dx.length; i++) {
      // diff_scale * y / (shift + scale x)
      let v = x[i];
      if (scale !== 1) v = Math.fround(v * scale);
      v = Math.fround(v + shift);
      let g = Math.fround(y[i] / v);
      if (diffScale !== 1) g = Math.fround(g * diffScale);
      dx[i] = dy[i] * g;
    }
  }
}

registerLayer('Power', PowerLayer);
