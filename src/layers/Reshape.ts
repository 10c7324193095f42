// Reshape: gives the bottom a new shape without copying; the top shares the bottom's data and diff.
// reshape_param.shape replaces the bottom axes [axis, axis + num_axes) (defaults: all of them);
// a 0 copies the corresponding bottom dim, a single -1 is inferred from the count. Not in place.
import { Blob } from '../core/blob';
import { Layer } from '../core/layer';
import { registerLayer } from '../core/layer_factory';
import { blobShapeDims } from './layer_check';
import { check, checkOp } from '../util/check';

export class ReshapeLayer extends Layer {
  private dims: number[] = [];
  /** positions (within the new dims) of the 0s */
  private copyAxes: number[] = [];
  /** position of the -1, or -1 */
  private inferredAxis = -1;
  /** product of the explicit (positive) new dims */
  private constantCount = 1;

  override layerSetUp(bottom: Blob[], top: Blob[]): void {
    check(this, top[0] !== bottom[0], 'top[0] != bottom[0]', `${this.type} Layer does not allow in-place computation.`);
    this.dims = blobShapeDims(this.layerParam.reshape_param?.shape);
    this.copyAxes = [];
    this.inferredAxis = -1;
    this.constantCount = 1;
    this.dims.forEach((d, i) => {
      if (d === 0) {
        this.copyAxes.push(i);
      } else if (d === -1) {
        checkOp(
          this,
          this.inferredAxis,
          '==',
          -1,
          'inferred_axis_ == -1',
          'new shape contains multiple -1 dims; at most a single (1) value of -1 may be specified',
        );
        this.inferredAxis = i;
      } else {
        this.constantCount *= d;
      }
    });
  }

  reshape(bottom: Blob[], top: Blob[]): void {
    const b = bottom[0],
      nb = b.numAxes;
    const inputAxis = this.param('reshape_param').axis;
    const start = inputAxis >= 0 ? inputAxis : nb + inputAxis + 1;
    checkOp(this, start, '>=', 0, 'start_axis >= 0', `axis ${inputAxis} out of range`);
    checkOp(
      this,
      start,
      '<=',
      nb,
      'start_axis <= bottom[0]->num_axes()',
      `axis ${inputAxis} out of range for ${nb}-D input blob`,
    );
    const numAxes = this.param('reshape_param').num_axes;
    checkOp(this, numAxes, '>=', -1, 'num_axes >= -1', 'num_axes must be >= 0, or -1 for all');
    const end = numAxes === -1 ? nb : start + numAxes;
    checkOp(this, end, '<=', nb, 'end_axis <= bottom[0]->num_axes()', 'end_axis = axis + num_axes is out of range');
    const shape = [...b.shape.slice(0, start), ...this.dims, ...b.shape.slice(end)];
    for (const c of this.copyAxes) {
      checkOp(
        this,
        nb,
        '>',
        start + c,
        'bottom[0]->num_axes() > start_axis + copy_axis_index',
        'new shape contains a 0, but there was no corresponding bottom axis to copy',
      );
      shape[start + c] = b.shape[start + c];
    }
    if (this.inferredAxis >= 0) {
      let explicit = this.constantCount * b.countRange(0, start) * b.countRange(end);
      for (const c of this.copyAxes) explicit *= shape[start + c];
      checkOp(
        this,
        0,
        '==',
        b.count % explicit,
        '0 == bottom[0]->count() % explicit_count',
        `bottom count (${b.count}) must be divisible by the product of the specified dimensions (${explicit})`,
      );
      shape[start + this.inferredAxis] = b.count / explicit;
    }
    top[0].reshape(shape);
    checkOp(
      this,
      top[0].count,
      '==',
      b.count,
      'top[0]->count() == bottom[0]->count()',
      'output count must match input count',
    );
    top[0].shareData(b);
    top[0].shareDiff(b);
  }

  // The top is a view of the bottom: nothing to compute either way.
  protected forwardCpu(_bottom: Blob[], _top: Blob[]): void {}
  protected override backwardCpu(_top: Blob[], _propagateDown: boolean[], _bottom: Blob[]): void {}

  override exactNumBottomBlobs(): number {
    return 1;
  }
  override exactNumTopBlobs(): number {
    return 1;
  }
}

registerLayer('Reshape', ReshapeLayer);
