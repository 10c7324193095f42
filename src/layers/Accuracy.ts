// Accuracy: the fraction of positions whose true label is among the top_k scores along `axis`.
// Ties count against the prediction: the true class is correct when fewer than top_k OTHER classes
// score >= its score (so with top_k 1, a tie for the maximum is a miss). Positions labelled
// ignore_label are skipped; with no counted position the accuracy is 0. Optional top[1]: the
// per-class accuracy (shape [C]; 0 for classes that never occur). No backward pass. On the device the
// outputs stay there until read (the logged scalars: one download each when logged).
import { Blob } from '../core/blob';
import { Layer } from '../core/layer';
import { registerLayer } from '../core/layer_factory';
import { fatal } from '../util/check';
import { DeviceLossScratch, ignoreLabel, notImplemented, forEachLabel, checkLabelCount } from './loss';
import { currentDevice } from '../backend/mode';

export class AccuracyLayer extends Layer {
  private topK = 1;
  private ignore: number | undefined;
  private axis = 1;
  private outer = 0;
  private inner = 0;
  /** per-class label counts (Caffe's nums_buffer_) */
  private nums = new Float32Array(0);
  /** GPU: per-position hits and counts, and the count's normalizer */
  private readonly deviceScratch = new DeviceLossScratch();

  override layerSetUp(): void {
    this.topK = this.param('accuracy_param').top_k;
    this.ignore = ignoreLabel(this, this.layerParam.accuracy_param ?? {});
  }

  reshape(bottom: Blob[], top: Blob[]): void {
    const classes = Math.floor(bottom[0].count / bottom[1].count);
    if (this.topK > classes)
      fatal(this, `top_k must be less than or equal to the number of classes. (${this.topK} vs. ${classes})`);
    this.axis = bottom[0].canonicalAxisIndex(this.param('accuracy_param').axis);
    this.outer = bottom[0].countRange(0, this.axis);
    this.inner = bottom[0].countRange(this.axis + 1);
    checkLabelCount(this, 'label', this.outer, this.inner, bottom[1].count);
    top[0].reshape([]);
    if (top.length > 1) {
      const C = bottom[0].shape[this.axis];
      top[1].reshape([C]);
      if (this.nums.length !== C) this.nums = new Float32Array(C);
    }
  }

  override exactNumBottomBlobs(): number {
    return 2;
  }
  override minTopBlobs(): number {
    return 1;
  }
  override maxTopBlobs(): number {
    return 2;
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    const x = bottom[0].cpuData(),
      label = bottom[1].cpuData();
    const C = bottom[0].shape[this.axis],
      inner = this.inner,
      dim = C * inner,
      topK = this.topK;
    const perClass = top.length > 1 ? top[1].mutableCpuData() : null;
    if (perClass) {
      perClass.fill(0);
      this.nums.fill(0);
    }
    let correct = 0,
      count = 0;
    forEachLabel(this, label, this.outer, inner, C, this.ignore, (i, j, l) => {
      if (perClass) this.nums[l]++;
      const trueScore = x[i * dim + l * inner + j];
      // the true class itself scores >= itself, hence the start at -1
      let better = -1;
      for (let k = 0; k < C && better < topK; k++) {
        if (x[i * dim + k * inner + j] >= trueScore) better++;
      }
      if (better < topK) {
        correct++;
        if (perClass) perClass[l]++;
      }
      count++;
    });
    top[0].mutableCpuData()[0] = count === 0 ? 0 : correct / count;
    if (perClass) {
      for (let c = 0; c < C; c++) perClass[c] = this.nums[c] === 0 ? 0 : perClass[c] / this.nums[c];
    }
  }

  protected override forwardGpu(bottom: Blob[], top: Blob[]): void {
    const C = bottom[0].shape[this.axis],
      n = this.outer * this.inner;
    // labels current on the host (from a data layer) are checked there, with no transfer
    if (bottom[1].dataMemory.head !== 'HEAD_AT_DEVICE')
      forEachLabel(this, bottom[1].cpuData(), this.outer, this.inner, C, this.ignore, () => {});
    const scratch = this.deviceScratch.get(n); // per-position hit in `loss`
    currentDevice().kernels.accuracy(
      this.outer,
      C,
      this.inner,
      bottom[0].gpuData(),
      bottom[1].gpuData(),
      this.topK,
      this.ignore ?? null,
      scratch,
      top[0].mutableGpuData(),
      top.length > 1 ? top[1].mutableGpuData() : null,
    );
  }

  protected override backwardCpu(_top: Blob[], propagateDown: boolean[]): void {
    if (propagateDown.some(Boolean)) throw notImplemented(this);
  }
}

registerLayer('Accuracy', AccuracyLayer);
