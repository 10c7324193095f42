// SPP (spatial pyramid pooling): pools an N x C x H x W bottom at pyramid_height levels and joins the
// results into one N x (C * sum of bins) top, whatever H and W are. Level l has 2^l x 2^l bins: a
// Pooling layer (spp_param.pool) whose kernel and stride are ceil(H / 2^l) (resp. W) and whose pad is
// (kernel * 2^l - H + 1) / 2, so the windows cover the whole image. Composed as Caffe composes it:
// Split -> per level Pooling -> Flatten -> Concat (axis 1); with pyramid_height 1, the one Pooling layer
// alone (top N x C x 1 x 1). The inner layers are rebuilt when the bottom's shape changes. As in Caffe,
// the inner Pooling layers always run in the TRAIN phase (STOCHASTIC samples in TEST too).
import type { LayerParameter } from '../proto/caffe';
import { Blob } from '../core/blob';
import { Layer } from '../core/layer';
import { registerLayer } from '../core/layer_factory';
import { checkOp } from '../util/check';
import { ConcatLayer } from './Concat';
import { FlattenLayer } from './Flatten';
import { PoolingLayer } from './Pooling';
import { SplitLayer } from './Split';

export class SPPLayer extends Layer {
  private height = 0;
  /** the bottom shape the inner layers were built for ('' before the first reshape) */
  private builtFor = '';
  private split: SplitLayer | null = null;
  private splitTops: Blob[] = [];
  private pools: PoolingLayer[] = [];
  private poolTops: Blob[] = [];
  private flattens: FlattenLayer[] = [];
  private flatTops: Blob[] = [];
  private concat: ConcatLayer | null = null;
  /** propagate_down for the Concat's bottoms: all of them */
  private allDown: boolean[] = [];

  override exactNumBottomBlobs(): number {
    return 1;
  }
  override exactNumTopBlobs(): number {
    return 1;
  }

  /** Caffe's SPPLayer::GetPoolingParam: the Pooling layer of pyramid level `level` for an H x W bottom. */
  private poolingParam(level: number, H: number, W: number): LayerParameter {
    const bins = 2 ** level;
    const kh = Math.ceil(H / bins),
      kw = Math.ceil(W / bins);
    return {
      name: `${this.name}/level${level}`,
      type: 'Pooling',
      pooling_param: {
        pool: this.param('spp_param').pool,
        kernel_h: kh,
        kernel_w: kw,
        stride_h: kh,
        stride_w: kw,
        pad_h: Math.trunc((kh * bins - H + 1) / 2),
        pad_w: Math.trunc((kw * bins - W + 1) / 2),
      },
    };
  }

  private checkInput(bottom: Blob[]): void {
    checkOp(
      this,
      4,
      '==',
      bottom[0].numAxes,
      '4 == bottom[0]->num_axes()',
      'Input must have 4 axes, corresponding to (num, channels, height, width)',
    );
  }

  override layerSetUp(bottom: Blob[], top: Blob[]): void {
    this.checkInput(bottom);
    checkOp(this, bottom[0].height, '>', 0, 'bottom_h_ > 0', 'Input dimensions cannot be zero.');
    checkOp(this, bottom[0].width, '>', 0, 'bottom_w_ > 0', 'Input dimensions cannot be zero.');
    this.height = this.param('spp_param').pyramid_height;
    checkOp(this, this.height, '>', 0, 'pyramid_height_ > 0', 'The pyramid needs at least one level.');
    this.builtFor = bottom[0].shape.join(','); // reshape, which Layer.setUp runs next, has nothing to redo
    if (this.height === 1) {
      this.buildPools(bottom, top);
      return;
    }
    const h = this.height;
    this.allDown = new Array<boolean>(h).fill(true);
    this.splitTops = Array.from({ length: h }, () => new Blob());
    this.split = new SplitLayer({ name: `${this.name}/split`, type: 'Split' });
    this.split.setUp(bottom, this.splitTops);
    this.poolTops = Array.from({ length: h }, () => new Blob());
    this.flatTops = Array.from({ length: h }, () => new Blob());
    this.buildPools(bottom);
    this.flattens = this.poolTops.map(
      (_, i) => new FlattenLayer({ name: `${this.name}/flatten${i}`, type: 'Flatten' }),
    );
    this.flattens.forEach((f, i) => f.setUp([this.poolTops[i]], [this.flatTops[i]]));
    this.concat = new ConcatLayer({ name: `${this.name}/concat`, type: 'Concat' });
    this.concat.setUp(this.flatTops, top);
  }

  /** A new Pooling layer per level for the bottom's current height and width, set up. */
  private buildPools(bottom: Blob[], top?: Blob[]): void {
    const [H, W] = [bottom[0].height, bottom[0].width];
    this.pools = Array.from({ length: this.height }, (_, i) => new PoolingLayer(this.poolingParam(i, H, W)));
    if (this.height === 1) this.pools[0].setUp(bottom, top as Blob[]);
    else this.pools.forEach((p, i) => p.setUp([this.splitTops[i]], [this.poolTops[i]]));
  }

  reshape(bottom: Blob[], top: Blob[]): void {
    this.checkInput(bottom);
    const key = bottom[0].shape.join(',');
    if (key === this.builtFor) return;
    this.builtFor = ''; // until the rebuild below succeeds
    if (this.height === 1) {
      this.buildPools(bottom, top);
    } else {
      (this.split as SplitLayer).reshapeNamed(bottom, this.splitTops);
      this.buildPools(bottom);
      this.flattens.forEach((f, i) => f.reshapeNamed([this.poolTops[i]], [this.flatTops[i]]));
      (this.concat as ConcatLayer).reshapeNamed(this.flatTops, top);
    }
    this.builtFor = key;
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    if (this.height === 1) {
      this.pools[0].forward(bottom, top);
      return;
    }
    (this.split as SplitLayer).forward(bottom, this.splitTops);
    for (let i = 0; i < this.height; i++) {
      this.pools[i].forward([this.splitTops[i]], [this.poolTops[i]]);
      this.flattens[i].forward([this.poolTops[i]], [this.flatTops[i]]);
    }
    (this.concat as ConcatLayer).forward(this.flatTops, top);
  }

  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    if (this.height === 1) {
      this.pools[0].backward(top, propagateDown, bottom);
      return;
    }
    (this.concat as ConcatLayer).backward(top, this.allDown, this.flatTops);
    for (let i = 0; i < this.height; i++) {
      this.flattens[i].backward([this.flatTops[i]], propagateDown, [this.poolTops[i]]);
      this.pools[i].backward([this.poolTops[i]], propagateDown, [this.splitTops[i]]);
    }
    (this.split as SplitLayer).backward(this.splitTops, propagateDown, bottom);
  }
}

registerLayer('SPP', SPPLayer);
