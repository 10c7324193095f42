// Embed: a lookup table. Each bottom value is an integer index in [0, input_dim); the top gets one
// row of the input_dim x num_output weight matrix per bottom element (top shape = bottom shape +
// [num_output]), plus the bias when bias_term. Backward accumulates each top row into the weight
// row it came from (and into the bias); the indices receive no gradient.
import { Blob } from '../core/blob';
import { Layer } from '../core/layer';
import { registerLayer } from '../core/layer_factory';
import { currentDevice } from '../backend/mode';
import { layerError } from './layer_check';
import { checkOp } from '../util/check';
import { setUpWeightAndBias } from './param_blobs';

export class EmbedLayer extends Layer {
  private M = 0;
  private K = 0;
  private N = 0;
  private biasTerm = true;
  /** M ones on the device, for the bias gradient (Caffe's bias_multiplier_) */
  private readonly devOnes = new Blob();

  override layerSetUp(): void {
    const p = this.rawParam('embed_param');
    this.N = this.param('embed_param').num_output;
    checkOp(this, this.N, '>', 0, 'N_ > 0', 'EmbedLayer num_output must be positive.');
    this.K = this.param('embed_param').input_dim;
    checkOp(this, this.K, '>', 0, 'K_ > 0', 'EmbedLayer input_dim must be positive.');
    this.biasTerm = this.param('embed_param').bias_term;
    // weight K x N: transposed from InnerProduct so that a lookup reads one contiguous row
    setUpWeightAndBias(this, p, [this.K, this.N], this.biasTerm ? [this.N] : undefined);
  }

  reshape(bottom: Blob[], top: Blob[]): void {
    this.M = bottom[0].count;
    top[0].reshape([...bottom[0].shape, this.N]);
  }

  /** The weight row of bottom element n, checked as Caffe's debug build does. */
  private index(x: Float32Array, n: number): number {
    const v = x[n],
      i = Math.trunc(v);
    if (!(i >= 0 && i < this.K) || i !== v) {
      throw layerError(
        this,
        `embedding index ${v} at position ${n} is not an integer in [0, ${this.K}) (input_dim ${this.K})`,
      );
    }
    return i;
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    const x = bottom[0].cpuData(),
      w = this.blobs[0].cpuData(),
      y = top[0].mutableCpuData(),
      N = this.N;
    for (let n = 0; n < this.M; n++) {
      const r = this.index(x, n) * N;
      y.set(w.subarray(r, r + N), n * N);
    }
    if (this.biasTerm) {
      const b = this.blobs[1].cpuData();
      for (let n = 0, o = 0; n < this.M; n++, o += N) for (let j = 0; j < N; j++) y[o + j] += b[j];
    }
  }

  // indices current on the host (from a data layer) are checked there, with no transfer; indices a
  // device kernel made are read unchecked, as Caffe's GPU kernel reads them
  private checkIndicesOnHost(x: Blob): void {
    if (x.dataMemory.head === 'HEAD_AT_DEVICE') return;
    const v = x.cpuData();
    for (let n = 0; n < this.M; n++) this.index(v, n);
  }

  protected override forwardGpu(bottom: Blob[], top: Blob[]): void {
    this.checkIndicesOnHost(bottom[0]);
    const bias = this.biasTerm ? this.blobs[1].gpuData() : null;
    const k = currentDevice().kernels;
    k.embedForward(this.M, this.N, bottom[0].gpuData(), this.blobs[0].gpuData(), bias, top[0].mutableGpuData());
  }

  protected override backwardGpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (propagateDown[0]) throw layerError(this, "Can't backpropagate to EmbedLayer input.");
    const dy = top[0].gpuDiff();
    if (this.paramPropagate(0)) {
      currentDevice().kernels.embedBackward(this.M, this.N, bottom[0].gpuData(), dy, this.blobs[0].mutableGpuDiff());
    }
    if (this.biasTerm && this.paramPropagate(1)) {
      if (this.devOnes.count !== this.M) {
        this.devOnes.reshape([this.M]);
        this.devOnes.mutableCpuData().fill(1);
      }
      const db = this.blobs[1].mutableGpuDiff();
      currentDevice().math.gemv(true, this.M, this.N, 1, dy, this.devOnes.gpuData(), 1, db);
    }
  }

  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (propagateDown[0]) throw layerError(this, "Can't backpropagate to EmbedLayer input.");
    const dy = top[0].cpuDiff(),
      N = this.N;
    if (this.paramPropagate(0)) {
      const x = bottom[0].cpuData(),
        dw = this.blobs[0].mutableCpuDiff();
      for (let n = 0, o = 0; n < this.M; n++, o += N) {
        const r = this.index(x, n) * N;
        for (let j = 0; j < N; j++) dw[r + j] += dy[o + j];
      }
    }
    if (this.biasTerm && this.paramPropagate(1)) {
      const db = this.blobs[1].mutableCpuDiff();
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let n = 0; n < this.M; n++) s += dy[n * N + j];
        db[j] += s;
      }
    }
  }

  override exactNumBottomBlobs(): number {
    return 1;
  }
  override exactNumTopBlobs(): number {
    return 1;
  }
}

registerLayer('Embed', EmbedLayer);
