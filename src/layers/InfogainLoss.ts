// InfogainLoss: a softmax (along infogain_loss_param.axis) followed by the information-gain loss
//   loss = -sum_{positions} sum_l H[label, l] log(max(p_l, 1e-20)) / normalizer
// with H a C x C matrix from infogain_loss_param.source (a BlobProto file) or from a third bottom.
// H = identity gives the multinomial logistic loss. Gradient w.r.t. the softmax input:
//   dx_l = (p_l * sum_m H[label, m] - H[label, l]) * loss_weight / normalizer  (0 where ignored).
// Optional top[1] = the probabilities. The deprecated loss_param.normalize is rejected.
import { Blob } from '../core/blob';
import { Layer, LossLayer } from '../core/layer';
import { createLayer, registerLayer } from '../core/layer_factory';
import { readBlobProtoFromFile } from '../io/proto_io';
import { fatal } from '../util/check';
import {
  LOG_THRESHOLD,
  NormalizationMode,
  getNormalizer,
  ignoreLabel,
  labelBackpropError,
  lossParam,
  lossReshape,
  forEachLabel,
  labelledLossBackward,
  checkLabelCount,
} from './loss';
import './Softmax'; // registers the inner Softmax type

export class InfogainLossLayer extends LossLayer {
  private softmax!: Layer;
  private prob = new Blob();
  /** H read from the source file (used when there is no third bottom) */
  private infogain = new Blob();
  private sumRowsH = new Float32Array(0);
  private ignore: number | undefined;
  private normalization: NormalizationMode = 'VALID';
  private axis = 1;
  private outer = 0;
  private inner = 0;
  private numLabels = 0;

  override layerSetUp(bottom: Blob[], top: Blob[]): void {
    super.layerSetUp(bottom, top);
    const axis = this.param('infogain_loss_param').axis;
    this.softmax = createLayer({
      // through the factory, which logs "Creating layer" as Caffe's does
      name: this.name,
      type: 'Softmax',
      phase: this.phase,
      softmax_param: { ...(this.layerParam.softmax_param ?? {}), axis },
    });
    this.softmax.setUp([bottom[0]], [this.prob]);
    this.ignore = ignoreLabel(this);
    if (lossParam(this).normalize !== undefined) fatal(this, 'normalize is deprecated. use "normalization"');
    this.normalization = this.param('loss_param').normalization;
    if (bottom.length < 3) {
      const source = this.layerParam.infogain_loss_param?.source;
      if (source === undefined) fatal(this, 'Infogain matrix source must be specified.');
      this.infogain.fromProto(readBlobProtoFromFile(source));
    }
  }

  reshape(bottom: Blob[], top: Blob[]): void {
    lossReshape(this, bottom, top);
    this.softmax.reshape([bottom[0]], [this.prob]);
    this.axis = bottom[0].canonicalAxisIndex(this.param('infogain_loss_param').axis);
    this.outer = bottom[0].countRange(0, this.axis);
    this.inner = bottom[0].countRange(this.axis + 1);
    checkLabelCount(this, 'infogain', this.outer, this.inner, bottom[1].count);
    this.numLabels = bottom[0].shape[this.axis];
    const H = bottom.length < 3 ? this.infogain : bottom[2];
    this.checkH(H);
    if (this.sumRowsH.length !== this.numLabels) this.sumRowsH = new Float32Array(this.numLabels);
    if (bottom.length === 2) this.sumRows(H); // a fixed H: its row sums are computed here once per reshape
    if (top.length >= 2) top[1].reshapeLike(bottom[0]);
  }

  // Neither the labels nor H can receive a gradient (Caffe would allow force_backward into H and
  // then abort in backward).
  override allowForceBackward(i: number): boolean {
    return i === 0;
  }
  override minBottomBlobs(): number {
    return 2;
  }
  override maxBottomBlobs(): number {
    return 3;
  }
  override exactNumBottomBlobs(): number {
    return -1;
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

  private checkH(H: Blob): void {
    const C = this.numLabels;
    if (H.count !== C * C) fatal(this, `H must be ${C}x${C} (${H.count} vs. ${C * C} elements)`);
  }

  private sumRows(H: Blob): void {
    this.checkH(H);
    const h = H.cpuData(),
      C = this.numLabels,
      s = this.sumRowsH;
    for (let r = 0; r < C; r++) {
      let acc = 0;
      for (let c = 0; c < C; c++) acc += h[r * C + c];
      s[r] = acc;
    }
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    this.softmax.forward([bottom[0]], [this.prob]);
    const p = this.prob.cpuData(),
      label = bottom[1].cpuData();
    const h = (bottom.length < 3 ? this.infogain : bottom[2]).cpuData();
    const C = this.numLabels,
      inner = this.inner,
      dim = C * inner;
    let loss = 0,
      count = 0;
    forEachLabel(this, label, this.outer, inner, C, this.ignore, (i, j, l) => {
      for (let c = 0; c < C; c++) {
        loss -= h[l * C + c] * Math.log(Math.max(p[i * dim + c * inner + j], LOG_THRESHOLD));
      }
      count++;
    });
    top[0].mutableCpuData()[0] = loss / getNormalizer(this, this.normalization, this.outer, inner, count);
    if (top.length === 2) top[1].shareData(this.prob);
  }

  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (propagateDown[1]) throw labelBackpropError(this);
    if (propagateDown.length > 2 && propagateDown[2]) throw labelBackpropError(this, 'infogain');
    if (!propagateDown[0]) return;
    let H = this.infogain;
    if (bottom.length >= 3) {
      H = bottom[2];
      this.sumRows(H);
    } // a bottom H may change: re-sum every time
    const p = this.prob.cpuData(),
      label = bottom[1].cpuData(),
      h = H.cpuData(),
      rows = this.sumRowsH;
    const dx = bottom[0].mutableCpuDiff();
    const C = this.numLabels,
      inner = this.inner,
      dim = C * inner;
    labelledLossBackward(this, this.normalization, top[0], label, this.outer, inner, C, this.ignore, dx, (i, j, l) => {
      for (let c = 0; c < C; c++) {
        const o = i * dim + c * inner + j;
        dx[o] = p[o] * rows[l] - h[l * C + c];
      }
    });
  }
}

registerLayer('InfogainLoss', InfogainLossLayer);
