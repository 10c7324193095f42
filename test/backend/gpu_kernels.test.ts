// Layers with device kernels run on the device in GPU mode: after a warm-up, a forward + backward whose
// bottoms, top diffs and parameters are current only on the device (HEAD_AT_DEVICE, as a device kernel
// before them leaves them) moves nothing between host and device (SyncedMemory's `transfers`). The CPU
// fallback would read them on the host: a download. Dropout's TRAIN mask, drawn on the host, is the one
// upload. A layer without a device kernel (ArgMax) runs its CPU code there, correctly, and the
// download shows it. The values of the device paths are checked by each layer's tests in the GPU block.
import '../../src/layers';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { Layer } from '../../src/core/layer';
import type { LayerParameter } from '../../src/proto/caffe';
import type { TransferCounts } from '../../src/backend/device';
import { currentDevice, setDevice } from '../../src/backend/mode';
import { setRandomSeed } from '../../src/core/rng';
import { resetTransfers, transfers } from '../../src/core/synced_memory';
import { setLogSink } from '../../src/util/logging';
import { gaussianBlob } from '../gradient_checker';
import { useEngine } from '../engines';
import { gpuSkipReason } from '../gpu';

const why = gpuSkipReason();
const d = why ? describe.skip : describe;

/** Makes the device copy of `b`'s data (and diff) the only current one, with no transfer after the first. */
function onDevice(b: Blob, diff: boolean): void {
  b.gpuData();
  b.mutableGpuData();
  if (!diff) return;
  b.gpuDiff();
  b.mutableGpuDiff();
}

interface Case {
  layer: LayerParameter;
  bottoms: number[][];
  tops?: number;
  /** bottom i holds labels 0..classes-1 */
  labels?: { index: number; classes: number };
  inPlace?: boolean;
  backward?: boolean;
  propagate?: boolean[];
}

/** Transfers of one forward (+ backward) after a warm-up, everything already on the device. */
function steadyTransfers(c: Case): TransferCounts {
  const bottom = c.bottoms.map((s, i) => gaussianBlob(s, 100 + i));
  if (c.labels) {
    const l = bottom[c.labels.index].mutableCpuData();
    for (let i = 0; i < l.length; i++) l[i] = i % c.labels.classes;
  }
  const top = c.inPlace ? [bottom[0]] : Array.from({ length: c.tops ?? 1 }, () => new Blob());
  const layer: Layer = createLayer({ name: 'l', ...c.layer });
  layer.setUp(bottom, top);
  layer.paramPropagateDown = layer.blobs.map(() => true);
  const propagate = c.propagate ?? bottom.map(() => true);
  const step = () => {
    for (const b of bottom) onDevice(b, false);
    for (const p of layer.blobs) onDevice(p, true);
    layer.forward(bottom, top);
    if (c.backward === false) return;
    for (const t of top) onDevice(t, true);
    layer.backward(top, propagate, bottom);
  };
  step();
  resetTransfers();
  step();
  currentDevice().synchronize(); // the device ran it (errors surface here)
  return { ...transfers };
}

const NONE = { uploads: 0, downloads: 0 };
// a loss layer's backward reads its loss weight from the top's diff on the host; this test leaves every
// top diff current only on the device, so it comes down (a net sets it once on the host: no transfer)
const LOSS_WEIGHT_READ = { uploads: 0, downloads: 1, bytesDown: 4 };
const X = [2, 7, 3, 4];

const CONV = { num_output: 4, kernel_size: [3], pad: [1], weight_filler: { type: 'gaussian' } };
const CASES: [string, Case, Partial<TransferCounts>][] = [
  ['Convolution', { layer: { type: 'Convolution', convolution_param: CONV }, bottoms: [X] }, NONE],
  [
    'Convolution, group 2, stride 2, dilation 2',
    {
      layer: { type: 'Convolution', convolution_param: { ...CONV, group: 2, stride: [2], dilation: [2], pad: [2] } },
      bottoms: [[2, 6, 7, 5]],
    },
    NONE,
  ],
  [
    'Deconvolution',
    { layer: { type: 'Deconvolution', convolution_param: { ...CONV, stride: [2] } }, bottoms: [X] },
    NONE,
  ],
  [
    'InnerProduct',
    {
      layer: { type: 'InnerProduct', inner_product_param: { num_output: 5, weight_filler: { type: 'gaussian' } } },
      bottoms: [X],
    },
    NONE,
  ],
  ['Pooling MAX', { layer: { type: 'Pooling', pooling_param: { kernel_size: 2, stride: 2 } }, bottoms: [X] }, NONE],
  [
    'Pooling AVE, global',
    { layer: { type: 'Pooling', pooling_param: { pool: 'AVE', global_pooling: true } }, bottoms: [X] },
    NONE,
  ],
  ['ReLU in place', { layer: { type: 'ReLU' }, bottoms: [X], inPlace: true }, NONE],
  ['Sigmoid', { layer: { type: 'Sigmoid' }, bottoms: [X] }, NONE],
  ['TanH', { layer: { type: 'TanH' }, bottoms: [X] }, NONE],
  ['Softmax', { layer: { type: 'Softmax' }, bottoms: [X] }, NONE],
  [
    'Softmax axis 2, in place',
    { layer: { type: 'Softmax', softmax_param: { axis: 2 } }, bottoms: [X], inPlace: true },
    NONE,
  ],
  [
    'SoftmaxWithLoss',
    {
      layer: { type: 'SoftmaxWithLoss' },
      bottoms: [[6, 5], [6]],
      labels: { index: 1, classes: 5 },
      propagate: [true, false],
    },
    LOSS_WEIGHT_READ,
  ],
  ['AbsVal', { layer: { type: 'AbsVal' }, bottoms: [X] }, NONE],
  ['BNLL', { layer: { type: 'BNLL' }, bottoms: [X] }, NONE],
  ['Crop', { layer: { type: 'Crop', crop_param: { axis: 1, offset: [1, 0, 1] } }, bottoms: [X, [2, 5, 3, 3]] }, NONE],
  [
    'LSTMUnit',
    {
      layer: { type: 'LSTMUnit' },
      bottoms: [
        [1, 3, 5],
        [1, 3, 20],
        [1, 3],
      ],
      tops: 2,
      propagate: [true, true, false],
    },
    NONE,
  ],
  [
    'LSTM (its whole unrolled net)',
    {
      layer: { type: 'LSTM', recurrent_param: { num_output: 4, weight_filler: { type: 'gaussian' } } },
      bottoms: [
        [3, 2, 5],
        [3, 2],
      ],
      propagate: [true, false],
    },
    NONE,
  ],
  [
    'RNN',
    {
      layer: { type: 'RNN', recurrent_param: { num_output: 4, weight_filler: { type: 'gaussian' } } },
      bottoms: [
        [3, 2, 5],
        [3, 2],
      ],
      propagate: [true, false],
    },
    NONE,
  ],
  ['MVN', { layer: { type: 'MVN' }, bottoms: [X] }, NONE],
  [
    'MVN across channels, mean only, in place',
    {
      layer: { type: 'MVN', mvn_param: { across_channels: true, normalize_variance: false } },
      bottoms: [X],
      inPlace: true,
    },
    NONE,
  ],
  ...(['SUM', 'ASUM', 'SUMSQ', 'MEAN'] as const).map((op, axis): [string, Case, Partial<TransferCounts>] => [
    `Reduction ${op}, axis ${axis}`,
    { layer: { type: 'Reduction', reduction_param: { operation: op, axis, coeff: 0.5 } }, bottoms: [X] },
    NONE,
  ]),
  ['Clip', { layer: { type: 'Clip', clip_param: { min: -0.5, max: 0.7 } }, bottoms: [X] }, NONE],
  ['Swish, in place', { layer: { type: 'Swish', swish_param: { beta: 1.5 } }, bottoms: [X], inPlace: true }, NONE],
  [
    'Embed with bias',
    {
      layer: {
        type: 'Embed',
        embed_param: {
          input_dim: 5,
          num_output: 4,
          weight_filler: { type: 'gaussian' },
          bias_filler: { type: 'gaussian' },
        },
      },
      bottoms: [[2, 6]],
      labels: { index: 0, classes: 5 },
      propagate: [false],
    },
    NONE,
  ],
  ['Silence', { layer: { type: 'Silence' }, bottoms: [X, X], tops: 0 }, NONE],
  ['Tile', { layer: { type: 'Tile', tile_param: { axis: 1, tiles: 3 } }, bottoms: [X] }, NONE],
  // as Caffe's Forward_gpu: the loss (from a device dot) is written into the 1-float top on the host, so
  // the top comes down (this test left it on the device) and goes up; and the loss weight's read
  ['EuclideanLoss', { layer: { type: 'EuclideanLoss' }, bottoms: [X, X] }, { uploads: 1, downloads: 2, bytesUp: 4 }],
  ['Threshold (forward only)', { layer: { type: 'Threshold' }, bottoms: [X], backward: false }, NONE],
  [
    'Exp, base 2, scale and shift',
    { layer: { type: 'Exp', exp_param: { base: 2, scale: 0.5, shift: 1 } }, bottoms: [X] },
    NONE,
  ],
  ['Log, scale and shift', { layer: { type: 'Log', log_param: { scale: 0.1, shift: 2 } }, bottoms: [X] }, NONE],
  [
    'Power 2, in place',
    { layer: { type: 'Power', power_param: { power: 2, shift: 1 } }, bottoms: [X], inPlace: true },
    NONE,
  ],
  [
    'Power 0.5, shift 3',
    { layer: { type: 'Power', power_param: { power: 0.5, scale: 0.2, shift: 3 } }, bottoms: [X] },
    NONE,
  ],
  [
    'SigmoidCrossEntropyLoss, ignore_label, VALID',
    {
      layer: { type: 'SigmoidCrossEntropyLoss', loss_param: { ignore_label: 2, normalization: 'VALID' } },
      bottoms: [
        [6, 5],
        [6, 5],
      ],
      labels: { index: 1, classes: 3 },
      propagate: [true, false],
    },
    LOSS_WEIGHT_READ,
  ],
  ['LRN ACROSS_CHANNELS', { layer: { type: 'LRN' }, bottoms: [X] }, NONE],
  [
    'LRN WITHIN_CHANNEL',
    { layer: { type: 'LRN', lrn_param: { local_size: 3, norm_region: 'WITHIN_CHANNEL' } }, bottoms: [X] },
    NONE,
  ],
  // the mask, drawn on the host from the same rng as the CPU layer's, is uploaded once per forward
  ['Dropout TRAIN', { layer: { type: 'Dropout', phase: 'TRAIN' }, bottoms: [X] }, { uploads: 1, downloads: 0 }],
  ['Dropout TEST', { layer: { type: 'Dropout', phase: 'TEST' }, bottoms: [X] }, NONE],
  ['Dropout TEST in place', { layer: { type: 'Dropout', phase: 'TEST' }, bottoms: [X], inPlace: true }, NONE],
  ['Concat', { layer: { type: 'Concat' }, bottoms: [X, [2, 3, 3, 4]] }, NONE],
  ['Concat axis 2', { layer: { type: 'Concat', concat_param: { axis: 2 } }, bottoms: [X, [2, 7, 5, 4]] }, NONE],
  ['Slice', { layer: { type: 'Slice', slice_param: { slice_point: [2, 5] } }, bottoms: [X], tops: 3 }, NONE],
  ['Split', { layer: { type: 'Split' }, bottoms: [X], tops: 3 }, NONE],
  ['Eltwise PROD', { layer: { type: 'Eltwise', eltwise_param: { operation: 'PROD' } }, bottoms: [X, X, X] }, NONE],
  [
    'Eltwise PROD, unstable gradient',
    { layer: { type: 'Eltwise', eltwise_param: { operation: 'PROD', stable_prod_grad: false } }, bottoms: [X, X] },
    NONE,
  ],
  [
    'Eltwise SUM with coefficients',
    { layer: { type: 'Eltwise', eltwise_param: { operation: 'SUM', coeff: [1, -0.5] } }, bottoms: [X, X] },
    NONE,
  ],
  ['Eltwise MAX', { layer: { type: 'Eltwise', eltwise_param: { operation: 'MAX' } }, bottoms: [X, X, X] }, NONE],
  ['BatchNorm TRAIN', { layer: { type: 'BatchNorm' }, bottoms: [X] }, NONE],
  ['BatchNorm TRAIN in place', { layer: { type: 'BatchNorm' }, bottoms: [X], inPlace: true }, NONE],
  [
    'BatchNorm use_global_stats',
    { layer: { type: 'BatchNorm', batch_norm_param: { use_global_stats: true } }, bottoms: [X] },
    NONE,
  ],
  ['Scale, learned with bias', { layer: { type: 'Scale', scale_param: { bias_term: true } }, bottoms: [X] }, NONE],
  ['Scale in place', { layer: { type: 'Scale' }, bottoms: [X], inPlace: true }, NONE],
  [
    'Scale, scale bottom (axis 0, 2 axes)',
    { layer: { type: 'Scale', scale_param: { axis: 0 } }, bottoms: [X, [2, 7]] },
    NONE,
  ],
  ['Scale, element-wise scale bottom', { layer: { type: 'Scale', scale_param: { axis: 0 } }, bottoms: [X, X] }, NONE],
  ['Bias, learned', { layer: { type: 'Bias' }, bottoms: [X] }, NONE],
  ['Bias, bias bottom', { layer: { type: 'Bias' }, bottoms: [X, [7, 3]] }, NONE],
  ['PReLU', { layer: { type: 'PReLU' }, bottoms: [X] }, NONE],
  [
    'PReLU channel_shared, in place',
    { layer: { type: 'PReLU', prelu_param: { channel_shared: true } }, bottoms: [X], inPlace: true },
    NONE,
  ],
  ['ELU', { layer: { type: 'ELU', elu_param: { alpha: 0.5 } }, bottoms: [X] }, NONE],
  [
    'Accuracy (forward only), top_k 2, per class',
    {
      layer: { type: 'Accuracy', accuracy_param: { top_k: 2 } },
      bottoms: [[6, 5], [6]],
      tops: 2,
      labels: { index: 1, classes: 5 },
      backward: false,
    },
    NONE,
  ],
  ['Flatten (shares memory)', { layer: { type: 'Flatten' }, bottoms: [X] }, NONE],
  [
    'Reshape (shares memory)',
    { layer: { type: 'Reshape', reshape_param: { shape: { dim: [0, -1] } } }, bottoms: [X] },
    NONE,
  ],
];

d(`device kernels in GPU mode${why ? ` [skipped: ${why}]` : ''}`, () => {
  let restore: () => void;
  let restoreLog: () => void;
  beforeAll(() => {
    restore = useEngine('GPU');
    restoreLog = setLogSink(() => {});
  });
  afterAll(() => {
    restoreLog();
    restore();
  });

  it.each(CASES)('%s: a steady forward + backward moves nothing to or from the host', (_n, c, want) => {
    expect(steadyTransfers(c)).toMatchObject(want);
  });

  it('Dropout TRAIN drops the same units as on the CPU (its mask drawn on the host from rng())', () => {
    const run = () => {
      const x = gaussianBlob([4, 50]),
        y = new Blob(),
        l = createLayer({ name: 'd', type: 'Dropout', phase: 'TRAIN', dropout_param: { dropout_ratio: 0.3 } });
      l.setUp([x], [y]);
      setRandomSeed(5);
      l.forward([x], [y]);
      y.mutableCpuDiff().set(gaussianBlob([4, 50], 9).cpuData());
      l.backward([y], [true], [x]);
      // + 0: the CPU's dropped negative units are -0 (x * 0 * scale, as Caffe's), the device kernel's 0
      return { y: Array.from(y.cpuData(), (v) => v + 0), dx: Array.from(x.cpuDiff(), (v) => v + 0) };
    };
    const gpu = run();
    const dev = currentDevice();
    setDevice(null);
    const cpu = run();
    setDevice(dev);
    expect(gpu.y.filter((v) => v === 0).length).toBeGreaterThan(20);
    expect(gpu).toEqual(cpu);
  });

  // ArgMax is CPU-only in Caffe too
  it('a layer without a device kernel (ArgMax) runs its CPU code on synced memory: right, and downloads', () => {
    const x = gaussianBlob([3, 5]),
      y = new Blob(),
      l = createLayer({ name: 't', type: 'ArgMax' });
    l.setUp([x], [y]);
    const v = Array.from(x.cpuData());
    const want = [0, 1, 2].map((r) => v.slice(r * 5, r * 5 + 5).reduce((b, e, i, a) => (e > a[b] ? i : b), 0));
    onDevice(x, false);
    resetTransfers();
    l.forward([x], [y]);
    expect(transfers.downloads).toBe(1); // the bottom, current only on the device
    expect(y.dataMemory.head).toBe('HEAD_AT_CPU');
    y.gpuData(); // a device consumer uploads the top
    expect(transfers.uploads).toBe(1);
    expect(Array.from(y.cpuData())).toEqual(want);
  });
});
