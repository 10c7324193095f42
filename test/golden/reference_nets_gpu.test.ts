// The reference nets run on the device in GPU mode: LeNet, CIFAR-10 quick, ResNet-20, SqueezeNet
// v1.0/v1.1, AlexNet, CaffeNet (group 2), GoogLeNet and MobileNet v1/v2 at batch 1, force_backward.
// Both GEMM programs run (CPU adapters pick the register-blocked one, GPUs the tiled one).
// - Every layer runs on the device: a whole forward + backward after a warm-up moves exactly two things
//   between host and device, the input batch up and the output's diff up (a layer falling back to its
//   CPU code would download its bottom), and the output is the DEFAULT engine's within 1e-4 of its
//   largest magnitude (Caffe's forward bar).
// - Every layer computes what the DEFAULT engine computes, layer by layer: fed the CPU run's bottoms
//   (and in backward its top diffs and data), each top, bottom diff and parameter diff is within 1e-5
//   of its largest magnitude. Layer by layer, because whole-net gradients of these nets are not
//   reproducible to that: moving the input by 1e-6 relative on the CPU moves the input's gradient by
//   0.4% (SqueezeNet v1.0) to 2% (MobileNet) relative L2, as ReLU units near 0 and near-tied max-pool
//   windows switch; the device's float sums (another order) do the same.
// Trained weights where ../shared has them; otherwise seeded random ones (He-scaled, BatchNorm
// statistics those of the layer's input), so activations neither vanish nor saturate the softmax.
import '../../src/layers';
import { Blob } from '../../src/core/blob';
import { Rng } from '../../src/core/rng';
import { resetTransfers, transfers } from '../../src/core/synced_memory';
import { Net } from '../../src/net';
import type { LayerParameter } from '../../src/proto/caffe';
import type { Message } from '../../src/proto/schema';
import { readNetParamsFromTextFile } from '../../src/io/proto_io';
import { WebGpuDevice } from '../../src/backend/webgpu/webgpu_device';
import type { GemmKind } from '../../src/backend/webgpu/webgpu_math';
import { currentDevice, setDevice } from '../../src/backend/mode';
import { setMinLogLevel } from '../../src/util/logging';
import { describeShared, relMaxError, sharedPath } from '../helpers';
import { gpuSkipReason } from '../gpu';

const M = 'fixtures/models';
const NETS: [string, string, string | null][] = [
  ['LeNet', `${M}/lenet-mnist/deploy.prototxt`, `${M}/lenet-mnist/lenet_iter_10000.caffemodel`],
  ['CIFAR-10 quick', `${M}/cifar10-quick/deploy.prototxt`, `${M}/cifar10-quick/cifar10_quick_iter_5000.caffemodel`],
  ['ResNet-20', `${M}/resnet20-cifar10/deploy.prototxt`, `${M}/resnet20-cifar10/cifar10_res20_iter_64000.caffemodel`],
  ['SqueezeNet v1.0', `${M}/squeezenet-v1.0/deploy.prototxt`, `${M}/squeezenet-v1.0/squeezenet_v1.0.caffemodel`],
  ['SqueezeNet v1.1', `${M}/deploy-only/squeezenet_v1.1_deploy.prototxt`, null],
  ['AlexNet', `${M}/deploy-only/bvlc_alexnet_deploy.prototxt`, null],
  ['CaffeNet', `${M}/deploy-only/bvlc_reference_caffenet_deploy.prototxt`, null],
  ['GoogLeNet', `${M}/deploy-only/bvlc_googlenet_deploy.prototxt`, null],
  ['MobileNet v1', `${M}/deploy-only/mobilenet_v1_deploy.prototxt`, null],
  ['MobileNet v2', `${M}/deploy-only/mobilenet_v2_deploy.prototxt`, null],
];

/** The net at batch 1, 112 x 112 where it ends in global pooling. fc6/fc7 of AlexNet and CaffeNet at
 *  1024 outputs: lavapipe binds at most 128 MB and fc6's weights are 144 MB (a GPU with larger bindings
 *  runs them whole: the device asks for the adapter's limits). The layers stay the same kinds. */
function forTest(np: Message): Message {
  const layers = np.layer as LayerParameter[];
  const global = layers.some((l) => l.pooling_param?.global_pooling);
  for (const l of layers) {
    const dim = l.type === 'Input' ? l.input_param!.shape![0].dim! : [];
    dim[0] = 1;
    if (global && dim[2] > 112) dim[2] = dim[3] = 112; // any size suits global pooling: a quarter of the work
    if ((l.name === 'fc6' || l.name === 'fc7') && l.inner_product_param) l.inner_product_param.num_output = 1024;
  }
  np.force_backward = true;
  return np;
}

/** Seeded weights that keep activations O(1): He-scaled weights; each BatchNorm's statistics are those
 *  of its input (as a trained net's are), so the output neither saturates the softmax nor vanishes. */
function randomWeights(net: Net, rng: Rng, x: Float32Array): void {
  for (const layer of net.layers) {
    for (const b of layer.blobs) {
      const d = b.mutableCpuData();
      const std = b.shape.length > 1 ? Math.sqrt(2 / (b.count / b.shape[0])) : 0.1;
      const mean = layer.type === 'Scale' && b === layer.blobs[0] ? 1 : 0;
      for (let i = 0; i < d.length; i++) d[i] = rng.gaussian(mean, std);
    }
  }
  net.inputBlobs[0].mutableCpuData().set(x);
  let from = 0;
  net.layers.forEach((layer, i) => {
    if (layer.type !== 'BatchNorm') return;
    net.forwardFromTo(from, i - 1);
    from = i;
    const bottom = net.bottomVecs[i][0];
    const [mean, variance, factor] = layer.blobs.map((b) => b.mutableCpuData());
    const c = bottom.shape[1],
      inner = bottom.count / c, // batch 1
      v = bottom.cpuData();
    for (let k = 0; k < c; k++) {
      let s = 0,
        s2 = 0;
      for (let j = 0; j < inner; j++) {
        const e = v[k * inner + j];
        s += e;
        s2 += e * e;
      }
      mean[k] = s / inner;
      variance[k] = Math.max(s2 / inner - mean[k] * mean[k], 1e-3);
    }
    factor[0] = 1;
  });
}

/** What the CPU run saw at each layer (index by layer): bottoms before and tops after its forward; the
 *  blobs' data at the end of the forward; top diffs before, bottom and parameter diffs after its backward. */
interface Trace {
  before: Float32Array[][];
  after: Float32Array[][];
  end: Float32Array[];
  topDiff: Float32Array[][];
  bottomDiff: Float32Array[][];
  paramDiff: Float32Array[][];
}

const copy = (a: Float32Array) => Float32Array.from(a);
const data = (bs: Blob[]) => bs.map((b) => copy(b.cpuData()));
const diff = (bs: Blob[]) => bs.map((b) => copy(b.cpuDiff()));

/** Runs the net layer by layer on the CPU from `x` with `dy` on its output, recording a Trace. */
function traceCpu(net: Net, x: Float32Array, dy: Float32Array): Trace {
  const t: Trace = { before: [], after: [], end: [], topDiff: [], bottomDiff: [], paramDiff: [] };
  net.inputBlobs[0].mutableCpuData().set(x);
  net.layers.forEach((_l, i) => {
    t.before[i] = data(net.bottomVecs[i]);
    net.forwardFromTo(i, i);
    t.after[i] = data(net.topVecs[i]);
  });
  t.end = data(net.blobs);
  net.outputBlobs[0].mutableCpuDiff().set(dy);
  for (let i = net.layers.length - 1; i >= 0; i--) {
    t.topDiff[i] = diff(net.topVecs[i]);
    for (const p of net.layers[i].blobs) p.mutableCpuDiff().fill(0);
    net.backwardFromTo(i, i);
    t.bottomDiff[i] = diff(net.bottomVecs[i]);
    t.paramDiff[i] = diff(net.layers[i].blobs);
  }
  return t;
}

/** Replays the trace layer by layer in GPU mode; the worst relative error of each layer's results. */
function replayOnDevice(net: Net, t: Trace): { layer: string; worst: number }[] {
  const errs = net.layers.map((_l, i) => ({ layer: net.layerNames[i], worst: 0 }));
  const note = (i: number, ours: Blob[], ref: Float32Array[], useDiff: boolean) =>
    ours.forEach((b, j) => {
      errs[i].worst = Math.max(errs[i].worst, relMaxError(useDiff ? b.cpuDiff() : b.cpuData(), ref[j]));
    });
  net.layers.forEach((_l, i) => {
    net.bottomVecs[i].forEach((b, j) => b.mutableCpuData().set(t.before[i][j]));
    net.forwardFromTo(i, i);
    note(i, net.topVecs[i], t.after[i], false);
  });
  net.blobs.forEach((b, k) => b.mutableCpuData().set(t.end[k]));
  for (let i = net.layers.length - 1; i >= 0; i--) {
    if (!net.layerNeedBackward[i]) continue;
    net.topVecs[i].forEach((b, j) => b.mutableCpuDiff().set(t.topDiff[i][j]));
    for (const p of net.layers[i].blobs) p.mutableCpuDiff().fill(0);
    net.backwardFromTo(i, i);
    note(
      i,
      net.bottomVecs[i].filter((_b, j) => net.bottomNeedBackward[i][j]),
      t.bottomDiff[i].filter((_d, j) => net.bottomNeedBackward[i][j]),
      true,
    );
    note(i, net.layers[i].blobs, t.paramDiff[i], true);
  }
  return errs;
}

/** A whole forward + backward from `x` with `dy` on the output: the transfers it made, and the output. */
function pass(net: Net, x: Float32Array, dy: Float32Array): { moved: typeof transfers; output: Float32Array } {
  const out = net.outputBlobs[0];
  net.clearParamDiffs();
  resetTransfers();
  net.inputBlobs[0].mutableCpuData().set(x);
  net.forward();
  out.mutableCpuDiff().set(dy);
  net.backward();
  currentDevice().synchronize();
  const moved = { ...transfers };
  return { moved, output: copy(out.cpuData()) };
}

/** both GEMM programs, whatever the adapter: CPU adapters pick the register-blocked one, GPUs the tiled */
const GEMMS: GemmKind[] = ['register', 'tiled'];

const why = gpuSkipReason();
(why ? describe.skip : describeShared)(`reference nets run on the device${why ? ` [skipped: ${why}]` : ''}`, () => {
  let release = () => {};
  beforeAll(() => setMinLogLevel(2)); // MobileNet's deprecated input fields warn
  afterAll(() => setMinLogLevel(0));
  afterEach(() => release());

  const cases = NETS.flatMap(([n, p, w]) =>
    GEMMS.map((g) => [n, g, p, w] as [string, GemmKind, string, string | null]),
  );
  it.each(cases)(
    '%s, %s GEMM',
    (_name, gemm, proto, weights) => {
      const net = new Net(forTest(readNetParamsFromTextFile(sharedPath(proto))), { phase: 'TEST' });
      try {
        const rng = new Rng(20261207);
        const input = net.inputBlobs[0];
        const x = Float32Array.from({ length: input.count }, () => rng.gaussian(0, 1));
        if (weights) net.copyTrainedLayersFromFile(sharedPath(weights));
        else randomWeights(net, rng, x);
        const dy = Float32Array.from({ length: net.outputBlobs[0].count }, () => rng.gaussian(0, 1));
        const cpu = traceCpu(net, x, dy);
        expect(cpu.bottomDiff[1].some((d) => d.some((v) => v !== 0))).toBe(true); // the gradient arrives

        const dev = new WebGpuDevice(0, { gemm });
        setDevice(dev);
        release = () => {
          setDevice(null);
          dev.dispose();
        };
        const errs = replayOnDevice(net, cpu);
        const worst = errs.reduce((a, b) => (b.worst > a.worst ? b : a));
        expect(worst.worst).toBeLessThan(1e-5);

        pass(net, x, dy); // warm-up: whatever the replay left on the host goes up once
        const steady = pass(net, x, dy);
        const bytes = (input.count + dy.length) * 4;
        expect(steady.moved).toEqual({ uploads: 2, downloads: 0, bytesUp: bytes, bytesDown: 0 });
        const output = cpu.after[net.layers.length - 1][0];
        expect(relMaxError(steady.output, output)).toBeLessThan(1e-4);
      } finally {
        net.dispose();
      }
    },
    600000,
  );
});
