// Dropout: in TRAIN each unit is kept with probability 1 - dropout_ratio (Caffe's mask:
// caffe_rng_bernoulli(count, 1. - threshold_) from the global generator, a bernoulli_distribution<double>)
// and scaled by 1 / (1 - dropout_ratio), as x * mask * scale; in TEST it is the identity. The backward
// applies the same mask and scale. In GPU mode the mask is drawn on the host from the same generator, so
// CPU and GPU runs drop the same units, and uploaded each TRAIN forward (one upload per iteration,
// where Caffe draws on the device); the scaling runs on the device.
import { Blob } from '../core/blob';
import { registerLayer } from '../core/layer_factory';
import { caffeRngBernoulli } from '../core/rng';
import { check } from '../util/check';
import { NeuronLayer } from './neuron';
import { currentDevice } from '../backend/mode';

export class DropoutLayer extends NeuronLayer {
  private ratio = 0.5;
  private scale = 2;
  /** 1 where the unit was kept in the last TRAIN forward */
  private mask = new Uint8Array(0);
  /** the mask as floats, for the device */
  private maskBlob = new Blob();

  override layerSetUp(): void {
    this.ratio = Math.fround(this.param('dropout_param').dropout_ratio);
    // Caffe's DCHECKs, made CHECKs: a ratio of 1 or more would scale by infinity (or flip signs)
    check(this, this.ratio > 0, 'threshold_ > 0.');
    check(this, this.ratio < 1, 'threshold_ < 1.');
    this.scale = Math.fround(1 / (1 - this.ratio));
  }

  override reshape(bottom: Blob[], top: Blob[]): void {
    super.reshape(bottom, top);
    if (this.mask.length < bottom[0].count) this.mask = new Uint8Array(bottom[0].count);
  }

  /** The keep-mask of the last TRAIN forward (1 = kept), `count` entries. */
  get lastMask(): Uint8Array {
    return this.mask;
  }

  /** Draws the keep-mask of n units from the global generator, with p = 1 - threshold_ in double. */
  private drawMask(n: number): Uint8Array {
    caffeRngBernoulli(n, 1 - this.ratio, this.mask, false, this);
    return this.mask;
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    const x = bottom[0].cpuData(),
      y = top[0].mutableCpuData();
    if (this.phase === 'TRAIN') {
      const m = this.drawMask(x.length),
        s = this.scale;
      for (let i = 0; i < x.length; i++) y[i] = x[i] * m[i] * s; // a dropped negative unit is -0, as Caffe's
    } else if (top[0] !== bottom[0]) {
      y.set(x);
    }
  }

  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const dy = top[0].cpuDiff(),
      dx = bottom[0].mutableCpuDiff();
    if (this.phase === 'TRAIN') {
      const m = this.mask,
        s = this.scale;
      for (let i = 0; i < dy.length; i++) dx[i] = dy[i] * m[i] * s;
    } else if (top[0] !== bottom[0]) {
      dx.set(dy);
    }
  }

  protected override forwardGpu(bottom: Blob[], top: Blob[]): void {
    const dev = currentDevice(),
      n = bottom[0].count;
    if (this.phase === 'TRAIN') {
      const m = this.drawMask(n);
      if (this.maskBlob.count !== n) this.maskBlob.reshape([n]);
      const f = this.maskBlob.mutableCpuData();
      for (let i = 0; i < n; i++) f[i] = m[i];
      dev.kernels.dropout(n, bottom[0].gpuData(), this.maskBlob.gpuData(), this.scale, top[0].mutableGpuData());
    } else if (top[0] !== bottom[0]) {
      dev.math.copy(n, bottom[0].gpuData(), top[0].mutableGpuData());
    }
  }

  protected override backwardGpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const dev = currentDevice(),
      n = bottom[0].count;
    if (this.phase === 'TRAIN')
      dev.kernels.dropout(n, top[0].gpuDiff(), this.maskBlob.gpuData(), this.scale, bottom[0].mutableGpuDiff());
    else if (top[0] !== bottom[0]) dev.math.copy(n, top[0].gpuDiff(), bottom[0].mutableGpuDiff());
  }
}

registerLayer('Dropout', DropoutLayer);
