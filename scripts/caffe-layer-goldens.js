#!/usr/bin/env node
// Goldens from reference Caffe for layers tested without a data pipeline of their own, by suite:
// - layers: SPP, BatchReindex, Im2col, MultinomialLogisticLoss (test/golden/layer-goldens-caffe.json);
// - recurrent: LSTM, RNN, LSTMUnit (scripts/caffe-layer-goldens-recurrent.js, recurrent-goldens-caffe.json).
// For each suite:
// - forward: one net of Parameter inputs (values stored in a .caffemodel, with any weights of the cases)
//   through every case; `caffe test` runs it once with each output blob copied, exactly, to an HDF5 file by
//   an HDF5Output layer (after a Reshape to 1 x count, as HDF5Output reads 4-D legacy shapes), so the golden
//   holds Caffe's floats bit for bit (9 significant digits), not the 6 digits `caffe test` prints;
// - training: the suite's net from fixed initial weights, `caffe train` for maxIter SGD iterations: the
//   loss of every iteration, the test outputs (if the solver tests) and the final weights.
// layers' training net: conv -> Im2col -> SPP -> BatchReindex (repeated indices) -> InnerProduct -> Softmax
// -> MultinomialLogisticLoss (465 weights).
// test/golden/layer_goldens.test.ts runs caffets on the same.
// Usage: node scripts/caffe-layer-goldens.js [SUITE...]   (all suites by default; needs `npm run build` and
// reference Caffe)
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { values, parseLog, runCaffe, weightBlobs } = require('./caffe-solver-goldens.js');

const GOLDEN = path.join(__dirname, '../test/golden/layer-goldens-caffe.json');
const MAX_ITER = 20;

const shape = (...dim) => ({ dim });
const blob = (dims, data) => ({ shape: shape(...dims), data: Float32Array.from(data) });

/** Rows of positive values summing to 1 (float32), with entry `zero` of row 0 set to 0 (the 1e-20 floor). */
function probabilities(rows, cols, seed, zero) {
  const v = values(rows * cols, seed, 0.05, 1);
  for (let r = 0; r < rows; r++) {
    if (r === 0 && zero !== undefined) v[zero] = 0;
    let s = 0;
    for (let c = 0; c < cols; c++) s += v[r * cols + c];
    for (let c = 0; c < cols; c++) v[r * cols + c] /= s;
  }
  return v;
}

/** The forward net's inputs: name -> [dims, values]. */
const INPUTS = {
  x: [[2, 3, 9, 8], values(432, 11, -2, 2)],
  x5: [[2, 3, 5, 7], values(210, 12, -2, 2)],
  items: [[5, 4, 3, 2], values(120, 13, -1, 1)],
  idx: [[6], [4, 0, 4, 0, 1, 2]],
  img: [[2, 3, 7, 6], values(252, 14, -1, 1)],
  vol: [[2, 2, 4, 5, 3], values(240, 15, -1, 1)],
  seq: [[2, 3, 9], values(54, 16, -1, 1)],
  probs: [[4, 5], probabilities(4, 5, 17, 3)],
  label: [[4], [3, 1, 4, 0]], // item 0's label picks the zero probability
  probs2: [[3, 2, 1, 2], probabilities(3, 4, 18)],
  label2: [[3], [3, 0, 2]],
};

const layer = (name, type, bottom, extra = {}) => ({ name, type, bottom, top: [name], ...extra });
/** The forward cases: every output is a top named after its layer. */
const CASES = [
  layer('spp3_max', 'SPP', ['x'], { spp_param: { pyramid_height: 3, pool: 'MAX' } }),
  layer('spp2_ave', 'SPP', ['x'], { spp_param: { pyramid_height: 2, pool: 'AVE' } }),
  layer('spp2_ave_odd', 'SPP', ['x5'], { spp_param: { pyramid_height: 2, pool: 'AVE' } }),
  layer('spp1', 'SPP', ['x5'], { spp_param: { pyramid_height: 1 } }),
  layer('reindex', 'BatchReindex', ['items', 'idx']),
  layer('im2col_2d', 'Im2col', ['img'], { convolution_param: { kernel_size: [3], stride: [2], pad: [1] } }),
  layer('im2col_rect_dilated', 'Im2col', ['img'], {
    convolution_param: { kernel_h: 3, kernel_w: 2, stride_h: 2, stride_w: 1, pad_h: 1, pad_w: 0, dilation: [2] },
  }),
  layer('im2col_force_nd', 'Im2col', ['img'], {
    convolution_param: { kernel_size: [3], stride: [2], pad: [1], force_nd_im2col: true },
  }),
  layer('im2col_3d', 'Im2col', ['vol'], {
    convolution_param: { kernel_size: [2, 3, 2], stride: [1, 2, 1], pad: [0, 1, 1], dilation: [1, 1, 2] },
  }),
  layer('im2col_1d', 'Im2col', ['seq'], { convolution_param: { kernel_size: [3], stride: [2], pad: [1] } }),
  layer('im2col_axis2', 'Im2col', ['vol'], { convolution_param: { axis: 2, kernel_size: [2], stride: [1, 2] } }),
  layer('mll', 'MultinomialLogisticLoss', ['probs', 'label']),
  layer('mll_chw', 'MultinomialLogisticLoss', ['probs2', 'label2'], { loss_weight: [0.5] }),
];

/** A suite's outputs: every top of its forward cases. */
const outputsOf = (suite) => suite.cases.flatMap((c) => c.top);

/** The forward net and its weights (the inputs, and the cases' own weights), as NetParameter objects. */
function forwardNet(suite = LAYERS) {
  const names = Object.keys(suite.inputs);
  return {
    net: {
      name: suite.netName,
      layer: [
        ...names.map((n) => ({
          name: `input_${n}`,
          type: 'Parameter',
          top: [n],
          parameter_param: { shape: shape(...suite.inputs[n][0]) },
        })),
        ...suite.cases,
      ],
    },
    weights: {
      name: suite.netName,
      layer: [
        ...names.map((n) => ({ name: `input_${n}`, type: 'Parameter', blobs: [blob(...suite.inputs[n])] })),
        ...(suite.weights ?? []),
      ],
    },
  };
}

/**
 * Runs a suite's forward net in reference Caffe; returns { output: [values...] }, each exactly Caffe's
 * floats. `lib` is caffets' library and `hdf5` its io/hdf5 module (dist/ or src/).
 */
function caffeForward(lib, hdf5, dir, suite = LAYERS) {
  const { net, weights } = forwardNet(suite);
  const outputs = outputsOf(suite);
  net.layer.push({ name: 'input_one', type: 'Parameter', top: ['one'], parameter_param: { shape: shape(1) } });
  weights.layer.push({ name: 'input_one', type: 'Parameter', blobs: [blob([1], [0])] });
  for (const o of outputs) {
    net.layer.push(
      { name: `flat_${o}`, type: 'Reshape', bottom: [o], top: [`flat_${o}`], reshape_param: { shape: shape(1, -1) } },
      {
        name: `save_${o}`,
        type: 'HDF5Output',
        bottom: [`flat_${o}`, 'one'],
        hdf5_output_param: { file_name: path.join(dir, `${o}.h5`) },
      },
    );
  }
  lib.writeProtoToTextFile(net, 'caffe.NetParameter', path.join(dir, 'net.prototxt'));
  lib.writeProtoToBinaryFile(weights, 'caffe.NetParameter', path.join(dir, 'w.caffemodel'));
  const r = spawnSync(
    'caffe',
    [
      'test',
      `--model=${path.join(dir, 'net.prototxt')}`,
      `--weights=${path.join(dir, 'w.caffemodel')}`,
      '--iterations=1',
    ],
    { encoding: 'utf8', maxBuffer: 256 << 20 },
  );
  if (r.status !== 0)
    throw new Error(
      `caffe test failed: ${r.stderr
        .split('\n')
        .filter((l) => /^F|Check failed/.test(l))
        .join(' ')}`,
    );
  const s = new hdf5.Hdf5Session(); // one HDF5 worker for all the files
  try {
    return Object.fromEntries(outputs.map((o) => [o, Array.from(s.listDatasets(path.join(dir, `${o}.h5`)).data.data)]));
  } finally {
    s.dispose();
  }
}

// ------------------------------------------------------------------ training

const N = 4; // images; the reindexed batch has PERM.length items
const PERM = [2, 0, 3, 3, 1, 0];
const LABELS = [0, 2, 1, 1, 2, 0];
const fixed = (name, dims) => ({
  name,
  type: 'Parameter',
  top: [name.replace(/^input_/, '')],
  param: [{ lr_mult: 0, decay_mult: 0 }],
  parameter_param: { shape: shape(...dims) },
});
const learn = [{ lr_mult: 1 }, { lr_mult: 2, decay_mult: 0 }];

/**
 * data 4x2x8x8 -> conv1 (3, 3x3, pad 1) -> Im2col (3x3, stride 2: 4x27x3x3) -> SPP (2 levels, MAX: 4x135)
 * -> BatchReindex (6 items, repeats) -> InnerProduct (3) -> Softmax -> MultinomialLogisticLoss.
 */
function trainNet() {
  return {
    name: 'LayerGoldensTrain',
    layer: [
      fixed('input_data', [N, 2, 8, 8]),
      fixed('input_perm', [PERM.length]),
      fixed('input_label', [PERM.length]),
      {
        name: 'conv1',
        type: 'Convolution',
        bottom: ['data'],
        top: ['conv1'],
        param: learn,
        convolution_param: { num_output: 3, kernel_size: [3], pad: [1] },
      },
      layer('cols', 'Im2col', ['conv1'], { convolution_param: { kernel_size: [3], stride: [2] } }),
      layer('spp', 'SPP', ['cols'], { spp_param: { pyramid_height: 2, pool: 'MAX' } }),
      layer('reindex', 'BatchReindex', ['spp', 'perm']),
      layer('ip', 'InnerProduct', ['reindex'], { param: learn, inner_product_param: { num_output: 3 } }),
      layer('prob', 'Softmax', ['ip']),
      layer('loss', 'MultinomialLogisticLoss', ['prob', 'label']),
    ],
  };
}

function trainInit() {
  return {
    name: 'LayerGoldensTrain',
    layer: [
      { name: 'input_data', type: 'Parameter', blobs: [blob([N, 2, 8, 8], values(N * 128, 21, -1, 1))] },
      { name: 'input_perm', type: 'Parameter', blobs: [blob([PERM.length], PERM)] },
      { name: 'input_label', type: 'Parameter', blobs: [blob([PERM.length], LABELS)] },
      {
        name: 'conv1',
        type: 'Convolution',
        blobs: [blob([3, 2, 3, 3], values(54, 22, -0.4, 0.4)), blob([3], values(3, 23, -0.1, 0.1))],
      },
      {
        name: 'ip',
        type: 'InnerProduct',
        blobs: [blob([3, 135], values(405, 24, -0.15, 0.15)), blob([3], values(3, 25, -0.1, 0.1))],
      },
    ],
  };
}

/**
 * Writes a suite's net.prototxt, init.caffemodel, data files (with `hdf5`, caffets' io/hdf5 module, where
 * the suite has any) and solver (snapshots at <dir>/<prefix>_iter_N) into `dir`; returns the solver's path.
 */
function writeTrainCase(lib, dir, prefix, suite = LAYERS, hdf5 = null) {
  lib.writeProtoToTextFile(suite.trainNet(dir), 'caffe.NetParameter', path.join(dir, 'net.prototxt'));
  lib.writeProtoToBinaryFile(suite.trainInit(), 'caffe.NetParameter', path.join(dir, 'init.caffemodel'));
  if (suite.writeData) suite.writeData(hdf5, dir);
  const solver = {
    net: path.join(dir, 'net.prototxt'),
    ...suite.solver,
    max_iter: suite.maxIter,
    display: 1,
    snapshot_prefix: path.join(dir, prefix),
    random_seed: 1701,
    solver_mode: 'CPU',
  };
  const file = path.join(dir, `${prefix}_solver.prototxt`);
  lib.writeProtoToTextFile(solver, 'caffe.SolverParameter', file);
  return file;
}

/** The suite of SPP, BatchReindex, Im2col and MultinomialLogisticLoss. */
const LAYERS = {
  golden: GOLDEN,
  netName: 'LayerGoldens',
  types: ['SPP', 'BatchReindex', 'Im2col', 'MultinomialLogisticLoss'],
  inputs: INPUTS,
  cases: CASES,
  maxIter: MAX_ITER,
  trainNet,
  trainInit,
  solver: { type: 'SGD', base_lr: 0.05, momentum: 0.9, weight_decay: 0.0005, lr_policy: 'fixed' },
};
const helpers = { values, shape, blob, layer, fixed, learn };
const SUITES = { layers: LAYERS, recurrent: require('./caffe-layer-goldens-recurrent.js')(helpers) };
const OUTPUTS = outputsOf(LAYERS);

module.exports = {
  SUITES,
  INPUTS,
  OUTPUTS,
  MAX_ITER,
  GOLDEN,
  outputsOf,
  forwardNet,
  caffeForward,
  writeTrainCase,
  parseLog,
  weightBlobs,
  helpers,
};

/** Runs a suite in reference Caffe and writes its golden file. */
function makeGoldens(lib, hdf5, name) {
  const suite = SUITES[name];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'caffets-layer-goldens-'));
  try {
    const forward = caffeForward(lib, hdf5, dir, suite);
    const solver = writeTrainCase(lib, dir, 'caffe', suite, hdf5);
    const log = parseLog(runCaffe(dir, [`--solver=${solver}`, `--weights=${path.join(dir, 'init.caffemodel')}`]));
    const final = lib.readNetParamsFromBinaryFile(path.join(dir, `caffe_iter_${suite.maxIter}.caffemodel`));
    const train = {
      losses: log.losses,
      ...(log.tests.length ? { tests: log.tests } : {}),
      weights: weightBlobs(final),
    };
    const outputs = outputsOf(suite);
    console.error(
      `${name} forward: ${outputs.map((o) => `${o} (${forward[o].length})`).join(', ')}\n` +
        `${name} train: loss ${log.losses[0]} -> ${log.losses[suite.maxIter]}`,
    );
    fs.writeFileSync(
      suite.golden,
      JSON.stringify({ forward, train }, (k, v) => (typeof v === 'number' ? Number(v.toPrecision(9)) : v)) + '\n',
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const names = process.argv.slice(2);
  for (const n of names)
    if (!SUITES[n]) throw new Error(`unknown suite ${n} (suites: ${Object.keys(SUITES).join(', ')})`);
  for (const n of names.length ? names : Object.keys(SUITES))
    makeGoldens(require('../dist'), require('../dist/io/hdf5'), n);
}
