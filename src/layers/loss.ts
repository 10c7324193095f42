// Shared logic of the loss layers (Caffe's LossLayer plus the normalisation every label-based loss
// repeats): the scalar-top reshape with its first-dimension check, LossParameter's normalisation
// mode and normaliser, label reading and validation, and user-error helpers.
import { Blob } from '../core/blob';
import { Layer } from '../core/layer';
import type { LossParameter } from '../proto/caffe';
import type { LossScratch } from '../backend/device';
import { fatal } from '../util/check';
import { CaffeError } from '../util/errors';
import { layerError } from './layer_check';
import { backend } from '../backend';

export { layerError };

/** LossParameter.NormalizationMode by name. */
export type NormalizationMode = 'FULL' | 'VALID' | 'BATCH_SIZE' | 'NONE';

/** `FLT_MIN`: the smallest positive normal float, the floor SoftmaxWithLoss puts under probabilities. */
export const FLT_MIN = 1.1754943508222875e-38;
/** Caffe's kLOG_THRESHOLD (1e-20 as a float): the floor used by InfogainLoss before its log. */
export const LOG_THRESHOLD = Math.fround(1e-20);

/** Caffe's LossLayer::Reshape: data and label share their first dimension; the loss is a 0-axis blob. */
export function lossReshape(layer: Layer, bottom: Blob[], top: Blob[]): void {
  const n0 = bottom[0].shape[0],
    n1 = bottom[1].shape[0];
  if (!(bottom[0].numAxes > 0 && bottom[1].numAxes > 0 && n0 === n1))
    fatal(layer, `The data and label should have the same first dimension. (${n0} vs. ${n1})`);
  top[0].reshape([]);
}

/** Caffe's CHECK_EQ(outer_num_ * inner_num_, bottom[1]->count()): one label per prediction position.
 *  `axisName` is the word Caffe's message uses for the class axis (label, softmax, infogain). */
export function checkLabelCount(
  layer: Layer,
  axisName: string,
  outer: number,
  inner: number,
  labelCount: number,
): void {
  if (outer * inner !== labelCount)
    fatal(
      layer,
      `Number of labels must match number of predictions; e.g., if ${axisName} axis == 1 and prediction shape ` +
        'is (N, C, H, W), label count (number of labels) must be N*H*W, with integer values in {0, 1, ..., C-1}. ' +
        `(${outer * inner} vs. ${labelCount})`,
    );
}

/** The LossParameter of a layer (possibly empty). */
export function lossParam(layer: Layer): LossParameter {
  return layer.layerParam.loss_param ?? {};
}

/**
 * The normalisation mode a loss layer uses: `normalization` when set; otherwise the deprecated
 * `normalize` when set (true = VALID, false = BATCH_SIZE); otherwise `fallback` — the proto
 * default VALID for SoftmaxWithLoss, BATCH_SIZE for SigmoidCrossEntropyLoss (historical).
 */
export function normalizationMode(layer: Layer, fallback: NormalizationMode = 'VALID'): NormalizationMode {
  const lp = lossParam(layer);
  if (lp.normalization !== undefined) return lp.normalization as NormalizationMode;
  if (lp.normalize !== undefined) return lp.normalize ? 'VALID' : 'BATCH_SIZE';
  return fallback;
}

/**
 * Caffe's get_normalizer: FULL = outer*inner, VALID = the count of non-ignored labels (outer*inner
 * when validCount is -1), BATCH_SIZE = outer, NONE = 1; never below 1, so a batch with every label
 * ignored gives a zero loss rather than NaN.
 */
export function getNormalizer(
  layer: Layer,
  mode: NormalizationMode,
  outer: number,
  inner: number,
  validCount: number,
): number {
  let n: number;
  switch (mode) {
    case 'FULL':
      n = outer * inner;
      break;
    case 'VALID':
      n = validCount === -1 ? outer * inner : validCount;
      break;
    case 'BATCH_SIZE':
      n = outer;
      break;
    case 'NONE':
      n = 1;
      break;
    default:
      throw layerError(layer, `Unknown normalization mode: ${String(mode)}`);
  }
  return Math.max(1, n);
}

/** The ignore_label of loss_param (or of another message given), or undefined when unset. */
export function ignoreLabel(layer: Layer, m: { ignore_label?: number } = lossParam(layer)): number | undefined {
  return m.ignore_label !== undefined ? Number(m.ignore_label) : undefined;
}

/**
 * A label value as the integer Caffe reads with static_cast<int>; a non-integral (or non-finite)
 * label is a data error and throws.
 */
export function labelValue(layer: Layer, v: number, index: number): number {
  if (!Number.isInteger(v)) {
    throw layerError(layer, `label ${index} is ${v}; labels must be integers`);
  }
  return v;
}

/** Caffe's DCHECK_GE(label, 0) / DCHECK_LT(label, C): a label indexes one of `numClasses` classes. */
export function checkLabelRange(layer: Layer, label: number, numClasses: number, index: number): void {
  if (label < 0 || label >= numClasses) {
    throw layerError(
      layer,
      `label ${index} is ${label}; labels must be integer values in {0, 1, ..., ${numClasses - 1}}` +
        ` (or the ignore_label)`,
    );
  }
}

/** The message Caffe writes when asked for a gradient w.r.t. labels. */
export function labelBackpropError(layer: Layer, what = 'label'): CaffeError {
  return new CaffeError(`${layer.type} Layer ${layer.name} cannot backpropagate to ${what} inputs.`);
}

/** Caffe's NOT_IMPLEMENTED for layers without a backward pass. */
export function notImplemented(layer: Layer): CaffeError {
  return new CaffeError(`${layer.type} Layer ${layer.name}: Not Implemented Yet (no backward pass)`);
}

/**
 * Visits every (outer i, inner j) position whose label is not `ignore`, after Caffe's label checks:
 * fn(i, j, label). Labels live at i * inner + j; scores of class c at (i * C + c) * inner + j.
 */
export function forEachLabel(
  layer: Layer,
  label: Float32Array,
  outer: number,
  inner: number,
  numClasses: number,
  ignore: number | undefined,
  fn: (i: number, j: number, l: number) => void,
): void {
  for (let i = 0; i < outer; i++) {
    for (let j = 0; j < inner; j++) {
      const li = i * inner + j;
      const l = labelValue(layer, label[li], li);
      if (ignore !== undefined && l === ignore) continue;
      checkLabelRange(layer, l, numClasses, li);
      fn(i, j, l);
    }
  }
}

/**
 * The backward of a loss over class scores (SoftmaxWithLoss, InfogainLoss): fn(i, j, label) writes the
 * gradient at each labelled position, ignored positions get zeros over all C classes; then the whole
 * diff is scaled by top_diff / normalizer (in float, caffe_scal), the normalizer counting the labelled
 * positions.
 */
export function labelledLossBackward(
  layer: Layer,
  mode: NormalizationMode,
  top: Blob,
  label: Float32Array,
  outer: number,
  inner: number,
  C: number,
  ignore: number | undefined,
  dx: Float32Array,
  fn: (i: number, j: number, l: number) => void,
): void {
  const dim = C * inner;
  let count = 0;
  for (let i = 0; i < outer; i++) {
    for (let j = 0; j < inner; j++) {
      const l = label[i * inner + j];
      if (ignore !== undefined && l === ignore) {
        for (let c = 0; c < C; c++) dx[i * dim + c * inner + j] = 0;
      } else {
        fn(i, j, l);
        count++;
      }
    }
  }
  backend().scal(Math.fround(top.cpuDiff()[0] / getNormalizer(layer, mode, outer, inner, count)), dx);
}

/** A loss layer's device buffers (Caffe's loss_data / counts): per-position loss and count, and the
 *  normalizer its forward found, kept for backward. */
export class DeviceLossScratch {
  private readonly loss = new Blob();
  private readonly count = new Blob();
  private readonly norm = new Blob([1]);

  /** The buffers for `n` positions, on the current device. */
  get(n: number): LossScratch {
    if (this.loss.count !== n) {
      this.loss.reshape([n]);
      this.count.reshape([n]);
    }
    return { loss: this.loss.mutableGpuData(), count: this.count.mutableGpuData(), norm: this.norm.mutableGpuData() };
  }
}
