// SigmoidCrossEntropyLoss: cross-entropy between sigmoid(x) and targets t in [0, 1], element-wise:
//   loss = -sum [ x (t - [x >= 0]) - log(1 + exp(x - 2 x [x >= 0])) ] / normalizer
// (the overflow-free form of -t log(p) - (1 - t) log(1 - p)). Elements whose target truncates to
// ignore_label are skipped. Gradient: (sigmoid(x) - t) * loss_weight / normalizer, 0 where ignored.
// Normalisation: loss_param.normalization if set, else the deprecated `normalize`
// (true = VALID, false = BATCH_SIZE), else BATCH_SIZE (this layer's historical default).
import { Blob } from '../core/blob';
import { LossLayer } from '../core/layer';
import { registerLayer } from '../core/layer_factory';
import { fatal } from '../util/check';
import { currentDevice } from '../backend/mode';
import {
  DeviceLossScratch,
  NormalizationMode,
  getNormalizer,
  ignoreLabel,
  labelBackpropError,
  lossReshape,
  normalizationMode,
} from './loss';

export class SigmoidCrossEntropyLossLayer extends LossLayer {
  /** sigmoid(bottom[0]), as Caffe's internal Sigmoid layer output */
  private sigmoid = new Blob();
  private ignore: number | undefined;
  private normalization: NormalizationMode = 'BATCH_SIZE';
  private normalizer = 1;
  private outer = 0;
  private inner = 0;
  private readonly deviceScratch = new DeviceLossScratch();

  override layerSetUp(bottom: Blob[], top: Blob[]): void {
    super.layerSetUp(bottom, top);
    this.ignore = ignoreLabel(this);
    this.normalization = normalizationMode(this, 'BATCH_SIZE');
  }

  reshape(bottom: Blob[], top: Blob[]): void {
    lossReshape(this, bottom, top);
    this.outer = bottom[0].shape[0];
    this.inner = bottom[0].countRange(1);
    if (bottom[0].count !== bottom[1].count)
      fatal(
        this,
        `SIGMOID_CROSS_ENTROPY_LOSS layer inputs must have the same count. (${bottom[0].count} vs. ${bottom[1].count})`,
      );
    this.sigmoid.reshapeLike(bottom[0]);
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    const x = bottom[0].cpuData(),
      t = bottom[1].cpuData(),
      s = this.sigmoid.mutableCpuData();
    for (let i = 0; i < x.length; i++) s[i] = 0.5 * Math.tanh(0.5 * x[i]) + 0.5;
    let loss = 0,
      valid = 0;
    for (let i = 0; i < x.length; i++) {
      if (this.ignore !== undefined && Math.trunc(t[i]) === this.ignore) continue;
      const v = x[i],
        pos = v >= 0 ? 1 : 0;
      loss -= v * (t[i] - pos) - Math.log(1 + Math.exp(v - 2 * v * pos));
      valid++;
    }
    this.normalizer = getNormalizer(this, this.normalization, this.outer, this.inner, valid);
    top[0].mutableCpuData()[0] = loss / this.normalizer;
  }

  // On the device, as Caffe's Forward_gpu, except that the sum and the normalizer stay there
  protected override forwardGpu(bottom: Blob[], top: Blob[]): void {
    const n = bottom[0].count;
    const norm =
      this.normalization === 'VALID' ? 'VALID' : getNormalizer(this, this.normalization, this.outer, this.inner, 0);
    const x = bottom[0].gpuData(),
      t = bottom[1].gpuData(),
      ignore = this.ignore ?? null;
    const k = currentDevice().kernels;
    k.sigmoidCrossEntropyLossForward(n, x, t, ignore, norm, this.deviceScratch.get(n), top[0].mutableGpuData());
  }

  protected override backwardGpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (propagateDown[1]) throw labelBackpropError(this);
    if (!propagateDown[0]) return;
    const n = bottom[0].count,
      lossWeight = top[0].cpuDiff()[0], // set once at set-up: synced, no transfer
      scratch = this.deviceScratch.get(n);
    const k = currentDevice().kernels;
    k.sigmoidCrossEntropyLossBackward(
      n,
      bottom[0].gpuData(),
      bottom[1].gpuData(),
      this.ignore ?? null,
      lossWeight,
      scratch,
      bottom[0].mutableGpuDiff(),
    );
  }

  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (propagateDown[1]) throw labelBackpropError(this);
    if (!propagateDown[0]) return;
    const s = this.sigmoid.cpuData(),
      t = bottom[1].cpuData(),
      dx = bottom[0].mutableCpuDiff();
    const scale = Math.fround(top[0].cpuDiff()[0] / this.normalizer); // floats, as Caffe's caffe_sub then caffe_scal
    for (let i = 0; i < dx.length; i++) {
      const ignored = this.ignore !== undefined && Math.trunc(t[i]) === this.ignore;
      dx[i] = ignored ? 0 : Math.fround(s[i] - t[i]) * scale;
    }
  }
}

registerLayer('SigmoidCrossEntropyLoss', SigmoidCrossEntropyLossLayer);
