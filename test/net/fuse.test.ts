// src/net/fuse.ts: a Convolution followed by an in-place ReLU applies the ReLU in its CPU forward when
// the net runs no backward; the tops are those of the unfused pair (the same net with force_backward).
import { Net } from '../../src/net';
import { ConvolutionLayer } from '../../src/layers/Convolution';
import { ReLULayer } from '../../src/layers/ReLU';
import { PoolingLayer } from '../../src/layers/Pooling';
import { ConcatLayer } from '../../src/layers/Concat';
import { setRandomSeed, Rng } from '../../src/core/rng';
import { captureLog, netParam } from './support';

const NET = (extra: string) => `${extra}
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 2 dim: 3 dim: 9 dim: 9 } } }
layer { name: "conv" type: "Convolution" bottom: "data" top: "conv"
  convolution_param { num_output: 8 kernel_size: 3 pad: 1
    weight_filler { type: "gaussian" std: 0.5 } bias_filler { type: "uniform" min: -1 max: 1 } } }
layer { name: "relu" type: "ReLU" bottom: "conv" top: "conv" }
layer { name: "conv2" type: "Convolution" bottom: "conv" top: "conv2"
  convolution_param { num_output: 4 kernel_size: 1 weight_filler { type: "gaussian" std: 0.5 } } }
layer { name: "leaky" type: "ReLU" bottom: "conv2" top: "conv2" relu_param { negative_slope: 0.1 } }
`;

function run(extra: string): { net: Net; out: Float32Array; conv: Float32Array } {
  setRandomSeed(1701);
  const net = captureLog(() => new Net(netParam(NET(extra)), { phase: 'TEST' })).result;
  const x = net.blobByName('data').mutableCpuData(),
    r = new Rng(7);
  for (let i = 0; i < x.length; i++) x[i] = r.uniform(-1, 1);
  net.forward();
  return { net, out: net.blobByName('conv2').cpuData().slice(), conv: net.blobByName('conv').cpuData().slice() };
}

describe('Convolution + ReLU fusion', () => {
  test('a net without backward fuses conv+ReLU (slope 0 only), with the unfused values', () => {
    const fused = run(''),
      plain = run('force_backward: true');
    const layer = (n: Net, name: string) => n.layers[n.layerNames.indexOf(name)];
    expect((layer(fused.net, 'relu') as ReLULayer).fusedInto).toBe(layer(fused.net, 'conv'));
    expect((layer(fused.net, 'conv') as ConvolutionLayer).reluFused()).toBe(true);
    expect((layer(fused.net, 'leaky') as ReLULayer).fusedInto).toBeNull();
    expect((layer(plain.net, 'relu') as ReLULayer).fusedInto).toBeNull();
    expect(fused.conv.some((v) => v === 0)).toBe(true);
    expect(Math.min(...fused.conv)).toBe(0);
    for (let i = 0; i < plain.conv.length; i++) expect(fused.conv[i]).toBeCloseTo(plain.conv[i], 5);
    for (let i = 0; i < plain.out.length; i++) expect(fused.out[i]).toBeCloseTo(plain.out[i], 5);
  });
});

// MAX pooling in a net without backward skips the argmax; its values (ties, signed zeros, NaNs, the
// windows of Caffe's ceil rule that hang over the edge) are those of the argmax path bit for bit.
const POOLS = (extra: string) => `${extra}
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 2 dim: 3 dim: 11 dim: 10 } } }
layer { name: "p1" type: "Pooling" bottom: "data" top: "p1" pooling_param { pool: MAX kernel_size: 3 stride: 2 } }
layer { name: "p2" type: "Pooling" bottom: "data" top: "p2"
  pooling_param { pool: MAX kernel_size: 3 stride: 2 pad: 1 } }
layer { name: "p3" type: "Pooling" bottom: "data" top: "p3"
  pooling_param { pool: MAX kernel_size: 2 stride: 1 } }
layer { name: "p4" type: "Pooling" bottom: "data" top: "p4"
  pooling_param { pool: MAX kernel_h: 4 kernel_w: 3 stride_h: 3 stride_w: 2 pad_h: 2 pad_w: 1 } }
layer { name: "p5" type: "Pooling" bottom: "data" top: "p5" pooling_param { pool: MAX global_pooling: true } }
`;

test("MAX pooling without backward keeps no argmax and gives the argmax path's values bit for bit", () => {
  const special = [NaN, -0, 0, -0, 0, -Infinity, -2, -2]; // negatives elsewhere: zeros are often the max
  const make = (extra: string) => {
    const net = captureLog(() => new Net(netParam(POOLS(extra)), { phase: 'TEST' })).result;
    const x = net.blobByName('data').mutableCpuData(),
      r = new Rng(11);
    for (let i = 0; i < x.length; i++) x[i] = r.u32() % 2 === 0 ? special[r.u32() % special.length] : r.uniform(-1, 0);
    net.forward();
    return net;
  };
  const fast = make(''),
    plain = make('force_backward: true');
  for (const name of ['p1', 'p2', 'p3', 'p4', 'p5']) {
    const layer = (n: Net) => n.layers[n.layerNames.indexOf(name)] as PoolingLayer;
    expect([name, layer(fast).keepsArgmax, layer(plain).keepsArgmax]).toEqual([name, false, true]);
    const a = fast.blobByName(name).cpuData(),
      b = plain.blobByName(name).cpuData();
    expect(a.length).toBe(b.length);
    const differ = Array.from(a).findIndex((v, i) => !Object.is(v, b[i]));
    expect([name, differ]).toEqual([name, -1]);
  }
});

// Concat at batch 1 lends its bottoms their slabs of its top where no later layer reads a bottom or
// rewrites the top; every blob holds the values of the copying net (force_backward), bit for bit.
const CONCATS = (extra: string, n: number) => {
  const conv = (name: string, out: number, k: number) => `layer { name: "${name}" type: "Convolution"
  bottom: "data" top: "${name}" convolution_param { num_output: ${out} kernel_size: ${k} pad: ${(k - 1) / 2}
  weight_filler { type: "gaussian" std: 0.5 } } }`;
  return `${extra}
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: ${n} dim: 3 dim: 6 dim: 5 } } }
${conv('a', 4, 1)}
layer { name: "ra" type: "ReLU" bottom: "a" top: "a" relu_param { negative_slope: 0.1 } } # not fused
${conv('b', 2, 3)}
layer { name: "lent" type: "Concat" bottom: "a" bottom: "b" top: "lent" }
layer { name: "twice" type: "Concat" bottom: "data" bottom: "data" top: "twice" }
layer { name: "c" type: "Convolution" bottom: "lent" top: "c"
  convolution_param { num_output: 3 kernel_size: 1 weight_filler { type: "gaussian" std: 0.5 } } }
${conv('e', 2, 1)}
layer { name: "read_after" type: "Concat" bottom: "c" bottom: "e" top: "read_after" }
layer { name: "d" type: "Pooling" bottom: "e" top: "d" pooling_param { pool: AVE kernel_size: 2 } }
${conv('f', 2, 1)}
${conv('g', 1, 3)}
layer { name: "rewritten" type: "Concat" bottom: "f" bottom: "g" top: "rewritten" }
layer { name: "r" type: "ReLU" bottom: "rewritten" top: "rewritten" }
`;
};

test('Concat lends its bottoms slabs of its top only where that is safe, with the copying values', () => {
  const names = ['a', 'b', 'lent', 'twice', 'c', 'e', 'read_after', 'd', 'f', 'g', 'rewritten'];
  for (const n of [1, 2]) {
    const make = (extra: string) => {
      setRandomSeed(5);
      const net = captureLog(() => new Net(netParam(CONCATS(extra, n)), { phase: 'TEST' })).result;
      const x = net.blobByName('data').mutableCpuData(),
        r = new Rng(3);
      for (let i = 0; i < x.length; i++) x[i] = r.uniform(-1, 1);
      net.forward();
      return net;
    };
    const fast = make(''),
      plain = make('force_backward: true');
    const lent = (net: Net, name: string) => (net.layers[net.layerNames.indexOf(name)] as ConcatLayer).bottomsLent;
    const expected = { lent: n === 1, twice: false, read_after: false, rewritten: false };
    for (const [name, v] of Object.entries(expected)) {
      expect([n, name, lent(fast, name), lent(plain, name)]).toEqual([n, name, v, false]);
    }
    for (const name of names) {
      const a = fast.blobByName(name).cpuData(),
        b = plain.blobByName(name).cpuData();
      expect([n, name, Array.from(a).findIndex((v, i) => !Object.is(v, b[i]))]).toEqual([n, name, -1]);
    }
    fast.forward(); // again, on the lent memory
    const again = fast.blobByName('c').cpuData();
    expect(
      Buffer.compare(
        Buffer.from(again.buffer, again.byteOffset, again.byteLength),
        Buffer.from(
          plain.blobByName('c').cpuData().buffer,
          plain.blobByName('c').cpuData().byteOffset,
          again.byteLength,
        ),
      ),
    ).toBe(0);
  }
});
