// The memory a net will hold, estimated at set-up so that a net that cannot fit fails in one line before
// its forward allocates anything (blobs allocate lazily, on first use). It is a lower bound: each
// distinct buffer once (in-place tops, shared data and shared weights count once) of
//   - every blob's data, and its diff where backward reaches it (a loss top's diff holds its weight);
//   - every parameter's data, and its diff when training or when the layer runs backward;
//   - what each layer reports besides (Layer.internalMemory: buffers, masks, primitives' copies);
// not counted: solver history, the JS heap, oneDNN's scratchpads, and anything a layer cannot tell.
import type { Blob } from '../core/blob';
import type { SyncedMemory } from '../core/synced_memory';
import { CaffeError } from '../util/errors';
import { bytesText } from '../util/memory';
import type { Net } from './net';

const SIZEOF_FLOAT = 4;

/** Bytes by layer, each distinct buffer counted once, at the first layer that brings it. */
export class NetMemory {
  private seen = new Set<SyncedMemory>();
  readonly byLayer: number[] = [];
  total = 0;
  /** The largest scratch any layer's call takes from the shared arena (in `total` once). */
  private scratch = 0;

  private add(layerId: number, m: SyncedMemory): void {
    if (this.seen.has(m)) return;
    this.seen.add(m);
    this.addBytes(layerId, m.size * SIZEOF_FLOAT);
  }

  private addBytes(layerId: number, bytes: number): void {
    while (this.byLayer.length <= layerId) this.byLayer.push(0);
    this.byLayer[layerId] += bytes;
    this.total += bytes;
  }

  /**
   * A layer as set up: its tops' data, its parameters (with diffs when training) and its own buffers;
   * with `backward` (after Net::Init's analysis of what backward reaches) backward's share of them too.
   */
  addLayer(net: Net, layerId: number, backward = false): void {
    const layer = net.layers[layerId];
    for (const top of net.topVecs[layerId]) this.add(layerId, top.dataMemory);
    const reached = backward && net.layerNeedBackward[layerId];
    for (const p of layer.blobs) {
      this.add(layerId, p.dataMemory);
      if (net.phase === 'TRAIN' || reached) this.add(layerId, p.diffMemory);
    }
    const own = layer.internalMemory(reached ? net.bottomNeedBackward[layerId] : undefined);
    for (const b of own.blobs) this.add(layerId, b.dataMemory);
    this.addBytes(layerId, own.bytes);
    if ((own.scratch ?? 0) > this.scratch) {
      this.addBytes(layerId, own.scratch! - this.scratch);
      this.scratch = own.scratch!;
    }
  }

  /** The whole net once set up and analysed: every layer with backward's buffers, and the diffs used. */
  static ofNet(net: Net): NetMemory {
    const m = new NetMemory();
    net.layers.forEach((_, l) => m.addLayer(net, l, true));
    m.addDiffs(net);
    return m;
  }

  /** The diffs backward uses (after Net::Init's analysis). */
  private addDiffs(net: Net): void {
    const diffUsed = net.blobs.map((_, id) => (net.blobLossWeights[id] ?? 0) !== 0);
    const producer: number[] = [];
    net.layers.forEach((_, l) => {
      for (const id of net.topIdVecs[l]) producer[id] ??= l;
      if (net.layerNeedBackward[l]) for (const id of net.topIdVecs[l]) diffUsed[id] = true;
      net.bottomIdVecs[l].forEach((id, b) => {
        if (net.bottomNeedBackward[l][b]) diffUsed[id] = true;
      });
    });
    net.blobs.forEach((blob: Blob, id) => {
      if (diffUsed[id]) this.add(producer[id] ?? 0, blob.diffMemory);
    });
  }

  /**
   * Fails in one line when the estimate exceeds `available`; `upTo` (during set-up) says the estimate
   * covers the layers up to that one only.
   */
  check(net: Net, available: number, upTo?: number): void {
    if (this.total <= available) return;
    let largest = 0;
    this.byLayer.forEach((b, l) => {
      if (b > this.byLayer[largest]) largest = l;
    });
    const needs =
      upTo === undefined
        ? `needs ${bytesText(this.total)}`
        : `needs more than ${bytesText(this.total)} by layer ${net.layerNames[upTo]}`;
    throw new CaffeError(
      `out of memory: net "${net.name}" ${needs}, ${bytesText(available)} available ` +
        `(estimated: blobs, gradients, parameters, layer buffers; the largest, layer ` +
        `${net.layerNames[largest]}, takes ${bytesText(this.byLayer[largest])})`,
    );
  }
}
