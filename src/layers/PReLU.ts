// PReLU: y = max(x, 0) + a_c min(x, 0) with a learned slope a_c per channel (axis 1), or one slope for
// all channels with channel_shared. Slopes default to 0.25. dy/dx = 1 for x > 0, a_c otherwise;
// da_c += sum over the channel of dy * x where x <= 0. In place, the input is saved in the forward
// (the backward needs x, not y).
import { Blob } from '../core/blob';
import { registerLayer } from '../core/layer_factory';
import { fillBlob } from '../core/filler';
import { log } from '../util/logging';
import { layerError } from './layer_check';
import { checkOp } from '../util/check';
import { NeuronLayer } from './neuron';
import { currentDevice } from '../backend/mode';

export class PReLULayer extends NeuronLayer {
  private channelShared = false;
  private channels = 0;
  /** copy of the bottom data for in-place use */
  private bottomMemory = new Blob();
  /** GPU: the terms dy x (x <= 0) of the slope gradient, summed per channel (Caffe's backward_buff_) */
  private slopeTerms = new Blob();

  private checkAxes(bottom: Blob): void {
    checkOp(this, bottom.numAxes, '>=', 2, 'bottom[0]->num_axes() >= 2', 'Number of axes of bottom blob must be >=2.');
  }

  override layerSetUp(bottom: Blob[]): void {
    this.checkAxes(bottom[0]);
    const pp = this.rawParam('prelu_param');
    this.channels = bottom[0].shape[1];
    this.channelShared = this.param('prelu_param').channel_shared;
    if (this.blobs.length > 0) {
      log.info('Skipping parameter initialization');
    } else {
      const slope = new Blob();
      slope.reshape(this.channelShared ? [] : [this.channels]); // a scalar blob when shared
      fillBlob(slope, pp.filler ?? { type: 'constant', value: 0.25 }, this);
      this.blobs = [slope];
    }
    checkOp(
      this,
      this.blobs[0].count,
      '==',
      this.channelShared ? 1 : this.channels,
      this.channelShared ? 'this->blobs_[0]->count() == 1' : 'this->blobs_[0]->count() == channels',
      'Negative slope size is inconsistent with prototxt config',
    );
    this.paramPropagateDown = this.blobs.map(() => true);
  }

  override reshape(bottom: Blob[], top: Blob[]): void {
    this.checkAxes(bottom[0]);
    if (!this.channelShared && bottom[0].shape[1] !== this.channels) {
      // Caffe would index past the slopes
      throw layerError(this, `bottom has ${bottom[0].shape[1]} channels, the slopes were set up for ${this.channels}`);
    }
    super.reshape(bottom, top);
    if (top[0] === bottom[0]) this.bottomMemory.reshapeLike(bottom[0]);
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    const x = bottom[0].cpuData(),
      y = top[0].mutableCpuData(),
      a = this.blobs[0].cpuData();
    if (top[0] === bottom[0]) this.bottomMemory.mutableCpuData().set(x);
    const C = bottom[0].shape[1],
      dim = bottom[0].countRange(2),
      N = bottom[0].shape[0];
    let i = 0;
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < C; c++) {
        const s = a[this.channelShared ? 0 : c];
        for (let k = 0; k < dim; k++, i++) {
          const v = x[i];
          y[i] = v > 0 ? v : s * v;
        } // = max(v,0) + s min(v,0), NaN and -0 alike
      }
    }
  }

  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    const inPlace = top[0] === bottom[0];
    const x = inPlace ? this.bottomMemory.cpuData() : bottom[0].cpuData();
    const dy = top[0].cpuDiff(),
      a = this.blobs[0].cpuData();
    const C = bottom[0].shape[1],
      dim = bottom[0].countRange(2),
      N = bottom[0].shape[0];
    // slopes first: in place, writing the bottom diff overwrites the top diff
    if (this.paramPropagate(0)) {
      const da = this.blobs[0].mutableCpuDiff();
      let i = 0;
      for (let n = 0; n < N; n++) {
        for (let c = 0; c < C; c++) {
          const j = this.channelShared ? 0 : c; // Caffe adds element by element, in float
          for (let k = 0; k < dim; k++, i++) if (x[i] <= 0) da[j] += Math.fround(dy[i] * x[i]);
        }
      }
    }
    if (propagateDown[0]) {
      const dx = bottom[0].mutableCpuDiff();
      let i = 0;
      for (let n = 0; n < N; n++) {
        for (let c = 0; c < C; c++) {
          const s = a[this.channelShared ? 0 : c];
          for (let k = 0; k < dim; k++, i++) dx[i] = x[i] > 0 ? dy[i] : dy[i] * s;
        }
      }
    }
  }

  /** channels and dim of the slope index (i / dim) % channels: one channel when shared */
  private slopeGeometry(b: Blob): [number, number] {
    return [this.channelShared ? 1 : b.shape[1], b.countRange(2)];
  }

  protected override forwardGpu(bottom: Blob[], top: Blob[]): void {
    const dev = currentDevice(),
      b = bottom[0],
      [C, dim] = this.slopeGeometry(b);
    if (top[0] === b) dev.math.copy(b.count, b.gpuData(), this.bottomMemory.mutableGpuData());
    dev.kernels.preluForward(b.count, C, dim, b.gpuData(), this.blobs[0].gpuData(), top[0].mutableGpuData());
  }

  protected override backwardGpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    const dev = currentDevice(),
      b = bottom[0],
      n = b.count,
      [C, dim] = this.slopeGeometry(b);
    const x = (top[0] === b ? this.bottomMemory : b).gpuData(),
      dy = top[0].gpuDiff();
    if (this.paramPropagate(0)) {
      if (this.slopeTerms.count !== n) this.slopeTerms.reshape([n]);
      const t = this.slopeTerms.mutableGpuData();
      dev.kernels.preluSlopeTerms(n, dy, x, t);
      // da[c] += sum over images and positions (one sum over everything when shared)
      const da = this.blobs[0].mutableGpuDiff();
      if (this.channelShared) dev.kernels.channelSum(1, 1, n, t, da);
      else dev.kernels.channelSum(b.shape[0], C, dim, t, da);
    }
    if (propagateDown[0]) dev.kernels.preluBackward(n, C, dim, dy, x, this.blobs[0].gpuData(), b.mutableGpuDiff());
  }
}

registerLayer('PReLU', PReLULayer);
