// Caffe's Layer contract. A layer is set up once (layerSetUp, then reshape), then forward/backward
// run per iteration; forward() reshapes first (cheap when shapes are unchanged: layers cache their
// primitives by shape). Rules every layer follows, as in Caffe:
//   - backward OVERWRITES bottom diffs, and ACCUMULATES (+=) into its parameter blobs' diffs
//     (the Net clears parameter diffs before each iteration; iter_size relies on accumulation);
//   - in-place computation (top[i] === bottom[i]) must work where the layer allows it;
//   - a top with a non-zero loss weight holds that weight in its diff after setUp; forward() returns
//     sum(top.data * top.diff) over such tops.
import { MessageField, WithDefaults, subMessageType, withDefaults } from '../proto/schema';
import type { LayerParameter } from '../proto/caffe';
import { BlobShapeError, CaffeError } from '../util/errors';
import { fatal } from '../util/check';
import { Blob } from './blob';
import { currentDevice, mode } from '../backend/mode';

export type Phase = 'TRAIN' | 'TEST';

/**
 * Memory a layer holds besides its tops and parameters: Blob fields, `bytes` of its own buffers, and
 * `scratch`, the largest call's share of a per-thread arena all layers share (counted once per net).
 */
export interface LayerMemory {
  blobs: Blob[];
  bytes: number;
  scratch?: number;
}

/** The `<x>_param` fields of a LayerParameter. */
export type LayerParamField = MessageField<LayerParameter>;
/** What `param(field)` returns: that sub-message read through its schema defaults. */
export type LayerParamView<K extends LayerParamField> = WithDefaults<NonNullable<LayerParameter[K]>>;

export abstract class Layer {
  readonly layerParam: LayerParameter;
  readonly phase: Phase;
  /** learnable parameters (weights, biases, statistics), in Caffe's order */
  blobs: Blob[] = [];
  /** whether to compute the diff of each parameter blob */
  paramPropagateDown: boolean[] = [];
  private lossWeights: number[] = [];

  constructor(param: LayerParameter) {
    this.layerParam = param;
    this.phase = param.phase ?? 'TRAIN';
    if (param.blobs?.length) {
      this.blobs = param.blobs.map((p) => {
        const b = new Blob();
        b.fromProto(p);
        return b;
      });
    }
  }

  get type(): string {
    return this.layerParam.type ?? '';
  }
  get name(): string {
    return this.layerParam.name ?? '';
  }

  /** Checks blob counts, runs layerSetUp and reshape, installs loss weights (Caffe's SetUp). */
  setUp(bottom: Blob[], top: Blob[]): void {
    this.checkBlobCounts(bottom, top);
    this.named(bottom, top, () => {
      this.layerSetUp(bottom, top);
      this.reshape(bottom, top);
    });
    this.setLossWeights(top);
  }

  /** reshape, with a blob shape it asks for and Blob refuses (a negative output size) naming this layer. */
  reshapeNamed(bottom: Blob[], top: Blob[]): void {
    this.named(bottom, top, () => this.reshape(bottom, top));
  }

  /**
   * Runs a set-up or reshape step, naming this layer in the blob shape errors it causes; and refuses a
   * top computed in place (the bottom itself) that the step gave another shape: the layer would read
   * what it overwrote, or past its end (Caffe leaves that undefined).
   */
  private named(bottom: Blob[], top: Blob[], f: () => void): void {
    const inPlace = top.map((t, i) => (t === bottom[i] ? t.shape.slice() : null));
    try {
      f();
    } catch (e) {
      if (e instanceof BlobShapeError) fatal(this, e.message);
      throw e;
    }
    inPlace.forEach((was, i) => {
      const now = top[i].shape;
      if (!was || (was.length === now.length && was.every((d, j) => d === now[j]))) return;
      fatal(this, `cannot compute in place: its top ${i} (${was.join(' ')}) would become ${now.join(' ')}`);
    });
  }

  /** One-time set-up: read parameters, create and fill parameter blobs. */
  layerSetUp(_bottom: Blob[], _top: Blob[]): void {}

  /** Shapes the tops (and internal buffers) from the bottoms. */
  abstract reshape(bottom: Blob[], top: Blob[]): void;

  /** Reshapes, computes the tops (on the device in GPU mode), returns the weighted loss of loss tops. */
  forward(bottom: Blob[], top: Blob[]): number {
    this.reshapeNamed(bottom, top);
    const gpu = mode() === 'GPU';
    if (gpu) this.forwardGpu(bottom, top);
    else this.forwardCpu(bottom, top);
    let loss = 0;
    for (let t = 0; t < top.length; t++) {
      if (!this.lossWeights[t]) continue;
      if (gpu) {
        // Caffe's caffe_gpu_dot of data and loss weights: one scalar back to the host
        loss += currentDevice().math.dot(top[t].count, top[t].gpuData(), top[t].gpuDiff());
        continue;
      }
      const d = top[t].cpuData(),
        w = top[t].cpuDiff();
      for (let i = 0; i < d.length; i++) loss += d[i] * w[i];
    }
    return loss;
  }

  /** Gradients w.r.t. bottoms (where propagateDown) and parameters (where paramPropagateDown). */
  backward(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (mode() === 'GPU') this.backwardGpu(top, propagateDown, bottom);
    else this.backwardCpu(top, propagateDown, bottom);
  }

  protected abstract forwardCpu(bottom: Blob[], top: Blob[]): void;

  /** The device forward; without a device kernel, the CPU one on synced host memory (as Caffe's
   *  Forward_gpu default), the tops then current on the host until a device kernel reads them. */
  protected forwardGpu(bottom: Blob[], top: Blob[]): void {
    this.forwardCpu(bottom, top);
  }

  /** The device backward; without a device kernel, the CPU one (as Caffe's Backward_gpu default). */
  protected backwardGpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    this.backwardCpu(top, propagateDown, bottom);
  }

  protected backwardCpu(_top: Blob[], propagateDown: boolean[], _bottom: Blob[]): void {
    if (propagateDown.some(Boolean))
      throw new CaffeError(`${this.type} layer ${this.name} cannot backpropagate to its inputs`);
  }

  // Blob-count contract (-1 = no constraint), checked in setUp.
  exactNumBottomBlobs(): number {
    return -1;
  }
  minBottomBlobs(): number {
    return -1;
  }
  maxBottomBlobs(): number {
    return -1;
  }
  exactNumTopBlobs(): number {
    return -1;
  }
  minTopBlobs(): number {
    return -1;
  }
  maxTopBlobs(): number {
    return -1;
  }
  equalNumBottomTopBlobs(): boolean {
    return false;
  }
  /** Whether the Net may create anonymous tops up to the required count. */
  autoTopBlobs(): boolean {
    return false;
  }
  /** Whether force_backward may make this bottom receive a gradient (false for labels). */
  allowForceBackward(_bottomIndex: number): boolean {
    return true;
  }

  /** Releases what the layer holds outside the JS heap (worker threads, native primitives). */
  dispose(): void {}

  /**
   * What the layer holds besides its tops and parameters, as far as known after reshape, for the
   * Net's memory estimate: its Blob fields (and arrays of them) and the bytes of its typed-array
   * fields. Layers holding memory elsewhere (native primitives, prefetch buffers) add it, including
   * what backward allocates when `propagateDown` (the bottoms backward reaches) is given.
   */
  internalMemory(_propagateDown?: readonly boolean[]): LayerMemory {
    const blobs: Blob[] = [];
    let bytes = 0;
    for (const [key, v] of Object.entries(this)) {
      if (key === 'blobs') continue;
      if (v instanceof Blob) blobs.push(v);
      else if (ArrayBuffer.isView(v)) bytes += v.byteLength;
      else if (Array.isArray(v)) for (const x of v) if (x instanceof Blob) blobs.push(x);
    }
    return { blobs, bytes };
  }

  loss(topIndex: number): number {
    return this.lossWeights[topIndex] ?? 0;
  }
  setLoss(topIndex: number, w: number): void {
    this.lossWeights[topIndex] = w;
  }

  paramPropagate(i: number): boolean {
    return this.paramPropagateDown[i] ?? false;
  }
  setParamPropagateDown(i: number, v: boolean): void {
    this.paramPropagateDown[i] = v;
  }

  /** This layer's `<x>_param` message read through its schema defaults (an empty one if unset). */
  protected param<K extends LayerParamField>(field: K): LayerParamView<K> {
    const typeName = subMessageType('caffe.LayerParameter', field);
    return withDefaults(typeName, this.layerParam[field]) as unknown as LayerParamView<K>;
  }

  /** This layer's `<x>_param` message as written (unset fields absent, for has_ checks). */
  protected rawParam<K extends LayerParamField>(field: K): NonNullable<LayerParameter[K]> {
    return (this.layerParam[field] ?? {}) as NonNullable<LayerParameter[K]>;
  }

  private checkBlobCounts(bottom: Blob[], top: Blob[]): void {
    const who = `${this.type} Layer ${this.name}`;
    const chk = (ok: boolean, what: string) => {
      if (!ok) throw new CaffeError(`${who} ${what}`);
    };
    const eb = this.exactNumBottomBlobs(),
      mnb = this.minBottomBlobs(),
      mxb = this.maxBottomBlobs();
    const et = this.exactNumTopBlobs(),
      mnt = this.minTopBlobs(),
      mxt = this.maxTopBlobs();
    if (eb >= 0) chk(bottom.length === eb, `takes ${eb} bottom blob(s) as input.`);
    if (mnb >= 0) chk(bottom.length >= mnb, `takes at least ${mnb} bottom blob(s) as input.`);
    if (mxb >= 0) chk(bottom.length <= mxb, `takes at most ${mxb} bottom blob(s) as input.`);
    if (et >= 0) chk(top.length === et, `produces ${et} top blob(s) as output.`);
    if (mnt >= 0) chk(top.length >= mnt, `produces at least ${mnt} top blob(s) as output.`);
    if (mxt >= 0) chk(top.length <= mxt, `produces at most ${mxt} top blob(s) as output.`);
    if (this.equalNumBottomTopBlobs())
      chk(bottom.length === top.length, 'produces one top blob as output for each bottom blob input.');
  }

  private setLossWeights(top: Blob[]): void {
    const w = this.layerParam.loss_weight ?? [];
    if (!w.length) return;
    if (w.length !== top.length)
      throw new CaffeError(`${this.name}: loss_weight must be unspecified or specified once per top blob.`);
    for (let t = 0; t < top.length; t++) {
      if (w[t] === 0) continue;
      this.setLoss(t, w[t]);
      top[t].mutableCpuDiff().fill(w[t]);
    }
  }
}

/** Base of loss layers: loss_weight defaults to 1 on the first top; labels get no gradient. */
export abstract class LossLayer extends Layer {
  override layerSetUp(_bottom: Blob[], _top: Blob[]): void {
    if (!this.layerParam.loss_weight?.length) this.layerParam.loss_weight = [1];
  }
  override exactNumBottomBlobs(): number {
    return 2;
  }
  override exactNumTopBlobs(): number {
    return 1;
  }
  override autoTopBlobs(): boolean {
    return true;
  }
  override allowForceBackward(i: number): boolean {
    return i !== 1;
  }
}
