// The diff planner (planDiffMemory): backward through a planned net gives the same loss and the same
// parameter gradients, bit for bit, as through an unplanned one, on a net with splits,
// Concat, Flatten, in-place layers, a propagate_down: false bottom whose producer learns, and a
// weighted intermediate top; and the pooled diffs take fewer buffers than the blobs they serve.
import { Net, planDiffMemory } from '../../src/net';
import { fillBlob } from '../../src/core/filler';
import { setRandomSeed } from '../../src/core/rng';
import { describeEngines } from '../engines';
import { captureLog, netParam } from './support';

const NET = `name: "p"
layer { name: "data" type: "Input" top: "data" top: "label"
  input_param { shape { dim: 4 dim: 3 dim: 6 dim: 6 } shape { dim: 4 } } }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
  convolution_param { num_output: 5 kernel_size: 3 weight_filler { type: "gaussian" std: 0.3 } } }
layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
layer { name: "convA" type: "Convolution" bottom: "conv1" top: "a"
  convolution_param { num_output: 4 kernel_size: 1 weight_filler { type: "gaussian" std: 0.3 } } }
layer { name: "convB" type: "Convolution" bottom: "conv1" top: "b"
  convolution_param { num_output: 3 kernel_size: 1 weight_filler { type: "gaussian" std: 0.3 } } }
layer { name: "cat" type: "Concat" bottom: "a" bottom: "b" top: "cat" }
layer { name: "pool" type: "Pooling" bottom: "cat" top: "pool" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
layer { name: "flat" type: "Flatten" bottom: "pool" top: "flat" }
layer { name: "ip1" type: "InnerProduct" bottom: "flat" top: "ip1"
  inner_product_param { num_output: 6 weight_filler { type: "gaussian" std: 0.3 } } }
layer { name: "side" type: "InnerProduct" bottom: "flat" top: "side"
  inner_product_param { num_output: 2 weight_filler { type: "gaussian" std: 0.3 } } }
layer { name: "side2" type: "InnerProduct" bottom: "ip1" top: "side2"
  inner_product_param { num_output: 2 weight_filler { type: "gaussian" std: 0.3 } } }
layer { name: "stop" type: "Eltwise" bottom: "side" bottom: "side2" top: "sum"
  propagate_down: false propagate_down: true
  eltwise_param { operation: SUM } }
layer { name: "tanh" type: "TanH" bottom: "ip1" top: "t" loss_weight: 0.5 }
layer { name: "ip2" type: "InnerProduct" bottom: "t" top: "ip2"
  inner_product_param { num_output: 2 weight_filler { type: "gaussian" std: 0.3 } } }
layer { name: "sum2" type: "Eltwise" bottom: "ip2" bottom: "sum" top: "out"
  eltwise_param { operation: SUM coeff: 1 coeff: 0.5 } }
layer { name: "r" type: "Reduction" bottom: "out" top: "r" reduction_param { axis: 1 } }
layer { name: "loss" type: "EuclideanLoss" bottom: "r" bottom: "label" top: "loss" }
`;

// A layer that shares memory with its tops at reshape (RNN: its top is its unrolled net's output)
const RECURRENT = `name: "r"
layer { name: "data" type: "Input" top: "data" top: "cont" top: "label"
  input_param { shape { dim: 3 dim: 2 dim: 4 } shape { dim: 3 dim: 2 } shape { dim: 3 dim: 2 dim: 5 } } }
layer { name: "rnn" type: "RNN" bottom: "data" bottom: "cont" top: "rnn"
  recurrent_param { num_output: 5 weight_filler { type: "gaussian" std: 0.3 } } }
layer { name: "ip" type: "InnerProduct" bottom: "rnn" top: "ip"
  inner_product_param { num_output: 5 axis: 2 weight_filler { type: "gaussian" std: 0.3 } } }
layer { name: "loss" type: "EuclideanLoss" bottom: "ip" bottom: "label" top: "loss" }
`;

function build(plan: boolean, text = NET) {
  setRandomSeed(7);
  const net = captureLog(() => new Net(netParam(text), { phase: 'TRAIN' })).result;
  fillBlob(net.inputBlobs[0], { type: 'gaussian', std: 1 });
  fillBlob(net.inputBlobs[1], { type: 'uniform', min: -1, max: 1 });
  if (net.inputBlobs[2]) {
    net.inputBlobs[1].mutableCpuData().set([0, 0, 1, 1, 1, 0]); // cont: sequences start and restart
    fillBlob(net.inputBlobs[2], { type: 'uniform', min: -1, max: 1 });
  }
  const stats = plan ? planDiffMemory(net) : null;
  return { net, stats };
}

function run(net: Net) {
  const losses: number[] = [];
  for (let i = 0; i < 2; i++) {
    for (const p of net.learnableParams) p.mutableCpuDiff().fill(0);
    losses.push(net.forward());
    net.backward();
  }
  return {
    losses,
    params: net.learnableParams.map((p) => Array.from(p.cpuDiff())),
  };
}

describeEngines('planDiffMemory', () => {
  it('gives the same losses and parameter gradients, bit for bit, as the unplanned net', () => {
    const plain = build(false),
      planned = build(true);
    const diffsBefore = new Set(plain.net.blobs.map((b) => b.diffMemory)).size;
    const diffsAfter = new Set(planned.net.blobs.map((b) => b.diffMemory)).size;
    expect(planned.stats!.units).toBeGreaterThan(planned.stats!.buffers);
    expect(diffsAfter).toBeLessThan(diffsBefore);
    const a = run(plain.net),
      b = run(planned.net);
    expect(b.losses).toEqual(a.losses);
    expect(b.params).toEqual(a.params);
    expect(a.params.some((g) => g.some((v) => v !== 0))).toBe(true);
    plain.net.dispose();
    planned.net.dispose();
  });

  it('a layer sharing its top with an inner net (RNN): the same gradients, bit for bit', () => {
    const plain = build(false, RECURRENT),
      planned = build(true, RECURRENT);
    const a = run(plain.net),
      b = run(planned.net);
    expect(b.losses).toEqual(a.losses);
    expect(b.params).toEqual(a.params);
    expect(a.params.every((g) => g.some((v) => v !== 0))).toBe(true);
    plain.net.dispose();
    planned.net.dispose();
  });

  it('keeps its own diff for loss-weighted tops and a bottom not propagated to', () => {
    const { net } = build(true);
    const own = (name: string) => {
      const mem = net.blobs[net.blobNames.indexOf(name)].diffMemory;
      return net.blobs.filter((b) => b.diffMemory === mem).length;
    };
    for (const name of ['t_tanh_0_split_0', 'side', 'loss']) expect(own(name)).toBe(1);
    expect(own('conv1')).toBeGreaterThan(1);
    net.dispose();
  });
});
