// Engine CAFFE against reference Caffe run here, on nets fed by fixed Parameter inputs, trained with SGD
// by both, whose weights files must come out byte-identical: a small residual net (Convolution,
// BatchNorm and Scale in place, ReLU, Eltwise SUM with a coefficient, global AVE pooling, Bias,
// InnerProduct, SoftmaxWithLoss; the running BatchNorm statistics are in the file too), a zoo of
// element-wise layers side by side (Sigmoid, TanH, ELU, PReLU, AbsVal, Power, Exp, BNLL, Dropout), and a
// second zoo of the other layer families.
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import * as lib from '../../src';
import { setEngine } from '../../src/backend';
import { train } from '../../src/api/train';
import { setLogSink } from '../../src/util/logging';
import { describeCaffe, tmpDir } from '../helpers';

const N = 8;
const shape = (...dim: number[]) => ({ dim });
const blob = (dims: number[], data: Float32Array) => ({ shape: shape(...dims), data });
/** Deterministic values in [lo, hi) (an integer hash). */
function values(n: number, seed: number, lo: number, hi: number): Float32Array {
  return Float32Array.from(
    { length: n },
    (_, i) => lo + (hi - lo) * ((((i + 1) * 2654435761 + seed * 40503) >>> 0) / 4294967296),
  );
}
const frozen = [{ lr_mult: 0, decay_mult: 0 }];
const input = (name: string, dims: number[]) => ({
  name,
  type: 'Parameter',
  top: [name],
  param: frozen,
  parameter_param: { shape: shape(...dims) },
});
const conv = (name: string, bottom: string, c: number, bias: boolean) => ({
  name,
  type: 'Convolution',
  bottom: [bottom],
  top: [name],
  convolution_param: { num_output: c, kernel_size: [3], pad: [1], bias_term: bias },
});
const bnScale = (top: string, k: string) => [
  { name: `bn${k}`, type: 'BatchNorm', bottom: [top], top: [top] },
  { name: `sc${k}`, type: 'Scale', bottom: [top], top: [top], scale_param: { bias_term: true } },
];

const NET = {
  name: 'ResidualGolden',
  layer: [
    input('data', [N, 3, 8, 8]),
    input('label', [N]),
    conv('c1', 'data', 8, false),
    ...bnScale('c1', '1'),
    { name: 'relu1', type: 'ReLU', bottom: ['c1'], top: ['c1'] },
    conv('c2', 'c1', 8, true),
    ...bnScale('c2', '2'),
    {
      name: 'sum',
      type: 'Eltwise',
      bottom: ['c1', 'c2'],
      top: ['sum'],
      eltwise_param: { operation: 'SUM', coeff: [1, 0.75] },
    },
    { name: 'relu2', type: 'ReLU', bottom: ['sum'], top: ['sum'] },
    {
      name: 'pool',
      type: 'Pooling',
      bottom: ['sum'],
      top: ['pool'],
      pooling_param: { pool: 'AVE', global_pooling: true },
    },
    { name: 'shift', type: 'Bias', bottom: ['pool'], top: ['pool'], bias_param: { axis: 1, num_axes: 1 } },
    { name: 'ip', type: 'InnerProduct', bottom: ['pool'], top: ['ip'], inner_product_param: { num_output: 3 } },
    { name: 'loss', type: 'SoftmaxWithLoss', bottom: ['ip', 'label'], top: ['loss'] },
  ],
};

const INIT = {
  name: 'ResidualGolden',
  layer: [
    { name: 'data', type: 'Parameter', blobs: [blob([N, 3, 8, 8], values(N * 192, 1, -1, 1))] },
    {
      name: 'label',
      type: 'Parameter',
      blobs: [
        blob(
          [N],
          Float32Array.from({ length: N }, (_, i) => i % 3),
        ),
      ],
    },
    { name: 'c1', type: 'Convolution', blobs: [blob([8, 3, 3, 3], values(216, 2, -0.3, 0.3))] },
    {
      name: 'bn1',
      type: 'BatchNorm',
      blobs: [blob([8], new Float32Array(8)), blob([8], new Float32Array(8)), blob([1], new Float32Array(1))],
    },
    { name: 'sc1', type: 'Scale', blobs: [blob([8], values(8, 3, 0.8, 1.2)), blob([8], values(8, 4, -0.1, 0.1))] },
    {
      name: 'c2',
      type: 'Convolution',
      blobs: [blob([8, 8, 3, 3], values(576, 5, -0.2, 0.2)), blob([8], values(8, 6, -0.1, 0.1))],
    },
    {
      name: 'bn2',
      type: 'BatchNorm',
      blobs: [blob([8], new Float32Array(8)), blob([8], new Float32Array(8)), blob([1], new Float32Array(1))],
    },
    { name: 'sc2', type: 'Scale', blobs: [blob([8], values(8, 7, 0.8, 1.2)), blob([8], values(8, 8, -0.1, 0.1))] },
    { name: 'shift', type: 'Bias', blobs: [blob([8], values(8, 9, -0.2, 0.2))] },
    {
      name: 'ip',
      type: 'InnerProduct',
      blobs: [blob([3, 8], values(24, 10, -0.5, 0.5)), blob([3], values(3, 11, -0.1, 0.1))],
    },
  ],
};

// the element-wise zoo: one branch per layer type from a shared InnerProduct, summed into the loss
const ZOO_BRANCHES: [string, object][] = [
  ['Sigmoid', {}],
  ['TanH', {}],
  ['ELU', { elu_param: { alpha: 0.7 } }],
  ['PReLU', {}],
  ['AbsVal', {}],
  ['Power', { power_param: { power: 2, scale: 0.5, shift: 0.3 } }],
  ['Exp', { exp_param: { base: -1, scale: 0.5, shift: 0.1 } }],
  ['BNLL', {}],
  ['Dropout', { dropout_param: { dropout_ratio: 0.3 } }],
];
const zooLayers: object[] = [
  input('data', [4, 6]),
  input('label', [4]),
  { name: 'fc0', type: 'InnerProduct', bottom: ['data'], top: ['h'], inner_product_param: { num_output: 5 } },
];
const sums: string[] = [];
ZOO_BRANCHES.forEach(([t, p], i) => {
  zooLayers.push({ name: `b${i}`, type: t, bottom: ['h'], top: [`b${i}`], ...p });
  zooLayers.push({
    name: `ip${i}`,
    type: 'InnerProduct',
    bottom: [`b${i}`],
    top: [`o${i}`],
    inner_product_param: { num_output: 3 },
  });
  sums.push(`o${i}`);
});
zooLayers.push({ name: 'sum', type: 'Eltwise', bottom: sums, top: ['sum'] });
zooLayers.push({ name: 'loss', type: 'SoftmaxWithLoss', bottom: ['sum', 'label'], top: ['loss'] });
const ZOO_NET = { name: 'Zoo', layer: zooLayers };
const zooInit: object[] = [
  { name: 'data', type: 'Parameter', blobs: [blob([4, 6], values(24, 1, -1, 1))] },
  {
    name: 'label',
    type: 'Parameter',
    blobs: [
      blob(
        [4],
        Float32Array.from({ length: 4 }, (_, i) => i % 3),
      ),
    ],
  },
  {
    name: 'fc0',
    type: 'InnerProduct',
    blobs: [blob([5, 6], values(30, 2, -0.8, 0.8)), blob([5], values(5, 3, -0.2, 0.2))],
  },
];
ZOO_BRANCHES.forEach(([t], i) => {
  if (t === 'PReLU') zooInit.push({ name: `b${i}`, type: t, blobs: [blob([5], values(5, 40, 0.1, 0.3))] });
  zooInit.push({
    name: `ip${i}`,
    type: 'InnerProduct',
    blobs: [blob([3, 5], values(15, 10 + i, -0.5, 0.5)), blob([3], values(3, 30 + i, -0.1, 0.1))],
  });
});
const ZOO_INIT = { name: 'Zoo', layer: zooInit };

// the second zoo: two convolutions of the input (h, h2), one branch per layer from h (a few with h2 or a
// smaller input as second bottom), each ending in an InnerProduct to 3, summed into SoftmaxWithLoss; plus
// EuclideanLoss and SigmoidCrossEntropyLoss on branch outputs
const ZOO2_BRANCHES: [string, Record<string, unknown>[]][] = [
  [
    'deconv',
    [{ type: 'Deconvolution', convolution_param: { num_output: 2, kernel_size: [3], stride: [2], pad: [1] } }],
  ],
  ['mvn', [{ type: 'MVN', mvn_param: { normalize_variance: true, across_channels: false } }]],
  ['mvnacross', [{ type: 'MVN', mvn_param: { normalize_variance: true, across_channels: true } }]],
  ['prod', [{ type: 'Eltwise', extra: 'h2', eltwise_param: { operation: 'PROD' } }]],
  ['max', [{ type: 'Eltwise', extra: 'h2', eltwise_param: { operation: 'MAX' } }]],
  ['concat', [{ type: 'Concat', extra: 'h2', concat_param: { axis: 1 } }]],
  ['poolpad', [{ type: 'Pooling', pooling_param: { pool: 'MAX', kernel_size: 3, stride: 2, pad: 1 } }]],
  ['avepad', [{ type: 'Pooling', pooling_param: { pool: 'AVE', kernel_size: 3, stride: 2, pad: 1 } }]],
  ['lrnw', [{ type: 'LRN', lrn_param: { local_size: 3, alpha: 0.5, beta: 0.75, norm_region: 'WITHIN_CHANNEL' } }]],
  ['lrna', [{ type: 'LRN', lrn_param: { local_size: 3, alpha: 0.5, beta: 0.75, k: 1.5 } }]],
  ['tile', [{ type: 'Tile', tile_param: { axis: 1, tiles: 2 } }]],
  ['crop', [{ type: 'Crop', extra: 'small', crop_param: { axis: 2, offset: [1] } }]],
  ['softmax', [{ type: 'Softmax', softmax_param: { axis: 1 } }]],
  ['log', [{ type: 'Sigmoid' }, { type: 'Log', log_param: { base: 2, scale: 1.5, shift: 0.2 } }]],
  ['power3', [{ type: 'Power', power_param: { power: 3, scale: 0.7, shift: 0.1 } }]],
  ['sqrt', [{ type: 'AbsVal' }, { type: 'Power', power_param: { power: 0.5, scale: 1, shift: 0.5 } }]],
  ['rsum', [{ type: 'Reduction', reduction_param: { operation: 'SUM', axis: 2 } }]],
  ['rasum', [{ type: 'Reduction', reduction_param: { operation: 'ASUM', axis: 2, coeff: 0.5 } }]],
  ['rsumsq', [{ type: 'Reduction', reduction_param: { operation: 'SUMSQ', axis: 2 } }]],
  ['rmean', [{ type: 'Reduction', reduction_param: { operation: 'MEAN', axis: 2, coeff: 2 } }]],
  ['scale2', [{ type: 'Scale', extra: 'h2', scale_param: { axis: 0 } }]],
  ['flat', [{ type: 'Flatten' }]],
];
const zoo2Layers: object[] = [
  input('data', [4, 3, 6, 6]),
  input('label', [4]),
  input('small', [4, 4, 4, 5]),
  input('tgt', [4, 3]),
  {
    name: 'conv0',
    type: 'Convolution',
    bottom: ['data'],
    top: ['h'],
    convolution_param: { num_output: 4, kernel_size: [3], pad: [1] },
  },
  {
    name: 'conv00',
    type: 'Convolution',
    bottom: ['data'],
    top: ['h2'],
    convolution_param: { num_output: 4, kernel_size: [3], pad: [1] },
  },
];
const zoo2Init: { name: string; type: string; blobs: object[] }[] = [
  { name: 'data', type: 'Parameter', blobs: [blob([4, 3, 6, 6], values(432, 1, -1, 1))] },
  {
    name: 'label',
    type: 'Parameter',
    blobs: [
      blob(
        [4],
        Float32Array.from({ length: 4 }, (_, i) => i % 3),
      ),
    ],
  },
  { name: 'small', type: 'Parameter', blobs: [blob([4, 4, 4, 5], values(320, 77, -1, 1))] },
  { name: 'tgt', type: 'Parameter', blobs: [blob([4, 3], values(12, 78, 0, 1))] },
  {
    name: 'conv0',
    type: 'Convolution',
    blobs: [blob([4, 3, 3, 3], values(108, 2, -0.4, 0.4)), blob([4], values(4, 3, -0.1, 0.1))],
  },
  {
    name: 'conv00',
    type: 'Convolution',
    blobs: [blob([4, 3, 3, 3], values(108, 12, -0.4, 0.4)), blob([4], values(4, 13, -0.1, 0.1))],
  },
];
const zoo2Sums: string[] = [];
ZOO2_BRANCHES.forEach(([name, steps], i) => {
  let bottom = 'h';
  steps.forEach((st, k) => {
    const { extra, ...p } = st as { extra?: string; type: string };
    const top = `${name}${k}`;
    zoo2Layers.push({ name: top, bottom: extra ? [bottom, extra] : [bottom], top: [top], ...p });
    if (p.type === 'Deconvolution')
      zoo2Init.push({
        name: top,
        type: p.type,
        blobs: [blob([4, 2, 3, 3], values(72, 50 + i, -0.4, 0.4)), blob([2], values(2, 60 + i, -0.1, 0.1))],
      });
    bottom = top;
  });
  zoo2Layers.push({
    name: `ip_${name}`,
    type: 'InnerProduct',
    bottom: [bottom],
    top: [`o_${name}`],
    inner_product_param: { num_output: 3, weight_filler: { type: 'constant', value: 0.01 } },
  });
  zoo2Sums.push(`o_${name}`);
});
zoo2Layers.push({ name: 'sum', type: 'Eltwise', bottom: zoo2Sums, top: ['sum'] });
zoo2Layers.push({ name: 'loss', type: 'SoftmaxWithLoss', bottom: ['sum', 'label'], top: ['loss'] });
zoo2Layers.push({
  name: 'eloss',
  type: 'EuclideanLoss',
  bottom: ['o_mvn', 'o_prod'],
  top: ['eloss'],
  loss_weight: [0.3],
});
zoo2Layers.push({
  name: 'sloss',
  type: 'SigmoidCrossEntropyLoss',
  bottom: ['o_max', 'tgt'],
  top: ['sloss'],
  loss_weight: [0.2],
});
const ZOO2_NET = { name: 'Zoo2', layer: zoo2Layers };
const ZOO2_INIT = { name: 'Zoo2', layer: zoo2Init };

// a 40-way Softmax layer inside the net: its backward dot product runs through BLAS's vector kernel
const SOFTMAX_NET = {
  name: 'Softmax40',
  layer: [
    input('data', [8, 10]),
    input('label', [8]),
    { name: 'ip1', type: 'InnerProduct', bottom: ['data'], top: ['a'], inner_product_param: { num_output: 40 } },
    { name: 'sm', type: 'Softmax', bottom: ['a'], top: ['p'] },
    { name: 'ip2', type: 'InnerProduct', bottom: ['p'], top: ['o'], inner_product_param: { num_output: 3 } },
    { name: 'loss', type: 'SoftmaxWithLoss', bottom: ['o', 'label'], top: ['loss'] },
  ],
};
const SOFTMAX_INIT = {
  name: 'Softmax40',
  layer: [
    { name: 'data', type: 'Parameter', blobs: [blob([8, 10], values(80, 1, -1, 1))] },
    {
      name: 'label',
      type: 'Parameter',
      blobs: [
        blob(
          [8],
          Float32Array.from({ length: 8 }, (_, i) => i % 3),
        ),
      ],
    },
    {
      name: 'ip1',
      type: 'InnerProduct',
      blobs: [blob([40, 10], values(400, 2, -0.8, 0.8)), blob([40], values(40, 3, -0.2, 0.2))],
    },
    {
      name: 'ip2',
      type: 'InnerProduct',
      blobs: [blob([3, 40], values(120, 4, -2, 2)), blob([3], values(3, 5, -0.1, 0.1))],
    },
  ],
};

describeCaffe('engine CAFFE against reference Caffe, byte for byte', () => {
  let dir = '';
  let restore: () => void;
  beforeAll(() => {
    restore = setLogSink(() => undefined);
  });
  afterAll(() => {
    restore();
    setEngine('DEFAULT');
  });

  /** Trains `net` from `init` with Caffe and with caffets' CAFFE engine; throws unless the weights files are equal. */
  async function sideBySide(name: string, net: object, init: object, iters: number): Promise<void> {
    dir = tmpDir(`caffets-${name}-`);
    lib.writeProtoToTextFile(net, 'caffe.NetParameter', path.join(dir, 'net.prototxt'));
    lib.writeProtoToBinaryFile(init, 'caffe.NetParameter', path.join(dir, 'init.caffemodel'));
    for (const who of ['caffe', 'ours']) {
      lib.writeProtoToTextFile(
        {
          net: path.join(dir, 'net.prototxt'),
          base_lr: 0.05,
          momentum: 0.9,
          weight_decay: 0.0005,
          lr_policy: 'fixed',
          max_iter: iters,
          display: 1,
          snapshot_prefix: path.join(dir, who),
          random_seed: 1701,
          solver_mode: 'CPU',
        },
        'caffe.SolverParameter',
        path.join(dir, `${who}_solver.prototxt`),
      );
    }
    const c = spawnSync(
      'caffe',
      [
        'train',
        `--solver=${path.join(dir, 'caffe_solver.prototxt')}`,
        `--weights=${path.join(dir, 'init.caffemodel')}`,
      ],
      { encoding: 'utf8' },
    );
    expect(c.status).toBe(0);
    await train({
      solver: path.join(dir, 'ours_solver.prototxt'),
      weights: path.join(dir, 'init.caffemodel'),
      engine: 'CAFFE',
    });
    const file = (who: string) => path.join(dir, `${who}_iter_${iters}.caffemodel`);
    if (fs.readFileSync(file('ours')).equals(fs.readFileSync(file('caffe')))) return;
    const a = lib.readNetParamsFromBinaryFile(file('ours')),
      b = lib.readNetParamsFromBinaryFile(file('caffe'));
    const diffs = b.layer.flatMap((l: { name: string; blobs?: { data: Float32Array }[] }, i: number) =>
      (l.blobs ?? []).map((bl, j) => {
        const o = a.layer[i].blobs[j].data as Float32Array;
        return `${l.name}/${j}: ${bl.data.filter((v, k) => v !== o[k]).length} of ${bl.data.length} differ`;
      }),
    );
    throw new Error(`weights differ from Caffe's: ${diffs.join('; ')}`);
  }
  afterEach(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    dir = '';
  });

  it('a residual net, 10 SGD iterations: the weights file, BatchNorm statistics included, byte for byte', async () => {
    await sideBySide('residual', NET, INIT, 10);
  });

  it('the element-wise zoo, 8 SGD iterations: the weights file byte for byte', async () => {
    await sideBySide('zoo', ZOO_NET, ZOO_INIT, 8);
  });

  it('a 40-way Softmax layer, 10 iterations: the weights file byte for byte', async () => {
    await sideBySide('softmax40', SOFTMAX_NET, SOFTMAX_INIT, 10);
  });

  it(
    'the second zoo (Deconvolution, MVN, Eltwise PROD/MAX, Concat, padded pooling, LRN, Tile, Crop, Softmax, ' +
      'Log, Power, Reduction, Scale by a bottom, Flatten, Euclidean and sigmoid cross-entropy losses), 8 iterations',
    async () => {
      await sideBySide('zoo2', ZOO2_NET, ZOO2_INIT, 8);
    },
  );
});
