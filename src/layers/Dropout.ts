// Dropout: in TRAIN each unit is kept with probability 1 - dropout_ratio (a Bernoulli mask drawn from
// the global rng()) and scaled by 1 / (1 - dropout_ratio); in TEST it is the identity. The backward
// applies the same mask and scale.
import { Blob } from '../core/blob';
import { registerLayer } from '../core/layer_factory';
import { rng } from '../core/rng';
import { check } from '../util/check';
import { NeuronLayer } from './neuron';

export class DropoutLayer extends NeuronLayer {
  private ratio = 0.5;
  private scale = 2;
  /** 1 where the unit was kept in the last TRAIN forward */
  private mask = new Uint8Array(0);

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

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    const x = bottom[0].cpuData(),
      y = top[0].mutableCpuData();
    if (this.phase === 'TRAIN') {
      const r = rng(),
        keep = 1 - this.ratio,
        m = this.mask,
        s = this.scale;
      for (let i = 0; i < x.length; i++) {
        m[i] = r.bernoulli(keep);
        y[i] = m[i] ? x[i] * s : 0;
      }
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
      for (let i = 0; i < dy.length; i++) dx[i] = m[i] ? dy[i] * s : 0;
    } else if (top[0] !== bottom[0]) {
      dx.set(dy);
    }
  }
}

registerLayer('Dropout', DropoutLayer);
