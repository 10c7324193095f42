// Tile: repeats the bottom `tiles` times along `axis`: each block of the dims from `axis` on is
// copied `tiles` times in a row. Backward sums the copies' diffs.
import { Blob } from '../core/blob';
import { Layer } from '../core/layer';
import { registerLayer } from '../core/layer_factory';
import { currentDevice } from '../backend/mode';
import { check, checkOp } from '../util/check';

export class TileLayer extends Layer {
  private tiles = 1;
  private outer = 0;
  private inner = 0;

  reshape(bottom: Blob[], top: Blob[]): void {
    const axis = bottom[0].canonicalAxisIndex(this.param('tile_param').axis);
    check(
      this,
      this.layerParam.tile_param?.tiles !== undefined,
      'tile_param.has_tiles()',
      'Number of tiles must be specified',
    );
    this.tiles = this.param('tile_param').tiles;
    checkOp(this, this.tiles, '>', 0, 'tiles_ > 0', 'Number of tiles must be positive.');
    const shape = bottom[0].shape.slice();
    shape[axis] *= this.tiles;
    top[0].reshape(shape);
    this.outer = bottom[0].countRange(0, axis);
    this.inner = bottom[0].countRange(axis);
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    const x = bottom[0].cpuData(),
      y = top[0].mutableCpuData(),
      inner = this.inner;
    if (inner === 0) return; // nothing to copy, however many tiles (2^31 - 1 empty copies took minutes)
    let o = 0;
    for (let i = 0; i < this.outer; i++) {
      const block = x.subarray(i * inner, (i + 1) * inner);
      for (let t = 0; t < this.tiles; t++, o += inner) y.set(block, o);
    }
  }

  protected override forwardGpu(bottom: Blob[], top: Blob[]): void {
    const k = currentDevice().kernels;
    k.tileForward(this.outer, this.inner, this.tiles, bottom[0].gpuData(), top[0].mutableGpuData());
  }

  protected override backwardGpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const k = currentDevice().kernels;
    k.tileBackward(this.outer, this.inner, this.tiles, top[0].gpuDiff(), bottom[0].mutableGpuDiff());
  }

  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const dy = top[0].cpuDiff(),
      dx = bottom[0].mutableCpuDiff(),
      inner = this.inner;
    if (inner === 0) return;
    let o = 0;
    for (let i = 0; i < this.outer; i++) {
      const base = i * inner;
      dx.set(dy.subarray(o, o + inner), base);
      o += inner;
      for (let t = 1; t < this.tiles; t++, o += inner) {
        for (let j = 0; j < inner; j++) dx[base + j] += dy[o + j];
      }
    }
  }

  override exactNumBottomBlobs(): number {
    return 1;
  }
  override exactNumTopBlobs(): number {
    return 1;
  }
}

registerLayer('Tile', TileLayer);
