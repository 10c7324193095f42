// Bias: top = bottom[0] + b, with b broadcast over bottom[0]'s axes [axis, axis + b.numAxes).
// b is bottom[1] when given, else a learned blob covering `num_axes` axes from `axis` (-1 = all
// remaining; 0 = a scalar), filled by `filler` (default constant 0). db = dy summed over the outer and
// inner axes; dx = dy.
import { Blob } from '../core/blob';
import { Layer } from '../core/layer';
import { registerLayer } from '../core/layer_factory';
import { fillBlob } from '../core/filler';
import { log } from '../util/logging';
import { Ones, Span, addBroadcast, alignSpan, deviceSpanSum, spanShape, sumRows } from './broadcast';
import { currentDevice } from '../backend/mode';

export class BiasLayer extends Layer {
  private span: Span = { outer: 0, dim: 0, inner: 0 };
  private ones = new Ones();

  override layerSetUp(bottom: Blob[]): void {
    if (bottom.length === 1 && this.blobs.length > 0) {
      log.info('Skipping parameter initialization');
    } else if (bottom.length === 1) {
      const shape = spanShape(
        this,
        bottom[0],
        this.param('bias_param').axis,
        this.param('bias_param').num_axes,
        'bias',
      );
      const b = new Blob();
      b.reshape(shape);
      fillBlob(b, this.layerParam.bias_param?.filler, this);
      this.blobs = [b];
    }
    this.paramPropagateDown = this.blobs.map(() => true);
  }

  reshape(bottom: Blob[], top: Blob[]): void {
    const bias = bottom.length > 1 ? bottom[1] : this.blobs[0];
    this.span = alignSpan(this, bottom[0], bias, this.param('bias_param').axis, 'bias');
    if (top[0] !== bottom[0]) top[0].reshapeLike(bottom[0]);
    const { outer, inner } = this.span;
    this.ones.ensure(Math.max(outer, inner, 1));
  }

  override minBottomBlobs(): number {
    return 1;
  }
  override maxBottomBlobs(): number {
    return 2;
  }
  override exactNumTopBlobs(): number {
    return 1;
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    const b = (bottom.length > 1 ? bottom[1] : this.blobs[0]).cpuData();
    const y = top[0].mutableCpuData();
    if (top[0] !== bottom[0]) y.set(bottom[0].cpuData());
    addBroadcast(this.span, b, y);
  }

  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    const dy = top[0].cpuDiff();
    if (propagateDown[0] && top[0] !== bottom[0]) bottom[0].mutableCpuDiff().set(dy); // in place: already there
    const learned = bottom.length === 1;
    if (learned ? this.paramPropagate(0) : propagateDown[1]) {
      const db = (learned ? this.blobs[0] : bottom[1]).mutableCpuDiff();
      biasDiff(this.span, dy, this.ones.data, learned, db);
    }
  }

  protected override forwardGpu(bottom: Blob[], top: Blob[]): void {
    const { dim, inner } = this.span,
      b = (bottom.length > 1 ? bottom[1] : this.blobs[0]).gpuData();
    currentDevice().kernels.broadcastAffine(
      bottom[0].count,
      bottom[0].gpuData(),
      null,
      { ptr: b, dim, inner },
      top[0].mutableGpuData(),
    );
  }

  protected override backwardGpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    const dev = currentDevice(),
      dy = top[0].gpuDiff();
    if (propagateDown[0] && top[0] !== bottom[0]) dev.math.copy(top[0].count, dy, bottom[0].mutableGpuDiff());
    const learned = bottom.length === 1;
    if (learned ? this.paramPropagate(0) : propagateDown[1]) {
      const db = (learned ? this.blobs[0] : bottom[1]).mutableGpuDiff();
      deviceSpanSum(this.span, dy, learned, db);
    }
  }
}

registerLayer('Bias', BiasLayer);

/** Caffe's bias gradient: one gemv per outer index, accumulating (the first overwrites for a bottom bias). */
export function biasDiff(
  span: Span,
  dy: Float32Array,
  ones: Float32Array,
  accumulate: boolean,
  db: Float32Array,
): void {
  const { outer, dim, inner } = span;
  for (let n = 0; n < outer; n++) {
    sumRows(dim, inner, dy.subarray(n * dim * inner, (n + 1) * dim * inner), ones, 1, accumulate || n > 0 ? 1 : 0, db);
  }
}
