// Forward fusions of a net whose layers run no backward (TEST phase, or below every loss): a
// Convolution whose top is next read by an in-place ReLU (negative_slope 0) applies the ReLU itself (a
// oneDNN post-op: y = max(conv + b, 0)) and the ReLU's CPU forward does nothing; the top holds the same
// values after the pair as before. (oneDNN's forward_inference kind is not asked for: it picks NHWC
// kernels whose reorders from Caffe's NCHW blobs cost more than they save, 0.9x on SqueezeNet.)
// A MAX Pooling with one top computes its values without the argmax (no backward will read it). A
// Concat lends its bottoms their slabs of its top when no later layer reads a bottom or rewrites the top.
import { ConvolutionLayer } from '../layers/Convolution';
import { ConcatLayer } from '../layers/Concat';
import { PoolingLayer } from '../layers/Pooling';
import { ReLULayer } from '../layers/ReLU';
import { SplitLayer } from '../layers/Split';
import type { Net } from './net';

export function fuseForward(net: Net): void {
  net.layers.forEach((layer, id) => {
    if (layer instanceof PoolingLayer && !net.layerNeedBackward[id] && net.topIdVecs[id].length === 1)
      layer.skipArgmax();
    if (layer instanceof ConcatLayer && !net.layerNeedBackward[id] && concatMayLend(net, id)) layer.lendToBottoms();
    if (!(layer instanceof ConvolutionLayer) || net.layerNeedBackward[id]) return;
    if (net.topIdVecs[id].length !== 1) return;
    const blob = net.topIdVecs[id][0];
    const next = net.bottomIdVecs.findIndex((b, j) => j > id && b.includes(blob));
    const relu = net.layers[next];
    if (
      !(relu instanceof ReLULayer) ||
      net.layerNeedBackward[next] ||
      relu.negativeSlope !== 0 ||
      net.bottomIdVecs[next][0] !== blob ||
      net.topIdVecs[next][0] !== blob
    )
      return;
    layer.fuseReLU();
    relu.fusedInto = layer;
  });
}

/**
 * Whether layer `id` (a Concat) may make its bottoms views of its top: no bottom is a Split's top (a
 * Split shares its bottom's memory at forward), the bottoms' memories are distinct, and no later layer
 * reads or writes one of them, or writes the top's. Memories are compared as objects (Flatten and
 * Reshape share theirs at set-up), a Split's tops as their bottom's.
 */
function concatMayLend(net: Net, id: number): boolean {
  const splitOf = new Map<number, number>();
  net.layers.forEach((l, j) => {
    if (l instanceof SplitLayer) for (const t of net.topIdVecs[j]) splitOf.set(t, net.bottomIdVecs[j][0]);
  });
  const mem = (b: number): unknown => (splitOf.has(b) ? mem(splitOf.get(b)!) : net.blobs[b].dataMemory);
  const ids = net.bottomIdVecs[id],
    bottoms = new Set(ids.map(mem)),
    top = mem(net.topIdVecs[id][0]);
  if (ids.some((b) => splitOf.has(b)) || bottoms.size !== ids.length) return false;
  for (let j = id + 1; j < net.layers.length; j++) {
    if ([...net.bottomIdVecs[j], ...net.topIdVecs[j]].some((b) => bottoms.has(mem(b)))) return false;
    if (net.topIdVecs[j].some((b) => mem(b) === top)) return false;
  }
  return true;
}
