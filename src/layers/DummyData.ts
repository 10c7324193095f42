// DummyData: tops of a fixed shape (shape, or the legacy num/channels/height/width lists) filled by
// data_filler (none = constant 0; one for all tops; or one per top). As in Caffe, a top with a
// "constant" filler is filled once at set-up and never again; the others are refilled on every
// forward (and are left unfilled, i.e. zero, until the first forward).
import { Blob } from '../core/blob';
import { Layer } from '../core/layer';
import { registerLayer } from '../core/layer_factory';
import { fillBlob } from '../core/filler';
import type { FillerParameter } from '../proto/caffe';
import { blobShapeDims } from './layer_check';
import { check } from '../util/check';

/** The legacy 4-D shape fields, each once or once per top. */
const LEGACY_DIMS = ['num', 'channels', 'height', 'width'] as const;

export class DummyDataLayer extends Layer {
  private fillers: FillerParameter[] = [];
  /** per filler: fill on forward (false for constant fillers, which were filled at set-up) */
  private refill: boolean[] = [];

  override layerSetUp(bottom: Blob[], top: Blob[]): void {
    const p = this.rawParam('dummy_data_param');
    const numTop = top.length;
    const dataFillers = p.data_filler ?? [];
    const nf = dataFillers.length;
    check(
      this,
      nf === 0 || nf === 1 || nf === numTop,
      'num_data_filler == 0 || num_data_filler == 1 || num_data_filler == num_top',
      `Number of data fillers must be 0, 1 or equal to the number of tops: ${numTop}; ` +
        `you specified ${nf} data fillers.`,
    );

    const shapes = p.shape ?? [];
    const legacy: Record<string, number[]> = {};
    for (const f of LEGACY_DIMS) legacy[f] = Array.from(p[f] ?? [], Number);
    const legacyDims = Object.values(legacy).some((v) => v.length > 0);
    if (legacyDims) {
      check(this, shapes.length === 0, '0 == param.shape_size()', 'Both shape and legacy fields were specified');
      for (const f of LEGACY_DIMS) {
        const k = legacy[f].length;
        check(
          this,
          k === 1 || k === numTop,
          `param.${f}_size() == 1 || param.${f}_size() == num_top`,
          `Must specify '${f}' once, or once per top blob (${numTop}); specified ${k}.`,
        );
      }
    } else {
      check(
        this,
        shapes.length === 1 || shapes.length === numTop,
        'param.shape_size() == 1 || param.shape_size() == num_top',
        `Must specify 'shape' once, or once per top blob (${numTop}); specified ${shapes.length}.`,
      );
    }

    this.fillers = nf === 0 ? [{ type: 'constant', value: 0 }] : nf === 1 ? [dataFillers[0]] : dataFillers.slice();
    const isConstant = (f: FillerParameter) => (f.type ?? 'constant') === 'constant';

    for (let i = 0; i < numTop; i++) {
      if (legacyDims) {
        const at = (f: string) => (legacy[f].length === 1 ? legacy[f][0] : legacy[f][i]);
        top[i].reshape([at('num'), at('channels'), at('height'), at('width')]);
      } else {
        top[i].reshape(blobShapeDims(shapes[shapes.length === 1 ? 0 : i]));
      }
    }
    // Fill the constant tops now, once; from here on only the others are refilled.
    this.refill = this.fillers.map(isConstant);
    this.forwardCpu(bottom, top);
    this.refill = this.refill.map((r) => !r);
  }

  // The shapes were fixed at set-up.
  reshape(_bottom: Blob[], _top: Blob[]): void {}

  protected forwardCpu(_bottom: Blob[], top: Blob[]): void {
    for (let i = 0; i < top.length; i++) {
      const f = this.fillers.length > 1 ? i : 0;
      if (this.refill[f]) fillBlob(top[i], this.fillers[f], this);
    }
  }

  protected override backwardCpu(_top: Blob[], _propagateDown: boolean[], _bottom: Blob[]): void {}

  override exactNumBottomBlobs(): number {
    return 0;
  }
  override minTopBlobs(): number {
    return 1;
  }
}

registerLayer('DummyData', DummyDataLayer);
