// HingeLoss (one-vs-all): with t_k = -1 for the true class and +1 otherwise,
//   m_nk = max(0, 1 + t_k x_nk),  L1: loss = sum m / N,  L2: loss = sum m^2 / N.
// Gradient (w = loss weight): L1: w t_k [m_nk > 0] / N; L2: 2 w t_k m_nk / N.
// One integer label per example: bottom[1] holds N labels in {0, ..., C-1}.
import { Blob } from '../core/blob';
import { LossLayer } from '../core/layer';
import { registerLayer } from '../core/layer_factory';
import { checkLabelRange, labelBackpropError, labelValue, layerError, lossReshape } from './loss';

export class HingeLossLayer extends LossLayer {
  /** the margins m_nk (Caffe keeps them in bottom[0]'s diff between forward and backward) */
  private margins = new Blob();
  private norm: 'L1' | 'L2' = 'L1';

  override layerSetUp(bottom: Blob[], top: Blob[]): void {
    super.layerSetUp(bottom, top);
    this.norm = this.param('hinge_loss_param').norm;
    if (this.norm !== 'L1' && this.norm !== 'L2') throw layerError(this, 'Unknown Norm');
  }

  reshape(bottom: Blob[], top: Blob[]): void {
    lossReshape(this, bottom, top);
    this.margins.reshapeLike(bottom[0]);
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    const x = bottom[0].cpuData(),
      label = bottom[1].cpuData(),
      m = this.margins.mutableCpuData();
    const num = bottom[0].num,
      dim = x.length / num;
    m.set(x);
    for (let i = 0; i < num; i++) {
      const l = labelValue(this, label[i], i);
      checkLabelRange(this, l, dim, i);
      m[i * dim + l] *= -1;
    }
    let loss = 0;
    for (let i = 0; i < m.length; i++) {
      const v = Math.max(0, 1 + m[i]);
      m[i] = v;
      loss += this.norm === 'L1' ? v : v * v;
    }
    top[0].mutableCpuData()[0] = loss / num;
  }

  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (propagateDown[1]) throw labelBackpropError(this);
    if (!propagateDown[0]) return;
    const m = this.margins.cpuData(),
      label = bottom[1].cpuData(),
      dx = bottom[0].mutableCpuDiff();
    const num = bottom[0].num,
      dim = dx.length / num;
    dx.set(m);
    for (let i = 0; i < num; i++) dx[i * dim + label[i]] *= -1;
    const w = top[0].cpuDiff()[0];
    if (this.norm === 'L1') {
      const s = Math.fround(w / num);
      for (let i = 0; i < dx.length; i++) dx[i] = (dx[i] > 0 ? 1 : dx[i] < 0 ? -1 : 0) * s;
    } else {
      const s = Math.fround(Math.fround(w * 2) / num);
      for (let i = 0; i < dx.length; i++) dx[i] *= s;
    }
  }
}

registerLayer('HingeLoss', HingeLossLayer);
