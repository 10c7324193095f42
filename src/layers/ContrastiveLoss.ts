// ContrastiveLoss (Hadsell et al. 2006) on feature pairs a, b (N x C x 1 x 1) with similarity y (N):
//   d^2 = ||a_n - b_n||^2;  similar (y != 0): d^2;  dissimilar: max(margin - d, 0)^2
//   (legacy_version: max(margin - d^2, 0));  loss = sum / (2 N).
// Gradients go to both a (+) and b (-), never to y.
import { Blob } from '../core/blob';
import { LossLayer } from '../core/layer';
import { backend } from '../backend';
import { registerLayer } from '../core/layer_factory';
import { checkOp } from '../util/check';
import { lossReshape } from './loss';

export class ContrastiveLossLayer extends LossLayer {
  private diff = new Blob();
  private distSq = new Float32Array(0);
  private margin = 1;
  private legacy = false;

  override layerSetUp(bottom: Blob[], top: Blob[]): void {
    super.layerSetUp(bottom, top);
    checkOp(this, bottom[0].channels, '==', bottom[1].channels, 'bottom[0]->channels() == bottom[1]->channels()');
    checkOp(this, bottom[0].height, '==', 1, 'bottom[0]->height() == 1');
    checkOp(this, bottom[0].width, '==', 1, 'bottom[0]->width() == 1');
    checkOp(this, bottom[1].height, '==', 1, 'bottom[1]->height() == 1');
    checkOp(this, bottom[1].width, '==', 1, 'bottom[1]->width() == 1');
    checkOp(this, bottom[2].channels, '==', 1, 'bottom[2]->channels() == 1');
    checkOp(this, bottom[2].height, '==', 1, 'bottom[2]->height() == 1');
    checkOp(this, bottom[2].width, '==', 1, 'bottom[2]->width() == 1');
    this.margin = this.param('contrastive_loss_param').margin;
    this.legacy = this.param('contrastive_loss_param').legacy_version;
  }

  reshape(bottom: Blob[], top: Blob[]): void {
    lossReshape(this, bottom, top);
    this.diff.reshape([bottom[0].num, bottom[0].channels, 1, 1]);
    if (this.distSq.length < bottom[0].num) this.distSq = new Float32Array(bottom[0].num);
  }

  override exactNumBottomBlobs(): number {
    return 3;
  }
  // Both feature inputs may receive a gradient; the similarity labels may not.
  override allowForceBackward(i: number): boolean {
    return i !== 2;
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    const a = bottom[0].cpuData(),
      b = bottom[1].cpuData(),
      y = bottom[2].cpuData(),
      d = this.diff.mutableCpuData();
    const num = bottom[0].num,
      C = bottom[0].channels,
      margin = this.margin;
    let loss = 0;
    for (let i = 0; i < num; i++) {
      for (let c = 0; c < C; c++) d[i * C + c] = a[i * C + c] - b[i * C + c];
      const di = d.subarray(i * C, (i + 1) * C);
      this.distSq[i] = backend().dot(di, di); // caffe_cpu_dot
      const dsq = this.distSq[i];
      if (Math.trunc(y[i]) !== 0) loss += dsq;
      else if (this.legacy) loss += Math.max(margin - dsq, 0);
      else {
        const m = Math.max(margin - Math.sqrt(dsq), 0);
        loss += m * m;
      }
    }
    top[0].mutableCpuData()[0] = loss / num / 2;
  }

  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    const d = this.diff.cpuData(),
      y = bottom[2].cpuData(),
      margin = this.margin;
    for (let k = 0; k < 2; k++) {
      if (!propagateDown[k]) continue;
      const num = bottom[k].num,
        C = bottom[k].channels;
      const alpha = Math.fround(((k === 0 ? 1 : -1) * top[0].cpuDiff()[0]) / num);
      const dx = bottom[k].mutableCpuDiff();
      for (let j = 0; j < num; j++) {
        let beta: number;
        if (Math.trunc(y[j]) !== 0) {
          beta = alpha; // similar pair: d(d^2 / 2)
        } else {
          let mdist: number;
          if (this.legacy) {
            mdist = margin - this.distSq[j];
            beta = -alpha;
          } else {
            const dist = Math.fround(Math.sqrt(this.distSq[j])); // in float, as Caffe
            mdist = Math.fround(margin - dist);
            beta = Math.fround(Math.fround(-alpha * mdist) / Math.fround(dist + Math.fround(1e-4)));
          }
          if (!(mdist > 0)) {
            dx.fill(0, j * C, (j + 1) * C);
            continue;
          } // beyond the margin: no gradient
        }
        for (let c = 0; c < C; c++) dx[j * C + c] = beta * d[j * C + c];
      }
    }
  }
}

registerLayer('ContrastiveLoss', ContrastiveLossLayer);
