// Crop: crops bottom[0] to the shape of bottom[1] on every axis from `axis` (default 2) on, starting
// at `offset` (one value for all cropped axes, one per cropped axis, or none = 0). Axes before
// `axis` keep bottom[0]'s size. Backward zero-fills bottom[0]'s diff and copies the top diff into
// the cropped window; bottom[1] only supplies a shape, so its gradient is zero.
import { Blob } from '../core/blob';
import { Layer } from '../core/layer';
import { registerLayer } from '../core/layer_factory';
import { currentDevice } from '../backend/mode';
import { checkOp } from '../util/check';

export class CropLayer extends Layer {
  /** per-axis start of the window in bottom[0] */
  private offsets = new Int32Array(0);
  /** bottom[0] strides (elements per step of each axis) */
  private srcStrides = new Int32Array(0);
  /** odometer over the top's leading axes (all but the last) */
  private index = new Int32Array(0);

  override layerSetUp(bottom: Blob[]): void {
    const offs: ArrayLike<number> = this.layerParam.crop_param?.offset ?? [];
    const nd = bottom[0].numAxes;
    const start = bottom[0].canonicalAxisIndex(this.param('crop_param').axis);
    checkOp(this, start, '<', nd, 'start_axis < input_dim', 'crop axis bigger than input dim');
    if (offs.length > 1) {
      checkOp(
        this,
        start + offs.length,
        '==',
        nd,
        'start_axis + param.offset_size() == input_dim',
        'number of offset values specified must be equal to the number of dimensions following axis.',
      );
    }
  }

  reshape(bottom: Blob[], top: Blob[]): void {
    const offs: ArrayLike<number> = this.layerParam.crop_param?.offset ?? [];
    const b = bottom[0],
      nd = b.numAxes;
    const start = b.canonicalAxisIndex(this.param('crop_param').axis);
    if (this.offsets.length !== nd) {
      this.offsets = new Int32Array(nd);
      this.srcStrides = new Int32Array(nd);
      this.index = new Int32Array(Math.max(nd - 1, 0));
    }
    const shape = b.shape.slice();
    for (let i = 0; i < nd; i++) {
      let off = 0;
      if (i >= start) {
        const want = bottom[1].dim(i);
        shape[i] = want;
        if (offs.length === 1) off = Number(offs[0]);
        else if (offs.length > 1) off = Number(offs[i - start]);
        checkOp(
          this,
          b.shape[i] - off,
          '>=',
          want,
          'bottom[0]->shape(i) - crop_offset >= bottom[1]->shape(i)',
          `the crop for dimension ${i} is out-of-bounds with size ${want} and offset ${off}`,
        );
      }
      this.offsets[i] = off;
      this.srcStrides[i] = b.countRange(i + 1);
    }
    top[0].reshape(shape);
  }

  /**
   * Visits every row (run along the last axis) of the top; `forward` copies the window of bottom
   * into top, otherwise the top rows go back into the window.
   */
  private copy(top: Blob, src: Float32Array, dst: Float32Array, forward: boolean): void {
    const nd = top.numAxes,
      ts = top.shape,
      off = this.offsets,
      st = this.srcStrides,
      idx = this.index;
    if (top.count === 0) return;
    const rowLen = ts[nd - 1],
      rows = top.count / rowLen,
      last = nd - 1;
    idx.fill(0);
    for (let r = 0; r < rows; r++) {
      let b = off[last];
      for (let j = 0; j < last; j++) b += (idx[j] + off[j]) * st[j];
      const t = r * rowLen;
      if (forward) dst.set(src.subarray(b, b + rowLen), t);
      else dst.set(src.subarray(t, t + rowLen), b);
      for (let j = last - 1; j >= 0; j--) {
        // next row
        if (++idx[j] < ts[j]) break;
        idx[j] = 0;
      }
    }
  }

  /** The device's crop4 arguments (leading axes of size 1 up to 4); null past 4 axes (CPU code then). */
  private geometry4(top: Blob): { t: number[]; s: number[]; f: number[] } | null {
    const nd = top.numAxes;
    if (nd > 4 || nd === 0) return null;
    const pad = 4 - nd;
    const t = [1, 1, 1, 1],
      f = [0, 0, 0, 0],
      s = [0, 0, 0, 1];
    for (let i = 0; i < nd; i++) {
      t[pad + i] = top.shape[i];
      f[pad + i] = this.offsets[i];
      s[pad + i] = this.srcStrides[i];
    }
    return { t, s: s.slice(0, 3), f };
  }

  protected override forwardGpu(bottom: Blob[], top: Blob[]): void {
    const g = this.geometry4(top[0]);
    if (!g) return super.forwardGpu(bottom, top);
    currentDevice().kernels.crop4(g.t, g.s, g.f, bottom[0].gpuData(), top[0].mutableGpuData(), true);
  }

  protected override backwardGpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    const g = this.geometry4(top[0]);
    if (!g) return super.backwardGpu(top, propagateDown, bottom);
    const math = currentDevice().math;
    if (propagateDown[0]) {
      const dx = bottom[0].mutableGpuDiff();
      math.set(bottom[0].count, 0, dx);
      currentDevice().kernels.crop4(g.t, g.s, g.f, top[0].gpuDiff(), dx, false);
    }
    if (propagateDown[1]) math.set(bottom[1].count, 0, bottom[1].mutableGpuDiff());
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    this.copy(top[0], bottom[0].cpuData(), top[0].mutableCpuData(), true);
  }

  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (propagateDown[0]) {
      const dx = bottom[0].mutableCpuDiff();
      dx.fill(0);
      this.copy(top[0], top[0].cpuDiff(), dx, false);
    }
    // Caffe leaves bottom[1]'s diff untouched (it stays zero); write the zero gradient explicitly.
    if (propagateDown[1]) bottom[1].mutableCpuDiff().fill(0);
  }

  override exactNumBottomBlobs(): number {
    return 2;
  }
  override exactNumTopBlobs(): number {
    return 1;
  }
}

registerLayer('Crop', CropLayer);
