// SoftmaxWithLoss: multinomial logistic loss of the softmax of bottom[0] along softmax_param.axis,
// against integer labels bottom[1] (one per outer x inner position):
//   loss = -sum log(max(p[label], FLT_MIN)) / normalizer        (ignore_label positions skipped)
// The gradient is (p - onehot(label)) * loss_weight / normalizer, zero at ignored positions.
// Optional top[1] = the probabilities (shares the internal softmax output).
import { Blob } from '../core/blob';
import { currentDevice } from '../backend/mode';
import { Layer, LossLayer } from '../core/layer';
import { createLayer, registerLayer } from '../core/layer_factory';
import {
  FLT_MIN,
  NormalizationMode,
  getNormalizer,
  ignoreLabel,
  labelBackpropError,
  lossReshape,
  normalizationMode,
  forEachLabel,
  labelledLossBackward,
  checkLabelCount,
  DeviceLossScratch,
} from './loss';
import './Softmax'; // registers the inner Softmax type

export class SoftmaxWithLossLayer extends LossLayer {
  private softmax!: Layer;
  private prob = new Blob();
  private ignore: number | undefined;
  private normalization: NormalizationMode = 'VALID';
  private axis = 1;
  private outer = 0;
  private inner = 0;
  private readonly deviceScratch = new DeviceLossScratch();

  override layerSetUp(bottom: Blob[], top: Blob[]): void {
    super.layerSetUp(bottom, top);
    // The internal softmax gets this layer's softmax_param only (no loss weights of its own).
    this.softmax = createLayer({
      // through the factory, which logs "Creating layer" as Caffe's does
      name: this.name,
      type: 'Softmax',
      phase: this.phase,
      ...(this.layerParam.softmax_param !== undefined ? { softmax_param: this.layerParam.softmax_param } : {}),
    });
    this.softmax.setUp([bottom[0]], [this.prob]);
    this.ignore = ignoreLabel(this);
    this.normalization = normalizationMode(this, 'VALID');
  }

  reshape(bottom: Blob[], top: Blob[]): void {
    lossReshape(this, bottom, top);
    this.softmax.reshape([bottom[0]], [this.prob]);
    this.axis = bottom[0].canonicalAxisIndex(this.param('softmax_param').axis);
    this.outer = bottom[0].countRange(0, this.axis);
    this.inner = bottom[0].countRange(this.axis + 1);
    checkLabelCount(this, 'softmax', this.outer, this.inner, bottom[1].count);
    if (top.length >= 2) top[1].reshapeLike(bottom[0]);
  }

  override exactNumTopBlobs(): number {
    return -1;
  }
  override minTopBlobs(): number {
    return 1;
  }
  override maxTopBlobs(): number {
    return 2;
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    this.softmax.forward([bottom[0]], [this.prob]);
    const p = this.prob.cpuData(),
      label = bottom[1].cpuData();
    const C = bottom[0].shape[this.axis],
      inner = this.inner,
      dim = C * inner;
    let loss = 0,
      count = 0;
    forEachLabel(this, label, this.outer, inner, C, this.ignore, (i, j, l) => {
      // float, as Caffe
      loss = Math.fround(loss - Math.fround(Math.log(Math.max(p[i * dim + l * inner + j], FLT_MIN))));
      count++;
    });
    top[0].mutableCpuData()[0] = loss / getNormalizer(this, this.normalization, this.outer, inner, count);
    if (top.length === 2) top[1].shareData(this.prob);
  }

  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (propagateDown[1]) throw labelBackpropError(this);
    if (!propagateDown[0]) return;
    const dx = bottom[0].mutableCpuDiff(),
      label = bottom[1].cpuData();
    dx.set(this.prob.cpuData());
    const C = bottom[0].shape[this.axis],
      inner = this.inner,
      dim = C * inner;
    labelledLossBackward(this, this.normalization, top[0], label, this.outer, inner, C, this.ignore, dx, (i, j, l) => {
      dx[i * dim + l * inner + j] -= 1;
    });
  }

  protected override forwardGpu(bottom: Blob[], top: Blob[]): void {
    this.softmax.forward([bottom[0]], [this.prob]);
    // labels current on the host (from a data layer) are checked there, with no transfer; labels a
    // device kernel made are read unchecked, as Caffe's GPU kernel reads them
    if (bottom[1].dataMemory.head !== 'HEAD_AT_DEVICE') {
      const C = bottom[0].shape[this.axis];
      forEachLabel(this, bottom[1].cpuData(), this.outer, this.inner, C, this.ignore, () => {});
    }
    const C = bottom[0].shape[this.axis];
    const norm =
      this.normalization === 'VALID' ? 'VALID' : getNormalizer(this, this.normalization, this.outer, this.inner, 0);
    const k = currentDevice().kernels;
    k.softmaxLossForward(
      this.outer,
      C,
      this.inner,
      this.prob.gpuData(),
      bottom[1].gpuData(),
      this.ignore ?? null,
      norm,
      this.deviceScratch.get(this.outer * this.inner),
      top[0].mutableGpuData(),
    );
    if (top.length === 2) top[1].shareData(this.prob);
  }

  protected override backwardGpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (propagateDown[1]) throw labelBackpropError(this);
    if (!propagateDown[0]) return;
    const C = bottom[0].shape[this.axis];
    const lossWeight = top[0].cpuDiff()[0]; // set once at set-up: synced, no transfer
    currentDevice().kernels.softmaxLossBackward(
      this.outer,
      C,
      this.inner,
      this.prob.gpuData(),
      bottom[1].gpuData(),
      this.ignore ?? null,
      lossWeight,
      this.deviceScratch.get(this.outer * this.inner),
      bottom[0].mutableGpuDiff(),
    );
  }
}

registerLayer('SoftmaxWithLoss', SoftmaxWithLossLayer);
