#!/usr/bin/env node
// Goldens from reference Caffe for its random initialisation and random layers, draw for draw:
// - distributions: nets whose one random blob is the first draws of Caffe's global generator after
//   set_random_seed: 100,000 normal_distribution<float>(0, 1) (gaussian filler), uniform_real<float>
//   (uniform filler), a sparse gaussian (then bernoulli_distribution<float>), and a Dropout mask
//   (bernoulli_distribution<double>) read back from the weights one SGD step writes (w = -mask * scale);
// - init: `caffe train` with max_iter: 0 (Caffe snapshots after training: <prefix>_iter_0.caffemodel)
//   and no --weights, on LeNet (../shared lenet-fmnist), CIFAR-10 quick (models/cifar10_quick, BVLC's
//   layers, on 3x32x32 LMDBs of ../shared photo-crops-400 images), alexnet-mini (../shared) and a net of every
//   filler type: the sha256 of each initial .caffemodel and a digest of its blobs;
// - train: 20 SGD iterations from scratch of a net with random crops and mirrors (the alexnet-mini
//   LMDB), two Dropout layers and a test net, with OpenBLAS's Haswell kernels on 2 threads (as the
//   ../shared fixtures): every logged loss and test output, and the final .caffemodel's sha256.
// Writes test/golden/init-goldens-caffe.json; test/golden/init_goldens.test.ts runs caffets on the same.
// Usage: node scripts/caffe-init-goldens.js   (needs `npm run build`, reference Caffe and ../shared)
'use strict';
const { createHash } = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { REPLAY_ENV, parseLog, runCaffe, weightBlobs } = require('./caffe-solver-goldens.js');

const GOLDEN = path.join(__dirname, '../test/golden/init-goldens-caffe.json');
const FIXTURES = path.resolve(__dirname, '../../shared/fixtures');
const TRAIN_ITER = 20;

/** `x` with every number cut to 9 significant digits (a float's exact value), as the golden file holds it. */
const rounded = (x) => JSON.parse(JSON.stringify(x, (k, v) => (typeof v === 'number' ? Number(v.toPrecision(9)) : v)));
const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');
const floatsSha256 = (a) => sha256(Buffer.from(Float32Array.from(a).buffer));
const shape = (...dim) => ({ dim });
const learn = [{ lr_mult: 1 }, { lr_mult: 2, decay_mult: 0 }];
const constant = (value) => ({ type: 'constant', value });
const conv = (name, bottom, num_output, weight_filler, bias_filler, extra = {}) => ({
  name,
  type: 'Convolution',
  bottom: [bottom],
  top: [name],
  convolution_param: { num_output, kernel_size: [3], weight_filler, bias_filler, ...extra },
});
const ip = (name, bottom, num_output, weight_filler, bias_filler, extra = {}) => ({
  name,
  type: 'InnerProduct',
  bottom: [bottom],
  top: [name],
  ...extra,
  inner_product_param: { num_output, weight_filler, bias_filler },
});
const bilinear = (name, k, stride) => ({
  name,
  type: 'Deconvolution',
  bottom: ['data'],
  top: [name],
  param: [{ lr_mult: 0, decay_mult: 0 }],
  convolution_param: {
    num_output: 3,
    group: 3,
    kernel_size: [k],
    stride: [stride],
    bias_term: false,
    weight_filler: { type: 'bilinear' },
  },
});
/** DummyData tops of constant values (no draws at set-up). */
const dummy = (tops) => ({
  name: 'dummy',
  type: 'DummyData',
  top: tops.map((t) => t[0]),
  dummy_data_param: { shape: tops.map((t) => shape(...t[1])), data_filler: tops.map((t) => constant(t[2])) },
});

// ------------------------------------------------------------------ distributions

/** DummyData x -> InnerProduct (its weight the draws) -> EuclideanLoss; `seed` is random_seed. */
function drawNet(filler, rows, cols) {
  return {
    name: 'Draws',
    layer: [
      dummy([
        ['x', [1, cols], 1],
        ['t', [1, rows], 0],
      ]),
      ip('draws', 'x', rows, filler, constant(0)),
      { name: 'loss', type: 'EuclideanLoss', bottom: ['draws', 't'], top: ['loss'] },
    ],
  };
}

/** x (ones) -> Dropout -> InnerProduct (w 0, b 1) -> EuclideanLoss to 0: an SGD step (lr 1) sets w = -mask * scale. */
function dropoutNet(count, ratio) {
  return {
    name: 'DropoutMask',
    layer: [
      dummy([
        ['x', [1, count], 1],
        ['t', [1, 1], 0],
      ]),
      { name: 'drop', type: 'Dropout', bottom: ['x'], top: ['xd'], dropout_param: { dropout_ratio: ratio } },
      ip('ip', 'xd', 1, constant(0), constant(1)),
      { name: 'loss', type: 'EuclideanLoss', bottom: ['ip', 't'], top: ['loss'] },
    ],
  };
}

/** The distribution cases: net, random_seed, iterations. */
const DRAWS = {
  gaussian: { seed: 11, net: () => drawNet({ type: 'gaussian', std: 1 }, 1000, 100) },
  uniform: { seed: 12, net: () => drawNet({ type: 'uniform', min: -1, max: 1 }, 1000, 100) },
  sparse: { seed: 13, net: () => drawNet({ type: 'gaussian', std: 1, sparse: 7 }, 1000, 20) },
  dropout: { seed: 14, net: () => dropoutNet(1000, 0.3), iter: 1, ratio: 0.3 },
};

/** The mask a dropout case's weights hold, as a hex string of bits (first unit in the top bit). */
function maskHex(w) {
  let hex = '';
  for (let i = 0; i < w.length; i += 4) {
    let nib = 0;
    for (let j = 0; j < 4; j++) nib = (nib << 1) | (i + j < w.length && w[i + j] !== 0 ? 1 : 0);
    hex += nib.toString(16);
  }
  return hex;
}

// ------------------------------------------------------------------ init and train cases

/** Copies fixture files (LMDB folders, mean files) into `dir`. */
function copyFixture(name, files, dir) {
  for (const f of files) fs.cpSync(path.join(FIXTURES, 'caffe-train', name, f), path.join(dir, f), { recursive: true });
}

/**
 * The CIFAR-10 data: photo-crops-400 images resized to 32x32 and their mean. `tool(name, args)`
 * runs convert_imageset / compute_image_mean: Caffe's here, caffets' in the test (byte-identical LMDBs).
 */
function makeCifarData(dir, tool) {
  const root = path.join(FIXTURES, 'datasets/photo-crops-400') + '/';
  for (const split of ['train', 'test']) {
    // the first 40 images are enough: the initial weights do not depend on the data
    const list = path.join(dir, `${split}.txt`);
    fs.writeFileSync(
      list,
      fs
        .readFileSync(path.join(root, `${split}.txt`), 'utf8')
        .split('\n')
        .slice(0, 40)
        .join('\n'),
    );
    tool('convert_imageset', ['--resize_height=32', '--resize_width=32', root, list, path.join(dir, `${split}_lmdb`)]);
  }
  tool('compute_image_mean', [path.join(dir, 'train_lmdb'), path.join(dir, 'mean.binaryproto')]);
}

function runTool(name, args) {
  const r = spawnSync(name, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${name} failed: ${r.stderr.slice(-500)}`);
}

/** A net file with its data sources and mean files pointed at `dir`'s train_lmdb, test_lmdb, mean.binaryproto. */
function localData(lib, file) {
  const net = lib.readNetParamsFromTextFile(file);
  for (const l of net.layer) {
    if (l.data_param) l.data_param.source = l.include?.[0]?.phase === 'TEST' ? 'test_lmdb' : 'train_lmdb';
    if (l.transform_param?.mean_file) l.transform_param.mean_file = 'mean.binaryproto';
  }
  return net;
}

/** A net with every filler type (and variance_norm), on constant DummyData. */
function fillersNet() {
  const xavier = (variance_norm) => ({ type: 'xavier', variance_norm });
  const msra = (variance_norm) => ({ type: 'msra', variance_norm });
  return {
    name: 'Fillers',
    layer: [
      dummy([
        ['data', [2, 3, 10, 10], 1],
        ['label', [2, 5], 0],
      ]),
      conv('xavier_in', 'data', 8, xavier('FAN_IN'), constant(0.2)),
      conv('xavier_out', 'data', 8, xavier('FAN_OUT'), { type: 'uniform', min: -0.1, max: 0.1 }),
      conv('xavier_avg', 'data', 8, xavier('AVERAGE'), { type: 'gaussian', std: 0.5 }),
      conv('msra_in', 'data', 8, msra('FAN_IN'), constant(0)),
      conv('msra_out', 'data', 8, msra('FAN_OUT'), xavier('FAN_IN')),
      conv('msra_avg', 'data', 8, msra('AVERAGE'), msra('AVERAGE')),
      ip('gaussian', 'data', 50, { type: 'gaussian', mean: 0.1, std: 0.3 }, constant(0.1)),
      ip('sparse', 'data', 50, { type: 'gaussian', std: 1, sparse: 5 }, { type: 'gaussian', std: 0.01 }),
      ip('uniform', 'data', 40, { type: 'uniform', min: -0.5, max: 0.25 }, { type: 'positive_unitball' }),
      ip('unitball', 'data', 30, { type: 'positive_unitball' }, constant(-0.75)),
      bilinear('bilinear4', 4, 2),
      bilinear('bilinear5', 5, 3),
      bilinear('bilinear7', 7, 4),
      ip('out', 'gaussian', 5, xavier('AVERAGE'), constant(0), { param: learn }),
      { name: 'loss', type: 'EuclideanLoss', bottom: ['out', 'label'], top: ['loss'] },
    ],
  };
}

/** alexnet-mini's data with crop 48 and mirror in TRAIN (crop in TEST), conv, two Dropouts, a test net. */
function dropoutCropNet() {
  const data = (phase, source, batch, mirror) => ({
    name: 'data',
    type: 'Data',
    top: ['data', 'label'],
    include: [{ phase }],
    transform_param: { mirror, crop_size: 48, mean_file: 'mean.binaryproto', scale: 0.0125 },
    data_param: { source, batch_size: batch, backend: 'LMDB' },
  });
  const relu = (name) => ({ name: `relu_${name}`, type: 'ReLU', bottom: [name], top: [name] });
  const drop = (name, bottom, ratio) => ({
    name,
    type: 'Dropout',
    bottom: [bottom],
    top: [bottom],
    dropout_param: { dropout_ratio: ratio },
  });
  return {
    name: 'DropoutCrop',
    layer: [
      data('TRAIN', 'train_lmdb', 16, true),
      data('TEST', 'test_lmdb', 20, false),
      conv('conv1', 'data', 16, { type: 'xavier' }, constant(0.1), { kernel_size: [5], stride: [2] }),
      relu('conv1'),
      {
        name: 'pool1',
        type: 'Pooling',
        bottom: ['conv1'],
        top: ['pool1'],
        pooling_param: { pool: 'MAX', kernel_size: 3, stride: 2 },
      },
      ip('fc1', 'pool1', 64, { type: 'gaussian', std: 0.01 }, constant(0.1), { param: learn }),
      relu('fc1'),
      drop('drop1', 'fc1', 0.5),
      ip('fc2', 'fc1', 32, { type: 'msra' }, constant(0), { param: learn }),
      relu('fc2'),
      drop('drop2', 'fc2', 0.3),
      ip('fc3', 'fc2', 5, { type: 'gaussian', std: 0.1 }, constant(0), { param: learn }),
      { name: 'accuracy', type: 'Accuracy', bottom: ['fc3', 'label'], top: ['accuracy'], include: [{ phase: 'TEST' }] },
      { name: 'loss', type: 'SoftmaxWithLoss', bottom: ['fc3', 'label'], top: ['loss'] },
    ],
  };
}

/**
 * The cases: `seed` is random_seed, `test` test_iter (a test net) or none, `iter` max_iter (0: the
 * initial weights), `prepare(lib, dir, tool)` writes the data into `dir` and returns the net.
 */
const CASES = {
  lenet: {
    seed: 1701,
    test: 4,
    prepare(lib, dir) {
      copyFixture('lenet-fmnist', ['train_lmdb', 'test_lmdb', 'mean.binaryproto'], dir);
      return localData(lib, path.join(FIXTURES, 'caffe-train/lenet-fmnist/train_test.prototxt'));
    },
  },
  'cifar10-quick': {
    seed: 1701,
    test: 1,
    prepare(lib, dir, tool) {
      makeCifarData(dir, tool);
      return localData(lib, path.join(__dirname, '../models/cifar10_quick/train_val.prototxt'));
    },
  },
  'alexnet-mini': {
    seed: 42,
    test: 4,
    prepare(lib, dir) {
      copyFixture('alexnet-mini', ['train_lmdb', 'test_lmdb', 'mean.binaryproto'], dir);
      return localData(lib, path.join(FIXTURES, 'caffe-train/alexnet-mini/train_val.prototxt'));
    },
  },
  fillers: { seed: 1234, prepare: () => fillersNet() },
  'dropout-crop': {
    seed: 4242,
    test: 2,
    iter: TRAIN_ITER,
    prepare(lib, dir) {
      copyFixture('alexnet-mini', ['train_lmdb', 'test_lmdb', 'mean.binaryproto'], dir);
      return dropoutCropNet();
    },
  },
};
const INIT_CASES = ['lenet', 'cifar10-quick', 'alexnet-mini', 'fillers'];

/**
 * Writes case `id` (of CASES or DRAWS) into `dir`: its data, `<id>.prototxt` and `<id>_solver.prototxt`
 * (snapshot at `<dir>/<prefix>_iter_<max_iter>.caffemodel`); run it with `dir` as the working folder.
 * Returns the solver file and the snapshot's path.
 */
function writeCase(lib, id, dir, prefix, tool = runTool) {
  const c = CASES[id] ?? DRAWS[id];
  const net = CASES[id] ? c.prepare(lib, dir, tool) : c.net();
  const iter = c.iter ?? 0;
  const netFile = path.join(dir, `${id}.prototxt`);
  lib.writeProtoToTextFile(net, 'caffe.NetParameter', netFile);
  const solver = {
    net: netFile,
    ...(c.test ? { test_iter: [c.test], test_interval: 10 } : {}),
    base_lr: DRAWS[id] ? 1 : 0.01,
    lr_policy: 'fixed',
    ...(DRAWS[id] ? {} : { momentum: 0.9, weight_decay: 0.0005 }),
    display: 1,
    max_iter: iter,
    snapshot_prefix: path.join(dir, prefix),
    random_seed: c.seed,
    solver_mode: 'CPU',
  };
  const file = path.join(dir, `${id}_solver.prototxt`);
  lib.writeProtoToTextFile(solver, 'caffe.SolverParameter', file);
  return { solver: file, model: path.join(dir, `${prefix}_iter_${iter}.caffemodel`) };
}

/** What a distribution case's snapshot says: the drawn blob's sha256 and first values, or the Dropout mask. */
function drawsResult(lib, id, model) {
  const blobs = weightBlobs(lib.readNetParamsFromBinaryFile(model));
  if (id === 'dropout') {
    const w = blobs['ip/0'];
    return { seed: DRAWS[id].seed, ratio: DRAWS[id].ratio, count: w.length, mask: maskHex(w) };
  }
  const w = blobs['draws/0'];
  return { seed: DRAWS[id].seed, count: w.length, sha256: floatsSha256(w), head: w.slice(0, 8) };
}

/** What an init case's snapshot says: its sha256, and each blob's size, sha256 and 8 values spread over it. */
function initResult(lib, model) {
  const blobs = {};
  for (const [k, v] of Object.entries(weightBlobs(lib.readNetParamsFromBinaryFile(model)))) {
    const step = Math.max(1, Math.floor(v.length / 8));
    blobs[k] = { count: v.length, sha256: floatsSha256(v), samples: v.filter((_, i) => i % step === 0).slice(0, 8) };
  }
  return { sha256: sha256(fs.readFileSync(model)), blobs };
}

module.exports = {
  CASES,
  DRAWS,
  INIT_CASES,
  TRAIN_ITER,
  GOLDEN,
  writeCase,
  drawsResult,
  initResult,
  maskHex,
  rounded,
  floatsSha256,
  sha256,
};

if (require.main === module) {
  const lib = require('../dist');
  const res = { draws: {}, init: {}, train: null };
  const inDir = (fn) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'caffets-init-goldens-'));
    try {
      return fn(dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  for (const id of Object.keys(DRAWS)) {
    res.draws[id] = inDir((dir) => {
      const { solver, model } = writeCase(lib, id, dir, 'caffe');
      runCaffe(dir, [`--solver=${solver}`]);
      return drawsResult(lib, id, model);
    });
    console.error(`draws ${id}: ${JSON.stringify(res.draws[id]).slice(0, 120)}`);
  }
  for (const id of INIT_CASES) {
    res.init[id] = inDir((dir) => {
      const { solver, model } = writeCase(lib, id, dir, 'caffe');
      runCaffe(dir, [`--solver=${solver}`]);
      return initResult(lib, model);
    });
    console.error(`init ${id}: ${res.init[id].sha256}`);
  }
  res.train = inDir((dir) => {
    const { solver, model } = writeCase(lib, 'dropout-crop', dir, 'caffe');
    const log = parseLog(runCaffe(dir, [`--solver=${solver}`], { ...process.env, ...REPLAY_ENV }));
    return { losses: log.losses, tests: log.tests, sha256: sha256(fs.readFileSync(model)) };
  });
  console.error(`train: loss ${res.train.losses[0]} -> ${res.train.losses[TRAIN_ITER]}, ${res.train.sha256}`);
  fs.writeFileSync(GOLDEN, JSON.stringify(rounded(res)) + '\n');
}
