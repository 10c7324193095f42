#!/usr/bin/env node
// Solver goldens from reference Caffe, without any data pipeline: a small conv/ReLU/pool/IP/SoftmaxWithLoss
// net whose data and labels are Parameter layers with lr_mult 0 (they never change), stored with
// deterministic initial weights in init.caffemodel (written with caffets' encoder). For each case
// (the six solver types, the seven lr policies, iter_size + clipping + average_loss, L1/L2 decay),
// `caffe train --solver=s.prototxt --weights=init.caffemodel` runs and its log (loss and lr of every
// iteration, clipping factors, test outputs) and final .caffemodel (per-blob digest) are stored in
// test/golden/solver-caffe.json. test/solvers/caffe_goldens.test.ts runs caffets on the same files.
// Usage: node scripts/caffe-solver-goldens.js   (needs `npm run build` and reference Caffe)
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const GOLDEN = path.join(__dirname, '../test/golden/solver-caffe.json');
const N = 8; // batch

const sgd = { type: 'SGD', base_lr: 0.05, momentum: 0.9, weight_decay: 0.0005 };
/** Solver fields of each case (net, weights, max_iter, display, prefix are added by solverParam). */
const CASES = {
  SGD: { ...sgd, lr_policy: 'inv', gamma: 0.1, power: 0.75, snapshot: 10, test_iter: [2], test_interval: 10 },
  Nesterov: {
    type: 'Nesterov',
    base_lr: 0.03,
    momentum: 0.9,
    weight_decay: 0.0005,
    lr_policy: 'step',
    stepsize: 8,
    gamma: 0.5,
  },
  AdaGrad: { type: 'AdaGrad', base_lr: 0.05, weight_decay: 0.0005, lr_policy: 'fixed', delta: 1e-6 },
  RMSProp: { type: 'RMSProp', base_lr: 0.005, weight_decay: 0.0005, lr_policy: 'fixed', rms_decay: 0.95, delta: 1e-6 },
  AdaDelta: { type: 'AdaDelta', base_lr: 1, momentum: 0.95, weight_decay: 0.0005, lr_policy: 'fixed', delta: 1e-6 },
  Adam: { type: 'Adam', base_lr: 0.01, momentum: 0.9, momentum2: 0.999, lr_policy: 'fixed', snapshot: 10 },
  'lr-fixed': { ...sgd, lr_policy: 'fixed' },
  'lr-step': { ...sgd, lr_policy: 'step', stepsize: 6, gamma: 0.5 },
  'lr-exp': { ...sgd, lr_policy: 'exp', gamma: 0.9 },
  'lr-inv': { ...sgd, lr_policy: 'inv', gamma: 0.2, power: 0.75 },
  'lr-multistep': { ...sgd, lr_policy: 'multistep', stepvalue: [5, 10, 15], gamma: 0.5, snapshot: 10 },
  'lr-poly': { ...sgd, lr_policy: 'poly', power: 2 },
  'lr-sigmoid': { ...sgd, lr_policy: 'sigmoid', gamma: 0.3, stepsize: 10 },
  'itersize-clip-avgloss': { ...sgd, lr_policy: 'fixed', iter_size: 2, clip_gradients: 0.5, average_loss: 5 },
  'decay-L1': { ...sgd, lr_policy: 'fixed', weight_decay: 0.01, regularization_type: 'L1' },
  'decay-L2': { ...sgd, lr_policy: 'fixed', weight_decay: 0.01, regularization_type: 'L2' },
};
const MAX_ITER = 20;

const shape = (...dim) => ({ dim });
const paramLayer = (name, top, dims) => ({
  name,
  type: 'Parameter',
  top: [top],
  param: [{ lr_mult: 0, decay_mult: 0 }],
  parameter_param: { shape: shape(...dims) },
});
const learn = [{ lr_mult: 1 }, { lr_mult: 2, decay_mult: 0 }];

/**
 * The net: Parameter inputs, conv 3x3 -> ReLU -> max pool -> IP 10 -> ReLU -> IP 3 -> SoftmaxWithLoss
 * (+ Accuracy in TEST).
 */
function netParam() {
  return {
    name: 'SolverGolden',
    layer: [
      paramLayer('input_data', 'data', [N, 2, 8, 8]),
      paramLayer('input_label', 'label', [N]),
      {
        name: 'conv1',
        type: 'Convolution',
        bottom: ['data'],
        top: ['conv1'],
        param: learn,
        convolution_param: { num_output: 4, kernel_size: [3] },
      },
      { name: 'relu1', type: 'ReLU', bottom: ['conv1'], top: ['conv1'] },
      {
        name: 'pool1',
        type: 'Pooling',
        bottom: ['conv1'],
        top: ['pool1'],
        pooling_param: { pool: 'MAX', kernel_size: 2, stride: 2 },
      },
      {
        name: 'ip1',
        type: 'InnerProduct',
        bottom: ['pool1'],
        top: ['ip1'],
        param: learn,
        inner_product_param: { num_output: 10 },
      },
      { name: 'relu2', type: 'ReLU', bottom: ['ip1'], top: ['ip1'] },
      { name: 'ip2', type: 'InnerProduct', bottom: ['ip1'], top: ['ip2'], inner_product_param: { num_output: 3 } },
      { name: 'accuracy', type: 'Accuracy', bottom: ['ip2', 'label'], top: ['accuracy'], include: [{ phase: 'TEST' }] },
      { name: 'loss', type: 'SoftmaxWithLoss', bottom: ['ip2', 'label'], top: ['loss'] },
    ],
  };
}

/** Deterministic values in [lo, hi) (an integer hash, identical everywhere). */
function values(n, seed, lo, hi) {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * ((((i + 1) * 2654435761 + seed * 40503) >>> 0) / 4294967296);
  return out;
}

/** init.caffemodel: the inputs and the initial weights. */
function initWeights() {
  const blob = (dims, data) => ({ shape: shape(...dims), data });
  const label = Float32Array.from({ length: N }, (_, i) => i % 3);
  return {
    name: 'SolverGolden',
    layer: [
      { name: 'input_data', type: 'Parameter', blobs: [blob([N, 2, 8, 8], values(N * 128, 1, -1, 1))] },
      { name: 'input_label', type: 'Parameter', blobs: [blob([N], label)] },
      {
        name: 'conv1',
        type: 'Convolution',
        blobs: [blob([4, 2, 3, 3], values(72, 2, -0.3, 0.3)), blob([4], values(4, 3, -0.1, 0.1))],
      },
      {
        name: 'ip1',
        type: 'InnerProduct',
        blobs: [blob([10, 36], values(360, 4, -0.25, 0.25)), blob([10], values(10, 5, -0.1, 0.1))],
      },
      {
        name: 'ip2',
        type: 'InnerProduct',
        blobs: [blob([3, 10], values(30, 6, -0.4, 0.4)), blob([3], values(3, 7, -0.1, 0.1))],
      },
    ],
  };
}

/** The solver message of case `id`, reading/writing in `dir` with snapshots at `prefix`. */
function solverParam(id, dir, prefix, maxIter = MAX_ITER) {
  return {
    net: path.join(dir, 'net.prototxt'),
    max_iter: maxIter,
    display: 1,
    snapshot_prefix: path.join(dir, prefix),
    random_seed: 1701,
    solver_mode: 'CPU',
    ...CASES[id],
  };
}

/** Writes net.prototxt, init.caffemodel and <name>.prototxt (the solver) into `dir`. */
function writeCase(lib, id, dir, prefix, name = 's', maxIter = MAX_ITER) {
  lib.writeProtoToTextFile(netParam(), 'caffe.NetParameter', path.join(dir, 'net.prototxt'));
  lib.writeProtoToBinaryFile(initWeights(), 'caffe.NetParameter', path.join(dir, 'init.caffemodel'));
  const file = path.join(dir, `${name}.prototxt`);
  lib.writeProtoToTextFile(solverParam(id, dir, prefix, maxIter), 'caffe.SolverParameter', file);
  return file;
}

/** What a training log says: smoothed loss and lr by iteration, clipping factors, test outputs. */
function parseLog(text) {
  const r = { losses: [], lrs: [], clips: [], tests: [], multistep: [] };
  for (const line of text.split('\n')) {
    let m;
    if ((m = /\] Iteration (\d+) \(.*\), loss = (\S+)$/.exec(line))) r.losses[+m[1]] = Number(m[2]);
    else if ((m = /\] Iteration (\d+), loss = (\S+)$/.exec(line))) r.losses[+m[1]] = Number(m[2]);
    else if ((m = /\] Iteration (\d+), lr = (\S+)$/.exec(line))) r.lrs[+m[1]] = Number(m[2]);
    else if ((m = /by scale factor (\S+)$/.exec(line))) r.clips.push(Number(m[1]));
    else if ((m = /Test net output #\d+: (\S+) = (\S+)/.exec(line))) r.tests.push([m[1], Number(m[2])]);
    else if ((m = /MultiStep Status: Iteration (\d+), step = (\d+)/.exec(line))) r.multistep.push([+m[1], +m[2]]);
  }
  return r;
}

/** OpenBLAS's Haswell kernels on 2 threads: the BLAS configuration the ../shared fixtures were made with. */
const REPLAY_ENV = { OPENBLAS_CORETYPE: 'Haswell', OPENBLAS_NUM_THREADS: '2' };

/** Runs `caffe train` in `dir` (in `env`); returns its log (throws with Caffe's fatal line on failure). */
function runCaffe(dir, args, env = process.env) {
  const r = spawnSync('caffe', ['train', ...args], { cwd: dir, env, encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0)
    throw new Error(
      `caffe train ${args.join(' ')} failed: ${r.stderr
        .split('\n')
        .filter((l) => /^F|Check failed/.test(l))
        .join(' ')}`,
    );
  return r.stderr;
}

/** The learnable blobs of a .caffemodel NetParameter by 'layer/index' (the Parameter inputs left out). */
function weightBlobs(net) {
  const out = {};
  for (const l of net.layer ?? []) {
    if (l.type === 'Parameter') continue;
    (l.blobs ?? []).forEach((b, i) => {
      out[`${l.name}/${i}`] = Array.from(b.data);
    });
  }
  return out;
}

/** A small digest of each blob: L2 norm, sum, and 8 values spread over it. */
function digest(blobs) {
  const out = {};
  for (const [k, v] of Object.entries(blobs)) {
    const step = Math.max(1, Math.floor(v.length / 8));
    out[k] = {
      l2: Math.hypot(...v),
      sum: v.reduce((a, b) => a + b, 0),
      samples: v.filter((_, i) => i % step === 0).slice(0, 8),
    };
  }
  return out;
}

module.exports = {
  CASES,
  values,
  MAX_ITER,
  netParam,
  initWeights,
  solverParam,
  writeCase,
  parseLog,
  runCaffe,
  REPLAY_ENV,
  weightBlobs,
  digest,
  GOLDEN,
};

if (require.main === module) {
  const lib = require('../dist');
  const res = {};
  for (const id of Object.keys(CASES)) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'caffets-solver-'));
    const solver = writeCase(lib, id, dir, 'caffe');
    const log = parseLog(runCaffe(dir, [`--solver=${solver}`, `--weights=${path.join(dir, 'init.caffemodel')}`]));
    const final = lib.readNetParamsFromBinaryFile(path.join(dir, `caffe_iter_${MAX_ITER}.caffemodel`));
    res[id] = { ...log, weights: digest(weightBlobs(final)) };
    console.error(
      `${id}: losses ${log.losses.length}, first ${log.losses[0]}, last ${log.losses[MAX_ITER]}, ` +
        `lr ${log.lrs[MAX_ITER - 1]}`,
    );
    fs.rmSync(dir, { recursive: true, force: true });
  }
  fs.writeFileSync(
    GOLDEN,
    JSON.stringify(res, (k, v) => (typeof v === 'number' ? Number(v.toPrecision(9)) : v)) + '\n',
  );
}
