// Filter: the last bottom is a selector with one value per item (shape N x 1 x ...); the other
// bottoms are passed on item by item (along axis 0) where the selector is non-zero, so each top has
// as many items as there are non-zero selectors (the first set-up, before any selector data is
// meaningful, keeps all N). Backward scatters each top diff back to the selected items and zeroes
// the rest; the selector itself cannot receive a gradient.
import { Blob } from '../core/blob';
import { Layer } from '../core/layer';
import { registerLayer } from '../core/layer_factory';
import { layerError } from './layer_check';
import { checkOp } from '../util/check';

export class FilterLayer extends Layer {
  /** the selected items, ascending; `numSelected` of them are valid */
  private selected = new Int32Array(0);
  private numSelected = 0;
  private firstReshape = true;

  override layerSetUp(bottom: Blob[], top: Blob[]): void {
    checkOp(this, top.length, '==', bottom.length - 1, 'top.size() == bottom.size() - 1');
    this.firstReshape = true;
  }

  reshape(bottom: Blob[], top: Blob[]): void {
    const sel = bottom[bottom.length - 1];
    for (let i = 1; i < sel.numAxes; i++) {
      checkOp(
        this,
        sel.shape[i],
        '==',
        1,
        'bottom[selector_index]->shape(i) == 1',
        'Selector blob dimensions must be singletons (1), except the first',
      );
    }
    const num = sel.numAxes > 0 ? sel.shape[0] : 1;
    for (let i = 0; i < bottom.length - 1; i++) {
      checkOp(
        this,
        num,
        '==',
        bottom[i].dim(0),
        'bottom[selector_index]->shape(0) == bottom[i]->shape(0)',
        'Each bottom should have the same 0th dimension as the selector blob',
      );
    }
    if (this.selected.length < num) this.selected = new Int32Array(num);
    const s = sel.cpuData();
    let k = 0;
    for (let n = 0; n < num; n++) if (s[n] !== 0) this.selected[k++] = n; // NaN counts as non-zero, as in C
    this.numSelected = k;
    let topNum = k;
    if (this.firstReshape) {
      topNum = bottom[0].dim(0);
      this.firstReshape = false;
    }
    for (let t = 0; t < top.length; t++) {
      const shape = bottom[t].shape.slice();
      shape[0] = topNum;
      top[t].reshape(shape);
    }
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    for (let t = 0; t < top.length; t++) {
      const x = bottom[t].cpuData(),
        y = top[t].mutableCpuData(),
        dim = bottom[t].countRange(1);
      for (let n = 0; n < this.numSelected; n++) {
        const from = this.selected[n] * dim;
        y.set(x.subarray(from, from + dim), n * dim);
      }
    }
  }

  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (propagateDown[bottom.length - 1])
      throw layerError(this, `${this.type} Layer cannot backpropagate to filter index inputs`);
    for (let i = 0; i < top.length; i++) {
      if (!propagateDown[i]) continue;
      const dy = top[i].cpuDiff(),
        dx = bottom[i].mutableCpuDiff(),
        dim = bottom[i].countRange(1);
      dx.fill(0);
      for (let n = 0; n < this.numSelected; n++) dx.set(dy.subarray(n * dim, (n + 1) * dim), this.selected[n] * dim);
    }
  }

  override minBottomBlobs(): number {
    return 2;
  }
  override minTopBlobs(): number {
    return 1;
  }
}

registerLayer('Filter', FilterLayer);
