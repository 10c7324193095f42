// Forward fusions of a net whose layers run no backward (TEST phase, or below every loss): a
// Convolution whose top is next read by an in-place ReLU (negative_slope 0) applies the ReLU itself (a
// oneDNN post-op: y = max(conv + b, 0)) and the ReLU's CPU forward does nothing; the top holds the same
// values after the pair as before. (oneDNN's forward_inference kind is not asked for: it picks NHWC
// kernels whose reorders from Caffe's NCHW blobs cost more than they save, 0.9x on SqueezeNet.)
// A MAX Pooling with one top computes its values without the argmax (no backward will read it).
import { ConvolutionLayer } from '../layers/Convolution';
import { PoolingLayer } from '../layers/Pooling';
import { ReLULayer } from '../layers/ReLU';
import type { Net } from './net';

export function fuseForward(net: Net): void {
  net.layers.forEach((layer, id) => {
    if (layer instanceof PoolingLayer && !net.layerNeedBackward[id] && net.topIdVecs[id].length === 1)
      layer.skipArgmax();
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
