// Slice: splits the bottom along `axis` (or the legacy non-negative `slice_dim`) at the given
// slice_points, or into equal parts when none are given. Backward reassembles the bottom diff from
// the top diffs. With a single top it shares the bottom's data and diff.
import { Blob, MAX_BLOB_AXES } from '../core/blob';
import { Layer } from '../core/layer';
import { registerLayer } from '../core/layer_factory';
import { backend } from '../backend';
import { check, checkOp } from '../util/check';
import { currentDevice } from '../backend/mode';
import { ptrAt } from '../backend/device';

export class SliceLayer extends Layer {
  private slicePoints: number[] = [];
  private axis = 1;
  /** product of the dims before the axis */
  private numSlices = 0;
  /** product of the dims after the axis */
  private sliceSize = 0;

  override layerSetUp(): void {
    const p = this.rawParam('slice_param');
    check(
      this,
      !(p.axis !== undefined && p.slice_dim !== undefined),
      '!(slice_param.has_axis() && slice_param.has_slice_dim())',
      'Either axis or slice_dim should be specified; not both.',
    );
    this.slicePoints = Array.from(p.slice_point ?? [], Number);
  }

  reshape(bottom: Blob[], top: Blob[]): void {
    const numAxes = bottom[0].numAxes;
    const p = this.rawParam('slice_param');
    if (p.slice_dim !== undefined) {
      this.axis = Number(p.slice_dim) | 0; // uint32 read as int32, as Caffe does
      checkOp(
        this,
        this.axis,
        '>=',
        0,
        'slice_axis_ >= 0',
        'casting slice_dim from uint32 to int32 produced negative result; ' +
          `slice_dim must satisfy 0 <= slice_dim < ${MAX_BLOB_AXES}`,
      );
      checkOp(this, this.axis, '<', numAxes, 'slice_axis_ < num_axes', 'slice_dim out of range.');
    } else {
      this.axis = bottom[0].canonicalAxisIndex(this.param('slice_param').axis);
    }
    const topShape = bottom[0].shape.slice();
    const bottomAxis = bottom[0].shape[this.axis];
    this.numSlices = bottom[0].countRange(0, this.axis);
    this.sliceSize = bottom[0].countRange(this.axis + 1);
    let count = 0;
    if (this.slicePoints.length !== 0) {
      checkOp(this, this.slicePoints.length, '==', top.length - 1, 'slice_point_.size() == top.size() - 1');
      checkOp(
        this,
        top.length,
        '<=',
        bottomAxis,
        'top.size() <= bottom_slice_axis',
        `slice axis: ${this.axis}, bottom[0] shape: ${bottom[0].shapeString()}`,
      );
      let prev = 0;
      const sizes: number[] = [];
      for (const sp of this.slicePoints) {
        checkOp(this, sp, '>', prev, 'slice_point_[i] > prev');
        sizes.push(sp - prev);
        prev = sp;
      }
      sizes.push(bottomAxis - prev);
      for (let i = 0; i < top.length; i++) {
        topShape[this.axis] = sizes[i];
        top[i].reshape(topShape);
        count += top[i].count;
      }
    } else {
      checkOp(
        this,
        bottomAxis % top.length,
        '==',
        0,
        'bottom_slice_axis % top.size() == 0',
        `Number of top blobs (${top.length}) should evenly divide input slice axis (${bottomAxis})`,
      );
      topShape[this.axis] = bottomAxis / top.length;
      for (let i = 0; i < top.length; i++) {
        top[i].reshape(topShape);
        count += top[i].count;
      }
    }
    checkOp(this, count, '==', bottom[0].count, 'count == bottom[0]->count()');
    if (top.length === 1) {
      top[0].shareData(bottom[0]);
      top[0].shareDiff(bottom[0]);
    }
  }

  /** fn(t, slab, at, stride) per top t: its slabs of `slab` floats lie at `at` + n * stride in the bottom. */
  private forEachSlab(
    top: Blob[],
    bottom: Blob,
    fn: (t: Blob, slab: number, at: number, stride: number) => void,
  ): void {
    const inner = this.sliceSize,
      stride = bottom.shape[this.axis] * inner;
    let offset = 0;
    for (const t of top) {
      const axisDim = t.shape[this.axis];
      fn(t, axisDim * inner, offset * inner, stride);
      offset += axisDim;
    }
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    if (top.length === 1) return;
    const be = backend(),
      x = bottom[0].cpuData();
    this.forEachSlab(top, bottom[0], (t, slab, at, stride) =>
      be.copyStrided(this.numSlices, slab, x, at, stride, t.mutableCpuData(), 0, slab),
    );
  }

  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0] || top.length === 1) return;
    const be = backend(),
      dx = bottom[0].mutableCpuDiff();
    this.forEachSlab(top, bottom[0], (t, slab, at, stride) =>
      be.copyStrided(this.numSlices, slab, t.cpuDiff(), 0, slab, dx, at, stride),
    );
  }

  // the same slab copies on the device (Caffe's Slice kernel)
  protected override forwardGpu(bottom: Blob[], top: Blob[]): void {
    if (top.length === 1) return;
    const k = currentDevice().kernels,
      x = bottom[0].gpuData();
    this.forEachSlab(top, bottom[0], (t, slab, at, stride) =>
      k.copyStrided(this.numSlices, slab, ptrAt(x, at), stride, t.mutableGpuData(), slab),
    );
  }

  protected override backwardGpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0] || top.length === 1) return;
    const k = currentDevice().kernels,
      dx = bottom[0].mutableGpuDiff();
    this.forEachSlab(top, bottom[0], (t, slab, at, stride) =>
      k.copyStrided(this.numSlices, slab, t.gpuDiff(), slab, ptrAt(dx, at), stride),
    );
  }

  override exactNumBottomBlobs(): number {
    return 1;
  }
  override minTopBlobs(): number {
    return 1;
  }
}

registerLayer('Slice', SliceLayer);
