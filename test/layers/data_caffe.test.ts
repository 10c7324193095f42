// Parity with reference BVLC Caffe's data layers, random draws included: `caffe train` with
// debug_info prints the mean |x| of every top blob at every iteration; the net slices the data top
// into quadrants so that crop offsets and mirroring show. Our layers, seeded with the same
// random_seed, must print the same numbers (to Caffe's 6 digits; sums differ in the last place).
// Checks: the global-RNG draw order at set-up (InitRand twice, thread seed, rand_skip, shuffle
// seed), Rand() = raw % n, mirror-then-crop draw order, mean file at the crop offset, boost's
// uniform_int in the shuffle, reshuffling every epoch.
import '../../src/layers/Data';
import '../../src/layers/ImageData';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { setRandomSeed } from '../../src/core/rng';
import { BasePrefetchingDataLayer } from '../../src/layers/base_data_layer';
import { captureLog, disposeAll, makeLayer, tops } from '../data/data_helpers';
import { describeCaffe, sharedPath, tmpDir } from '../helpers';

afterEach(() => disposeAll());

const PROBES = `
layer { name: "slice" type: "Slice" bottom: "data" top: "left" top: "right" slice_param { axis: 3 slice_point: 12 } }
layer { name: "sliceh" type: "Slice" bottom: "left" top: "lt" top: "lb" slice_param { axis: 2 slice_point: 12 } }
layer { name: "sil" type: "Silence" bottom: "label" }`;

/** Parses `[Forward] Layer L, top blob B data: V` lines. */
function parseForward(log: string): { name: string; value: number }[] {
  const re = /\[Forward\] Layer (\S+), top blob (\S+) data: (\S+)/g;
  const out: { name: string; value: number }[] = [];
  for (let m; (m = re.exec(log));) out.push({ name: `${m[1]}/${m[2]}`, value: Number(m[3]) });
  return out;
}

/** Runs `caffe train` on a net of one data layer plus the probes; returns the [Forward] values. */
function runCaffe(dataLayer: string, seed: number, iters: number): { name: string; value: number }[] {
  const dir = tmpDir();
  fs.writeFileSync(path.join(dir, 'net.prototxt'), `name: "T"\n${dataLayer}\n${PROBES}\n`);
  fs.writeFileSync(
    path.join(dir, 'solver.prototxt'),
    `train_net: "net.prototxt"\nbase_lr: 0\nlr_policy: "fixed"\n` +
      `max_iter: ${iters}\ndisplay: 1\ndebug_info: true\nrandom_seed: ${seed}\n` +
      `solver_mode: CPU\nsnapshot_after_train: false\n`,
  );
  const r = spawnSync('caffe', ['train', '--solver=solver.prototxt'], {
    cwd: dir,
    timeout: 120000,
    maxBuffer: 1 << 30,
  });
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0) throw new Error(`caffe train failed (${r.status}): ${text.slice(-2000)}`);
  return parseForward(text);
}

/** The same probes computed from our layer's tops, `count` forwards. */
function ourForward(l: BasePrefetchingDataLayer, count: number, side: number): { name: string; value: number }[] {
  const t = tops(2);
  const log = captureLog();
  try {
    l.setUp([], t);
  } finally {
    log.stop();
  }
  const out: { name: string; value: number }[] = [];
  for (let i = 0; i < count; i++) {
    l.forward([], t);
    const d = t[0].cpuData(),
      n = t[0].num,
      c = t[0].channels,
      plane = side * side;
    const q = (h0: number, h1: number, w0: number, w1: number) => {
      let s = 0;
      for (let k = 0; k < n * c; k++)
        for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) s += Math.abs(d[k * plane + h * side + w]);
      return s / (n * c * (h1 - h0) * (w1 - w0));
    };
    const labels = Array.from(t[1].cpuData());
    const half = side / 2;
    out.push(
      { name: 'data/data', value: q(0, side, 0, side) },
      { name: 'data/label', value: labels.reduce((a, b) => a + Math.abs(b), 0) / labels.length },
      { name: 'slice/left', value: q(0, side, 0, half) },
      { name: 'slice/right', value: q(0, side, half, side) },
      { name: 'sliceh/lt', value: q(0, half, 0, half) },
      { name: 'sliceh/lb', value: q(half, side, 0, half) },
    );
  }
  return out;
}

function expectSame(ours: { name: string; value: number }[], caffe: { name: string; value: number }[]): void {
  expect(caffe.length).toBeGreaterThanOrEqual(ours.length);
  for (let i = 0; i < ours.length; i++) {
    const a = ours[i],
      b = caffe[i];
    expect(a.name).toBe(b.name);
    // Caffe prints 6 significant digits of a float sum
    if (Math.abs(a.value - b.value) > 3e-6 * Math.max(Math.abs(b.value), 1e-3)) {
      throw new Error(`forward ${Math.floor(i / 6)}, ${a.name}: ours ${a.value}, Caffe ${b.value}`);
    }
  }
}

describeCaffe('data layers vs reference Caffe (random crops, mirrors, shuffles)', () => {
  const lenet = sharedPath('fixtures/caffe-train/lenet-fmnist');
  const fmnist = sharedPath('fixtures/datasets/fmnist-1200');

  it(
    'Data: LMDB, mean_file, crop 24 + mirror in TRAIN, seed 1701, 31 forwards ' + '(rand_skip ignored as by Caffe 1.0)',
    () => {
      const tp = { scale: 0.00390625, crop_size: 24, mirror: true, mean_file: path.join(lenet, 'mean.binaryproto') };
      const dp = { source: path.join(lenet, 'train_lmdb'), batch_size: 1, backend: 'LMDB', rand_skip: 5 };
      const caffe = runCaffe(
        `layer { name: "data" type: "Data" top: "data" top: "label" include { phase: TRAIN }
      transform_param { scale: ${tp.scale} crop_size: 24 mirror: true mean_file: "${tp.mean_file}" }
      data_param { source: "${dp.source}" batch_size: 1 backend: LMDB rand_skip: 5 } }`,
        1701,
        30,
      );
      setRandomSeed(1701);
      const ours = ourForward(makeLayer({ type: 'Data', phase: 'TRAIN', transform_param: tp, data_param: dp }), 31, 24);
      expectSame(ours, caffe);
    },
  );

  it('ImageData: gray, shuffle, rand_skip, crop + mirror, mean_value, batch 3 over a 20-image list (4 epochs)', () => {
    const dir = tmpDir();
    const list = path.join(dir, 'list20.txt');
    fs.writeFileSync(
      list,
      fs.readFileSync(path.join(fmnist, 'train.txt'), 'utf8').split('\n').slice(0, 20).join('\n') + '\n',
    );
    const ip = { source: list, root_folder: `${fmnist}/`, batch_size: 3, shuffle: true, is_color: false, rand_skip: 7 };
    const caffe = runCaffe(
      `layer { name: "data" type: "ImageData" top: "data" top: "label" include { phase: TRAIN }
      transform_param { scale: 0.00390625 crop_size: 24 mirror: true mean_value: 33 }
      image_data_param { source: "${list}" root_folder: "${fmnist}/" batch_size: 3 ` +
        `shuffle: true is_color: false rand_skip: 7 } }`,
      4242,
      25,
    );
    setRandomSeed(4242);
    const ours = ourForward(
      makeLayer({
        type: 'ImageData',
        phase: 'TRAIN',
        transform_param: { scale: 0.00390625, crop_size: 24, mirror: true, mean_value: [33] },
        image_data_param: ip,
      }),
      26,
      24,
    );
    expectSame(ours, caffe);
  });
});
