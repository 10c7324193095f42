// MultinomialLogisticLoss: the log loss of given class probabilities (e.g. a Softmax's top), one label
// per item of the batch (bottom[1] is N x 1 x 1 x 1):
//   loss = -sum_n log(max(p[n, label_n], kLOG_THRESHOLD)) / N        (N = bottom[0]->num())
// with kLOG_THRESHOLD = 1e-20; no ignore_label and no normalization modes (Caffe reads neither).
// Gradient w.r.t. the probabilities: dp[n, label_n] = -loss_weight / N / max(p[n, label_n], 1e-20),
// zero elsewhere. In float as Caffe: the loss accumulates -logf(p) (the backend's log), the gradient is
// (-top_diff / N) / p. Labels are checked (Caffe reads them unchecked).
import { Blob } from '../core/blob';
import { LossLayer } from '../core/layer';
import { registerLayer } from '../core/layer_factory';
import { checkOp } from '../util/check';
import { backend } from '../backend';
import { LOG_THRESHOLD, labelBackpropError, layerError, lossReshape } from './loss';

export class MultinomialLogisticLossLayer extends LossLayer {
  private num = 0;
  private dim = 0;
  /** the floored probability of each item's label, then its log (the C library's logf under CAFFE) */
  private logp = new Float32Array(0);

  reshape(bottom: Blob[], top: Blob[]): void {
    for (const [i, b] of bottom.entries()) {
      checkOp(
        this,
        b.numAxes,
        '<=',
        4,
        `bottom[${i}]->num_axes() <= 4`,
        'Cannot use legacy accessors on Blobs with > 4 axes.',
      );
    }
    lossReshape(this, bottom, top);
    checkOp(this, bottom[1].channels, '==', 1, 'bottom[1]->channels() == 1');
    checkOp(this, bottom[1].height, '==', 1, 'bottom[1]->height() == 1');
    checkOp(this, bottom[1].width, '==', 1, 'bottom[1]->width() == 1');
    this.num = bottom[0].num;
    this.dim = this.num > 0 ? bottom[0].count / this.num : 0;
    if (this.logp.length !== this.num) this.logp = new Float32Array(this.num);
  }

  /** Where item n's label points in the probabilities; the label must be an integer in [0, dim). */
  private at(label: Float32Array, n: number): number {
    const l = label[n];
    if (!(Number.isInteger(l) && l >= 0 && l < this.dim))
      throw layerError(this, `label ${n} is ${l}; labels must be integers in {0, 1, ..., ${this.dim - 1}}`);
    return n * this.dim + l;
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    const p = bottom[0].cpuData(),
      label = bottom[1].cpuData(),
      lp = this.logp;
    for (let n = 0; n < this.num; n++) lp[n] = Math.max(p[this.at(label, n)], LOG_THRESHOLD);
    backend().log(lp, lp);
    let loss = 0;
    for (let n = 0; n < this.num; n++) loss = Math.fround(loss - lp[n]);
    top[0].mutableCpuData()[0] = loss / this.num;
  }

  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (propagateDown[1]) throw labelBackpropError(this);
    if (!propagateDown[0]) return;
    const p = bottom[0].cpuData(),
      label = bottom[1].cpuData(),
      dx = bottom[0].mutableCpuDiff();
    dx.fill(0);
    const scale = Math.fround(-top[0].cpuDiff()[0] / this.num);
    for (let n = 0; n < this.num; n++) {
      const at = this.at(label, n);
      dx[at] = scale / Math.max(p[at], LOG_THRESHOLD);
    }
  }
}

registerLayer('MultinomialLogisticLoss', MultinomialLogisticLossLayer);
