// The Net on small MLPs: wiring, shapes, backward needs, whole-net numerical gradients (splits and
// shared parameters included), construction errors in Caffe's words, forward/backward ranges.
import { Net } from '../../src/net';
import { Blob } from '../../src/core/blob';
import { Layer } from '../../src/core/layer';
import { registerLayer } from '../../src/core/layer_factory';
import { setRandomSeed, Rng } from '../../src/core/rng';
import { Message } from '../../src/proto/schema';
import { captureLog, netParam } from './support';

const MLP =
  `name: "mlp"
layer { name: "data" type: "Input" top: "data" top: "label" ` +
  `input_param { shape { dim: 4 dim: 3 } shape { dim: 4 dim: 2 } } }
layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1"
  inner_product_param { num_output: 5 weight_filler { type: "gaussian" std: 0.5 } ` +
  `bias_filler { type: "uniform" min: -0.5 max: 0.5 } } }
layer { name: "relu1" type: "ReLU" bottom: "ip1" top: "ip1" relu_param { negative_slope: 0.1 } }
layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2"
  inner_product_param { num_output: 2 weight_filler { type: "gaussian" std: 0.5 } ` +
  `bias_filler { type: "uniform" min: -0.5 max: 0.5 } } }
layer { name: "ip3" type: "InnerProduct" bottom: "ip1" top: "ip3" ` +
  `param { lr_mult: 2 } param { lr_mult: 0 decay_mult: 0 }
  inner_product_param { num_output: 2 weight_filler { type: "gaussian" std: 0.5 } ` +
  `bias_filler { type: "uniform" min: -0.5 max: 0.5 } } }
layer { name: "loss" type: "TestEuclideanLoss" bottom: "ip2" bottom: "label" top: "loss" }
layer { name: "loss3" type: "TestEuclideanLoss" bottom: "ip3" bottom: "label" top: "loss3" loss_weight: 0.5 }
`;

/** Builds a net quietly, with the RNG seeded, inputs filled from a fixed seed. */
function build(text: string | Message, overrides = {}): Net {
  setRandomSeed(1701);
  const net = captureLog(() => new Net(typeof text === 'string' ? netParam(text) : text, overrides)).result;
  fillInputs(net);
  return net;
}

function fillInputs(net: Net, seed = 7): void {
  const r = new Rng(seed);
  for (const b of net.inputBlobs) {
    const d = b.mutableCpuData();
    for (let i = 0; i < d.length; i++) d[i] = r.uniform(-1, 1);
  }
}

/** Central differences of the net's loss w.r.t. every element of `blobs`, against the backward diffs. */
function checkNetGradient(net: Net, blobs: Blob[], h = 1e-3, thr = 1e-2): number {
  net.clearParamDiffs();
  net.forwardBackward();
  const analytic = blobs.map((b) => Float32Array.from(b.cpuDiff()));
  let checked = 0;
  blobs.forEach((b, j) => {
    const x = b.mutableCpuData();
    for (let i = 0; i < x.length; i++) {
      const x0 = x[i];
      x[i] = x0 + h;
      const lp = net.forward();
      x[i] = x0 - h;
      const lm = net.forward();
      x[i] = x0;
      const est = (lp - lm) / (2 * h),
        got = analytic[j][i];
      if (Math.abs(est - got) > thr * Math.max(1, Math.abs(est), Math.abs(got))) {
        throw new Error(`blob ${j} element ${i}: analytic ${got}, numeric ${est}`);
      }
      checked++;
    }
  });
  return checked;
}

describe('Net: an MLP with two heads', () => {
  const net = build(MLP);

  it('wires layers and blobs as Caffe (split after the in-place ReLU)', () => {
    expect(net.name).toBe('mlp');
    expect(net.layerNames).toEqual([
      'data',
      'label_data_1_split',
      'ip1',
      'relu1',
      'ip1_relu1_0_split',
      'ip2',
      'ip3',
      'loss',
      'loss3',
    ]);
    expect(net.blobNames).toEqual([
      'data',
      'label',
      'label_data_1_split_0',
      'label_data_1_split_1',
      'ip1',
      'ip1_relu1_0_split_0',
      'ip1_relu1_0_split_1',
      'ip2',
      'ip3',
      'loss',
      'loss3',
    ]);
    expect(net.blobs.map((b) => b.shape)).toEqual([
      [4, 3],
      [4, 2],
      [4, 2],
      [4, 2],
      [4, 5],
      [4, 5],
      [4, 5],
      [4, 2],
      [4, 2],
      [],
      [],
    ]);
    expect(net.topVecs[3][0]).toBe(net.bottomVecs[3][0]); // in place
    expect(net.inputBlobs).toEqual([net.blobByName('data'), net.blobByName('label')]);
    expect(net.inputBlobIndices).toEqual([0, 1]);
    expect(net.outputBlobIndices).toEqual([9, 10]);
    expect(net.blobLossWeights).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0.5]);
    // in-place tops count again, as in Caffe
    expect(net.memoryUsed).toBe(12 + 8 + 8 * 2 + 20 + 20 + 20 * 2 + 8 + 8 + 1 + 1);
    expect(net.layers.every((l) => l.phase === 'TEST')).toBe(true); // no state: Caffe's default phase
  });

  it('works out backward needs and lr / decay multipliers', () => {
    expect(net.layerNeedBackward).toEqual([false, false, true, true, true, true, true, true, true]);
    expect(net.bottomNeedBackward).toEqual([
      [],
      [false],
      [false],
      [true],
      [true],
      [true],
      [true],
      [true, false],
      [true, false],
    ]);
    expect(net.blobNeedBackward).toEqual([false, false, false, false, true, true, true, true, true, true, true]);
    expect(net.paramDisplayNames).toEqual(['0', '1', '0', '1', '0', '1']);
    expect(net.paramOwners).toEqual([-1, -1, -1, -1, -1, -1]);
    expect(net.learnableParams).toEqual(net.params);
    expect(net.paramsLr).toEqual([1, 1, 1, 1, 2, 0]);
    expect(net.hasParamsLr).toEqual([false, false, false, false, true, true]);
    expect(net.paramsWeightDecay).toEqual([1, 1, 1, 1, 1, 0]);
    expect(net.hasParamsDecay).toEqual([false, false, false, false, false, true]);
    expect(net.layerByName('ip3').paramPropagate(1)).toBe(false); // lr_mult 0: no gradient for it
    expect(net.layerByName('ip3').paramPropagate(0)).toBe(true);
  });

  it('forward returns the weighted sum of the losses', () => {
    const loss = net.forward();
    const eu = (a: Blob, b: Blob) => {
      let s = 0;
      a.cpuData().forEach((v, i) => {
        s += (v - b.cpuData()[i]) ** 2;
      });
      return s / a.num / 2;
    };
    const label = net.blobByName('label');
    const want = eu(net.blobByName('ip2'), label) + 0.5 * eu(net.blobByName('ip3'), label);
    expect(loss).toBeCloseTo(want, 5);
    expect(net.blobByName('loss').cpuData()[0]).toBeCloseTo(eu(net.blobByName('ip2'), label), 6);
    expect(net.forwardFromTo(0, 4)).toBe(0);
    expect(net.forwardFrom(5)).toBeCloseTo(want, 5);
    expect(net.forwardTo(8)).toBeCloseTo(want, 5);
  });

  it('has the numerical gradient w.r.t. every learnable parameter', () => {
    const params = net.learnableParams.filter((_, i) => net.paramsLr[i] !== 0);
    expect(checkNetGradient(net, params)).toBe(15 + 5 + 10 + 2 + 10);
  });

  it('does not touch the diff of a parameter with lr_mult 0', () => {
    net.clearParamDiffs();
    net.forwardBackward();
    expect(net.params[5].asumDiff()).toBe(0);
    expect(net.params[4].asumDiff()).toBeGreaterThan(0);
  });

  it('update() steps data by -diff, clearParamDiffs() zeroes the diffs', () => {
    const n = build(MLP);
    n.forwardBackward();
    const before = Float32Array.from(n.params[0].cpuData()),
      diff = Float32Array.from(n.params[0].cpuDiff());
    n.update();
    n.params[0].cpuData().forEach((v, i) => expect(v).toBeCloseTo(before[i] - diff[i], 6));
    n.clearParamDiffs();
    expect(n.learnableParams.every((p) => p.asumDiff() === 0)).toBe(true);
  });

  it('backward ranges run only the asked layers', () => {
    const n = build(MLP);
    n.forward();
    n.clearParamDiffs();
    n.backwardTo(5); // the loss layers and ip3, ip2; not ip1
    expect(n.params[2].asumDiff()).toBeGreaterThan(0);
    expect(n.params[0].asumDiff()).toBe(0);
    n.backwardFrom(4);
    expect(n.params[0].asumDiff()).toBeGreaterThan(0);
  });

  it('reshape() propagates a new input shape', () => {
    const n = build(MLP);
    n.blobByName('data').reshape([7, 3]);
    n.blobByName('label').reshape([7, 2]);
    n.reshape();
    expect(n.blobByName('ip1_relu1_0_split_1').shape).toEqual([7, 5]);
    expect(n.blobByName('ip3').shape).toEqual([7, 2]);
    fillInputs(n);
    expect(Number.isFinite(n.forward())).toBe(true);
  });

  it("looks blobs and layers up by name (unknown: Caffe's warning, then an error)", () => {
    expect(net.hasBlob('ip1')).toBe(true);
    expect(net.hasBlob('nope')).toBe(false);
    expect(net.hasLayer('relu1')).toBe(true);
    expect(net.layerByName('relu1').type).toBe('ReLU');
    const { lines } = captureLog(() => {
      expect(() => net.blobByName('nope')).toThrow('Unknown blob name nope');
    });
    expect(lines).toEqual(['W Unknown blob name nope']);
    expect(
      captureLog(() => {
        expect(() => net.layerByName('x')).toThrow('Unknown layer name x');
      }).lines,
    ).toEqual(['W Unknown layer name x']);
  });
});

describe('Net: backward needs', () => {
  it('force_backward reaches the inputs (numerical gradient w.r.t. the data)', () => {
    const n = build(`force_backward: true\n${MLP}`);
    expect(n.layerNeedBackward.every(Boolean)).toBe(true);
    expect(n.bottomNeedBackward[2]).toEqual([true]);
    expect(n.bottomNeedBackward[7]).toEqual([true, true]); // the stand-in loss allows it for both
    expect(n.layerByName('ip3').paramPropagate(1)).toBe(true);
    checkNetGradient(n, [n.blobByName('data')]);
  });

  it('propagate_down: false stops the gradient at that bottom', () => {
    const a = build(MLP.replace('top: "ip2"\n', 'top: "ip2" propagate_down: false\n'));
    expect(a.bottomNeedBackward[5]).toEqual([false]);
    a.clearParamDiffs();
    a.forwardBackward();
    expect(a.params[2].asumDiff()).toBeGreaterThan(0); // ip2's own params still learn
    // ip1 learns from the ip3 head only: as if the ip2 head carried no loss
    const b = build(MLP.replace('top: "loss" }', 'top: "loss" loss_weight: 0 }'));
    b.clearParamDiffs();
    b.forwardBackward();
    expect(b.params[2].asumDiff()).toBe(0);
    expect(Array.from(a.params[0].cpuDiff())).toEqual(Array.from(b.params[0].cpuDiff()));
    expect(a.params[0].asumDiff()).toBeGreaterThan(0);
  });

  it('layers that do not reach a loss need no backward', () => {
    const n = build(MLP.replace(' loss_weight: 0.5', ' loss_weight: 0'));
    expect(n.layerNeedBackward[n.layerNames.indexOf('ip3')]).toBe(false);
    expect(n.layerNeedBackward[n.layerNames.indexOf('loss3')]).toBe(false);
    expect(n.blobLossWeights[n.blobNames.indexOf('loss3')]).toBe(0);
  });
});

describe('Net: parameter sharing', () => {
  const SHARED =
    `
layer { name: "data" type: "Input" top: "data" top: "label" ` +
    `input_param { shape { dim: 3 dim: 4 } shape { dim: 3 dim: 4 } } }
layer { name: "ipA" type: "InnerProduct" bottom: "data" top: "ipA" ` +
    `param { name: "w" lr_mult: 2 } param { name: "b" decay_mult: 0 }
  inner_product_param { num_output: 4 weight_filler { type: "gaussian" std: 0.5 } ` +
    `bias_filler { type: "gaussian" std: 0.5 } } }
layer { name: "ipB" type: "InnerProduct" bottom: "ipA" top: "ipB" param { name: "w" } param { name: "b" lr_mult: 3 }
  inner_product_param { num_output: 4 weight_filler { type: "gaussian" std: 0.5 } ` +
    `bias_filler { type: "gaussian" std: 0.5 } } }
layer { name: "loss" type: "TestEuclideanLoss" bottom: "ipB" bottom: "label" top: "loss" }`;

  it('shares data and diff with the first user of a name; merges multipliers as Caffe', () => {
    const { lines, result: n } = captureLog(() => new Net(netParam(SHARED)));
    expect(lines).toContain("I Sharing parameters 'w' owned by layer 'ipA', param index 0");
    expect(lines).toContain("I Sharing parameters 'b' owned by layer 'ipA', param index 1");
    expect(n.params).toHaveLength(4);
    expect(n.learnableParams).toEqual([n.params[0], n.params[1]]);
    expect(n.paramOwners).toEqual([-1, -1, 0, 1]);
    expect(n.learnableParamIds).toEqual([0, 1, 0, 1]);
    expect(n.paramDisplayNames).toEqual(['w', 'b', 'w', 'b']);
    expect([...n.paramNamesIndex]).toEqual([
      ['w', 0],
      ['b', 1],
    ]);
    expect(n.paramsLr).toEqual([2, 3]);
    expect(n.hasParamsLr).toEqual([true, true]);
    expect(n.paramsWeightDecay).toEqual([1, 0]);
    expect(n.hasParamsDecay).toEqual([false, true]);
    expect(n.params[2].dataMemory).toBe(n.params[0].dataMemory);
    expect(n.params[2].diffMemory).toBe(n.params[0].diffMemory);
  });

  it("accumulates both users' gradients into the owner (numerical check)", () => {
    const n = build(SHARED);
    expect(checkNetGradient(n, n.learnableParams)).toBe(20);
  });

  const two = (a: string, b: string, outB = 4) =>
    `
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 2 dim: 4 } } }
layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "y" param { ${a} } inner_product_param { num_output: 4 } }
layer { name: "ip2" type: "InnerProduct" bottom: "y" top: "z" param { ${b} } ` +
    `inner_product_param { num_output: ${outB} } }`;
  const fails = (text: string) => expect(() => captureLog(() => new Net(netParam(text))));

  it("checks shapes (strict) or counts (PERMISSIVE), and multipliers, with Caffe's messages", () => {
    fails(two('name: "w"', 'name: "w"', 3)).toThrow(
      "Check failed: this_blob->shape() == owner_blob->shape() Cannot share param 'w' " +
        "owned by layer 'ip1' with layer 'ip2'; shape mismatch.  " +
        'Owner layer param shape is 4 4 (16); sharing layer expects shape 3 4 (12)',
    );
    fails(two('name: "w"', 'name: "w" share_mode: PERMISSIVE', 3)).toThrow(
      'Check failed: this_blob->count() == owner_blob->count() (12 vs. 16) ' +
        "Cannot share param 'w' owned by layer 'ip1' with layer 'ip2'; count mismatch.  " +
        'Owner layer param shape is 4 4 (16); sharing layer shape is 3 4 (12)',
    );
    fails(two('name: "w" lr_mult: 1', 'name: "w" lr_mult: 2.5')).toThrow(
      'Check failed: param_spec->lr_mult() == params_lr_[learnable_param_id] ' +
        "(2.5 vs. 1) Shared param 'w' has mismatched lr_mult.",
    );
    fails(two('name: "w" decay_mult: 1', 'name: "w" decay_mult: 0.1')).toThrow(
      'Check failed: param_spec->decay_mult() == ' +
        "params_weight_decay_[learnable_param_id] (0.1 vs. 1) Shared param 'w' has mismatched decay_mult.",
    );
    expect(() =>
      captureLog(() => new Net(netParam(two('name: "w"', 'name: "w" share_mode: PERMISSIVE')))),
    ).not.toThrow();
  });
});

describe("Net: construction errors in Caffe's words", () => {
  const fails = (text: string) => expect(() => captureLog(() => new Net(netParam(text))));
  const IN = 'layer { name: "a" type: "Input" top: "x" input_param { shape { dim: 2 dim: 3 } } }\n';

  it('unknown bottoms, duplicate tops, propagate_down size, too many param specs', () => {
    fails(`${IN}layer { name: "r1" type: "ReLU" bottom: "z" top: "y" }`).toThrow(
      "Unknown bottom blob 'z' (layer 'r1', bottom index 0)",
    );
    fails(
      `${IN}layer { name: "r1" type: "ReLU" bottom: "x" top: "y" }\n` +
        `layer { name: "b" type: "ReLU" bottom: "y" top: "x" }`,
    ).toThrow("Top blob 'x' produced by multiple sources.");
    fails(
      `${IN}layer { name: "r1" type: "ReLU" bottom: "x" top: "y" propagate_down: true propagate_down: false }`,
    ).toThrow(
      'Check failed: layer_param.propagate_down_size() == layer_param.bottom_size() (2 vs. 1) ' +
        'propagate_down param must be specified either 0 or bottom_size times',
    );
    fails(
      `${IN}layer { name: "ip" type: "InnerProduct" bottom: "x" top: "y" ` +
        `param {} param {} param {} inner_product_param { num_output: 2 } }`,
    ).toThrow('Check failed: param_size <= num_param_blobs (3 vs. 2) Too many params specified for layer ip');
  });

  it('refuses in place a layer that changes the shape of its top (it would read what it overwrote)', () => {
    const IN2 = 'layer { name: "a" type: "Input" top: "x" top: "y" input_param { shape { dim: 2 dim: 3 } } }\n';
    fails(`${IN2}layer { name: "c" type: "Concat" bottom: "x" bottom: "y" top: "x" }`).toThrow(
      'Concat layer c: cannot compute in place: its top 0 (2 3) would become 2 6',
    );
    // and at a later reshape: an empty block tiled in place keeps its shape, a full one would not
    const tile = captureLog(
      () =>
        new Net(
          netParam(
            'layer { name: "a" type: "Input" top: "x" input_param { shape { dim: 7 dim: 0 dim: 2 } } }\n' +
              'layer { name: "t" type: "Tile" bottom: "x" top: "x" tile_param { axis: 1 tiles: 2 } }',
          ),
        ),
    ).result;
    tile.blobByName('x').reshape([4, 4, 1]);
    expect(() => tile.forward()).toThrow('Tile layer t: cannot compute in place: its top 0 (4 4 1) would become 4 8 1');
    expect(
      captureLog(() => new Net(netParam(`${IN}layer { name: "r" type: "ReLU" bottom: "x" top: "x" }`))).result,
    ).toBeInstanceOf(Net); // in place, same shape
  });

  it('disposes the layers it had set up when construction fails (their data workers do not linger)', () => {
    let disposed = 0;
    class Held extends Layer {
      reshape(): void {}
      protected forwardCpu(): void {}
      override dispose(): void {
        disposed++;
      }
    }
    registerLayer('TestHeld', Held);
    fails(
      `${IN}layer { name: "h" type: "TestHeld" bottom: "x" }\n` +
        'layer { name: "ip" type: "InnerProduct" bottom: "x" top: "y" inner_product_param { num_output: 0 } }',
    ).toThrow('InnerProduct layer ip: Check failed: count');
    expect(disposed).toBe(1);
  });

  it('auto tops: a loss layer without a top gets an anonymous one that is not an output', () => {
    const { lines, result: n } = captureLog(
      () => new Net(netParam(`${IN}layer { name: "l" type: "TestEuclideanLoss" bottom: "x" bottom: "x" }`)),
    );
    expect(lines).toContain('I l -> (automatic)');
    expect(n.blobNames).toEqual(['x', 'x_a_0_split_0', 'x_a_0_split_1', '(automatic)']);
    expect(n.outputBlobs).toEqual([]);
    expect(n.blobLossWeights[3]).toBe(1);
  });
});

describe('Net: with the built-in SoftmaxWithLoss and Accuracy', () => {
  const TEXT =
    `force_backward: true
layer { name: "data" type: "Input" top: "data" top: "label" input_param { shape { dim: 6 dim: 4 } shape { dim: 6 } } }
layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: 3 ` +
    `weight_filler { type: "xavier" } bias_filler { type: "gaussian" std: 0.3 } } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
layer { name: "accuracy" type: "Accuracy" bottom: "ip" bottom: "label" top: "accuracy" include { phase: TEST } }`;

  it('keeps labels out of force_backward and passes the whole-net gradient check', () => {
    const n = build(TEXT, { phase: 'TRAIN' });
    n.blobByName('label').mutableCpuData().set([0, 1, 2, 2, 1, 0]);
    expect(n.layerNames).toEqual(['data', 'ip', 'loss']);
    expect(n.bottomNeedBackward[2]).toEqual([true, false]);
    expect(checkNetGradient(n, [...n.learnableParams, n.blobByName('data')])).toBe(12 + 3 + 24);
  });

  it('TEST phase adds the Accuracy layer behind a split, which needs no backward', () => {
    const { lines, result: n } = captureLog(
      () => new Net(netParam(TEXT.replace('force_backward: true', '')), { phase: 'TEST' }),
    );
    expect(n.layerNames).toEqual(['data', 'label_data_1_split', 'ip', 'ip_ip_0_split', 'loss', 'accuracy']);
    expect(lines).toContain('I accuracy does not need backward computation.');
    expect(lines).toContain('I loss needs backward computation.');
    expect(n.outputBlobs.map((b) => n.blobNames[n.blobs.indexOf(b)])).toEqual(['accuracy', 'loss']);
  });
});
