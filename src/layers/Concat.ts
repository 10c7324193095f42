// Concat: joins the bottoms along `axis` (or the legacy non-negative `concat_dim`); every other
// dimension must agree. Backward hands each bottom its slab of the top diff. With a single bottom
// the top simply shares the bottom's data and diff. In a net that runs no backward, a Concat of one
// outer slab (numConcats 1: batch 1 along the channels) lends each bottom its slab of the top: the
// layers below write there and forward copies nothing (the net decides: net/fuse.ts).
import { Blob, MAX_BLOB_AXES } from '../core/blob';
import { Layer } from '../core/layer';
import { registerLayer } from '../core/layer_factory';
import { backend } from '../backend';
import { check, checkOp } from '../util/check';
import { currentDevice, mode } from '../backend/mode';
import { ptrAt } from '../backend/device';

export class ConcatLayer extends Layer {
  private axis = 1;
  /** product of the dims before the axis */
  private numConcats = 0;
  /** product of the dims after the axis */
  private inputSize = 0;
  /** the top's dim along the axis */
  private topAxis = 0;
  /** the bottoms may be views of the top's memory (set by the net) */
  private lends = false;
  /** the bottoms' data are views of their slabs of the top's */
  private lent = false;

  override layerSetUp(): void {
    const p = this.rawParam('concat_param');
    check(
      this,
      !(p.axis !== undefined && p.concat_dim !== undefined),
      '!(concat_param.has_axis() && concat_param.has_concat_dim())',
      'Either axis or concat_dim should be specified; not both.',
    );
  }

  reshape(bottom: Blob[], top: Blob[]): void {
    const numAxes = bottom[0].numAxes;
    const p = this.rawParam('concat_param');
    if (p.concat_dim !== undefined) {
      this.axis = Number(p.concat_dim) | 0; // uint32 read as int32, as Caffe does
      checkOp(
        this,
        this.axis,
        '>=',
        0,
        'concat_axis_ >= 0',
        'casting concat_dim from uint32 to int32 produced negative result; ' +
          `concat_dim must satisfy 0 <= concat_dim < ${MAX_BLOB_AXES}`,
      );
      checkOp(this, this.axis, '<', numAxes, 'concat_axis_ < num_axes', 'concat_dim out of range.');
    } else {
      this.axis = bottom[0].canonicalAxisIndex(this.param('concat_param').axis);
    }
    const topShape = bottom[0].shape.slice();
    this.numConcats = bottom[0].countRange(0, this.axis);
    this.inputSize = bottom[0].countRange(this.axis + 1);
    let countSum = bottom[0].count;
    for (let i = 1; i < bottom.length; i++) {
      checkOp(
        this,
        numAxes,
        '==',
        bottom[i].numAxes,
        'num_axes == bottom[i]->num_axes()',
        'All inputs must have the same #axes.',
      );
      for (let j = 0; j < numAxes; j++) {
        if (j === this.axis) continue;
        checkOp(
          this,
          topShape[j],
          '==',
          bottom[i].shape[j],
          'top_shape[j] == bottom[i]->shape(j)',
          'All inputs must have the same shape, except at concat_axis.',
        );
      }
      countSum += bottom[i].count;
      topShape[this.axis] += bottom[i].shape[this.axis];
    }
    top[0].reshape(topShape);
    this.topAxis = topShape[this.axis];
    checkOp(this, countSum, '==', top[0].count, 'bottom_count_sum == top[0]->count()');
    if (bottom.length === 1) {
      top[0].shareData(bottom[0]);
      top[0].shareDiff(bottom[0]);
    }
    // Caffe's Forward reshapes first: slabs lent already stay as they are
    const lend = this.lends && bottom.length > 1 && this.numConcats === 1 && mode() === 'CPU';
    this.lent = lend && (slabsInPlace(bottom, top[0]) || lendSlabs(bottom, top[0]));
  }

  /** Lets the bottoms live in the top's memory (a net without backward whose bottoms no later layer reads). */
  lendToBottoms(): void {
    this.lends = true;
  }

  /** Whether the bottoms are views of the top (forward copies nothing). */
  get bottomsLent(): boolean {
    return this.lent;
  }

  /** fn(i, slab, at) per bottom i: its slabs of `slab` floats lie at `at` + n * top stride in the top. */
  private forEachSlab(bottom: Blob[], fn: (i: number, slab: number, at: number, stride: number) => void): void {
    const inner = this.inputSize,
      stride = this.topAxis * inner;
    let offset = 0;
    bottom.forEach((b, i) => {
      const axisDim = b.shape[this.axis];
      fn(i, axisDim * inner, offset * inner, stride);
      offset += axisDim;
    });
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    if (bottom.length === 1 || (this.lent && slabsInPlace(bottom, top[0]))) return;
    const be = backend(),
      y = top[0].mutableCpuData();
    this.forEachSlab(bottom, (i, slab, at, stride) =>
      be.copyStrided(this.numConcats, slab, bottom[i].cpuData(), 0, slab, y, at, stride),
    );
  }

  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (bottom.length === 1) return;
    const be = backend(),
      dy = top[0].cpuDiff();
    this.forEachSlab(bottom, (i, slab, at, stride) => {
      if (propagateDown[i]) be.copyStrided(this.numConcats, slab, dy, at, stride, bottom[i].mutableCpuDiff(), 0, slab);
    });
  }

  // the same slab copies on the device (Caffe's Concat kernel)
  protected override forwardGpu(bottom: Blob[], top: Blob[]): void {
    if (bottom.length === 1) return;
    const k = currentDevice().kernels,
      y = top[0].mutableGpuData();
    this.forEachSlab(bottom, (i, slab, at, stride) =>
      k.copyStrided(this.numConcats, slab, bottom[i].gpuData(), slab, ptrAt(y, at), stride),
    );
  }

  protected override backwardGpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (bottom.length === 1) return;
    const k = currentDevice().kernels,
      dy = top[0].gpuDiff();
    this.forEachSlab(bottom, (i, slab, at, stride) => {
      if (propagateDown[i])
        k.copyStrided(this.numConcats, slab, ptrAt(dy, at), stride, bottom[i].mutableGpuDiff(), slab);
    });
  }

  override minBottomBlobs(): number {
    return 1;
  }
  override exactNumTopBlobs(): number {
    return 1;
  }
}

registerLayer('Concat', ConcatLayer);

/**
 * Makes each bottom's data its slab of the top's memory, in order, holding the bottom's values; false
 * where a bottom cannot be a view.
 */
function lendSlabs(bottom: Blob[], top: Blob): boolean {
  const memories = new Set(bottom.map((b) => b.dataMemory)); // split tops share their memory
  if (memories.size !== bottom.length || bottom.some((b) => b.dataMemory.size !== b.count)) return false;
  const y = top.dataMemory.mutableCpuData();
  let at = 0;
  for (const b of bottom) {
    const slab = y.subarray(at, at + b.count);
    slab.set(b.cpuData());
    b.setCpuData(slab);
    at += b.count;
  }
  return true;
}

/** Whether the bottoms still are their slabs of the top (no reallocation since they were lent). */
function slabsInPlace(bottom: Blob[], top: Blob): boolean {
  const y = top.cpuData();
  let at = y.byteOffset;
  for (const b of bottom) {
    const x = b.cpuData();
    if (x.buffer !== y.buffer || x.byteOffset !== at) return false;
    at += x.byteLength;
  }
  return true;
}
