// Memory planning for gradients (a caffets addition; Caffe gives every blob its own diff). In a
// backward pass a blob's diff lives from the first layer that writes it (its last consumer, going
// backward) to the last one that reads it (its producer): layers [first, last] in net order. Blobs
// whose intervals do not overlap can hold their diffs in one buffer, as a framework's planner would, so
// the diffs of a chain take the memory of the few live at once instead of all of them.
//
// Only diffs that backward always overwrites before reading are pooled: not the net's inputs or
// outputs, not loss tops (their diff holds the loss weight), not a parameter's diff (Parameter layer),
// and not a blob one of whose consumers does not propagate down to it (its producer would read what
// that consumer never wrote: zeros in Caffe). Blobs that share one diff (Reshape, Flatten, in-place
// layers) move together. After backward, only the parameters' diffs and the pooled blobs' latest
// values are meaningful: a caller who reads intermediate diffs afterwards must not plan.
import { SyncedMemory } from '../core/synced_memory';
import type { Net } from './net';

interface Unit {
  blobIds: number[];
  first: number; // lowest layer index touching the diff (read last in backward)
  last: number; // highest (written first in backward)
  size: number;
  pooled: boolean;
}

/** Gives the pooled blobs of `net` shared diff buffers; returns how many buffers replace how many. */
export function planDiffMemory(net: Net): { buffers: number; units: number } {
  const units = new Map<SyncedMemory, Unit>();
  const unitOf = (id: number) => {
    const mem = net.blobs[id].diffMemory;
    let u = units.get(mem);
    if (!u) {
      u = { blobIds: [], first: Infinity, last: -Infinity, size: mem.size, pooled: true };
      units.set(mem, u);
    }
    return u;
  };
  net.blobs.forEach((blob, id) => {
    const u = unitOf(id);
    u.blobIds.push(id);
    u.size = Math.max(u.size, blob.capacity);
  });
  const consumed = new Set<number>();
  net.layers.forEach((_, l) => {
    const touch = (id: number) => {
      const u = unitOf(id);
      u.first = Math.min(u.first, l);
      u.last = Math.max(u.last, l);
    };
    net.topIdVecs[l].forEach(touch);
    net.bottomIdVecs[l].forEach((id, b) => {
      touch(id);
      consumed.add(id);
      if (!net.bottomNeedBackward[l][b]) unitOf(id).pooled = false;
    });
  });
  const fixed = new Set<number>([...net.inputBlobIndices, ...net.outputBlobIndices]);
  net.blobs.forEach((_, id) => {
    if (fixed.has(id) || !consumed.has(id) || (net.blobLossWeights[id] ?? 0) !== 0) unitOf(id).pooled = false;
  });
  for (const p of net.params) {
    const u = units.get(p.diffMemory);
    if (u) u.pooled = false;
  }

  // Greedy interval colouring in backward order: a buffer is free again once the unit using it has
  // been read by its producer (its `first` layer lies above the next unit's `last`).
  const order = [...units.values()].filter((u) => u.pooled).sort((a, b) => b.last - a.last);
  const buffers: { freeBelow: number; size: number; units: Unit[] }[] = [];
  for (const u of order) {
    let best: (typeof buffers)[number] | undefined;
    for (const b of buffers)
      if (b.freeBelow > u.last && (!best || Math.abs(b.size - u.size) < Math.abs(best.size - u.size))) best = b;
    if (!best) buffers.push((best = { freeBelow: Infinity, size: 0, units: [] }));
    best.freeBelow = u.first;
    best.size = Math.max(best.size, u.size);
    best.units.push(u);
  }
  for (const b of buffers) {
    const mem = new SyncedMemory(b.size);
    for (const u of b.units) for (const id of u.blobIds) net.blobs[id].useDiffMemory(mem);
  }
  return { buffers: buffers.length, units: order.length };
}
