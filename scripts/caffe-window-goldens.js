#!/usr/bin/env node
// WindowData goldens from reference Caffe, with ../shared (its photos and ImageNet mean), into
// test/golden/window-data-goldens-caffe.json (test/golden/window_data_goldens.test.ts):
// - batches: four WindowData layers (warp and square, with and without context_pad, mirror, mean values,
//   the mean file, scale, cache_images, root_folder) over window files made here; `caffe train` with
//   random_seed takes WINDOW_BATCHES batches. HDF5Output can save only one forward, so each top goes
//   through a Scale layer with a learnable full-size scale into a summed loss: the scale's gradient is the
//   top, and SGD with lr 1 and no momentum stores it exactly as the history of each iteration's
//   .solverstate;
// - setup: the log lines `caffe time` writes while setting those layers up;
// - finetune: BVLC's examples/finetune_pascal_detection net scaled down (crop 24, a few conv layers, no
//   Dropout) trained for FINETUNE_ITER iterations from fixed weights: losses and test outputs.
// Usage: node scripts/caffe-window-goldens.js   (needs `npm run build`, reference Caffe and ../shared)
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { values, parseLog, runCaffe } = require('./caffe-solver-goldens.js');
const { blob, learn } = require('./caffe-layer-goldens.js').helpers;

const SHARED = path.resolve(__dirname, '../../shared/fixtures');
const IMAGES = path.join(SHARED, 'images');
const IMAGENET_MEAN = path.join(SHARED, 'models/imagenet/imagenet_mean.binaryproto');
const WINDOW_GOLDEN = path.join(__dirname, '../test/golden/window-data-goldens-caffe.json');
const WINDOW_SEED = 1701;
const WINDOW_BATCHES = 3;
const FINETUNE_ITER = 10;

/** Photos of ../shared/fixtures/images: name, width, height (a gray JPEG among them, read as colour). */
const TRAIN_IMAGES = [
  ['cat.jpg', 480, 360],
  ['chelsea.png', 451, 300],
  ['fish-bike.jpg', 481, 323],
  ['cat_gray.jpg', 480, 360],
  ['fruits.jpg', 512, 480],
  ['squirrel_cls.jpg', 535, 426],
];
const TEST_IMAGES = [
  ['china.jpg', 640, 427],
  ['coffee.png', 600, 400],
];
const OVERLAPS = [0.92, 0.71, 0.55, 0.5, 0.47, 0.35, 0.2, 0.05];

/**
 * Windows (class overlap x1 y1 x2 y2) of a w x h image, all inside it: eight of deterministic place, size,
 * class 1..3 and overlap, plus one at each of two corners, a thin wide one and the whole image.
 */
function imageWindows(w, h, seed) {
  const u = values(32, seed, 0, 1);
  const out = OVERLAPS.map((overlap, k) => {
    const bw = 8 + Math.floor(u[4 * k] * (w - 8) * 0.6),
      bh = 8 + Math.floor(u[4 * k + 1] * (h - 8) * 0.6);
    const x1 = Math.floor(u[4 * k + 2] * (w - bw)),
      y1 = Math.floor(u[4 * k + 3] * (h - bh));
    return [1 + (k % 3), overlap, x1, y1, x1 + bw - 1, y1 + bh - 1];
  });
  out.push([2, 0.8, 0, 0, Math.floor(w / 3), Math.floor(h / 4)]);
  out.push([3, 0.15, Math.floor(w / 2), Math.floor(h * 0.6), w - 1, h - 1]);
  out.push([1, 0.6, 0, Math.floor(h / 3), w - 1, Math.floor(h / 3) + 20]);
  out.push([3, 0.0, 0, 0, w - 1, h - 1]);
  return out;
}

/** A window file over `images`, each path written as `prefix` + name. */
function windowFileText(images, prefix, seed) {
  return images
    .map(([name, w, h], i) => {
      const wins = imageWindows(w, h, seed + i);
      return `# ${i}\n${prefix}${name}\n3\n${h}\n${w}\n${wins.length}\n${wins.map((r) => r.join(' ')).join('\n')}\n`;
    })
    .join('');
}

/** Writes the window files into `dir`: train (absolute paths), train_rel (for root_folder), test. */
function writeWindowFiles(dir) {
  const files = {
    train: windowFileText(TRAIN_IMAGES, `${IMAGES}/`, 31),
    train_rel: windowFileText(TRAIN_IMAGES, '', 31),
    test: windowFileText(TEST_IMAGES, `${IMAGES}/`, 41),
  };
  for (const [k, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, `${k}.txt`), text);
  return Object.fromEntries(Object.keys(files).map((k) => [k, path.join(dir, `${k}.txt`)]));
}

const windowLayer = (name, wp, tp) => ({
  name,
  type: 'WindowData',
  top: [name, `${name}_label`],
  window_data_param: { batch_size: 4, ...wp },
  transform_param: { crop_size: 12, ...tp },
});

/** The four WindowData layers of the batch goldens, reading the window files in `dir`. */
function windowLayers(dir) {
  const f = (k) => path.join(dir, `${k}.txt`);
  const abs = { source: f('train') };
  return [
    windowLayer(
      'warp_pad',
      { ...abs, fg_threshold: 0.5, bg_threshold: 0.3, fg_fraction: 0.5, context_pad: 2 },
      { mirror: true, mean_value: [104, 117, 123] },
    ),
    windowLayer(
      'square_pad',
      {
        source: f('train_rel'),
        root_folder: `${IMAGES}/`,
        cache_images: true,
        fg_threshold: 0.6,
        context_pad: 2,
        crop_mode: 'square',
        scale: 0.5,
      },
      { mirror: true, mean_file: IMAGENET_MEAN },
    ),
    windowLayer('warp_plain', { ...abs, fg_fraction: 0.34, scale: 0.00390625 }, {}),
    windowLayer(
      'square_plain',
      { ...abs, fg_threshold: 0.7, bg_threshold: 0.45, fg_fraction: 0.75, crop_mode: 'square' },
      { mirror: true, mean_value: [128] },
    ),
  ];
}
const WINDOW_CASES = ['warp_pad', 'square_pad', 'warp_plain', 'square_plain'];

/** Writes the window files, the capture net (capture.prototxt) and its solver into `dir`; returns the solver. */
function writeCaptureCase(lib, dir) {
  writeWindowFiles(dir);
  const layers = windowLayers(dir);
  const capture = (bottom) => [
    {
      name: `scale_${bottom}`,
      type: 'Scale',
      bottom: [bottom],
      top: [`scaled_${bottom}`],
      param: [{ lr_mult: 1, decay_mult: 0 }],
      scale_param: { axis: 0, num_axes: -1 },
    },
    {
      name: `sum_${bottom}`,
      type: 'Reduction',
      bottom: [`scaled_${bottom}`],
      top: [`sum_${bottom}`],
      loss_weight: [1],
    },
  ];
  const net = {
    name: 'WindowGoldens',
    layer: [...layers, ...layers.flatMap((l) => [...capture(l.top[0]), ...capture(l.top[1])])],
  };
  lib.writeProtoToTextFile(net, 'caffe.NetParameter', path.join(dir, 'capture.prototxt'));
  const solver = {
    net: path.join(dir, 'capture.prototxt'),
    type: 'SGD',
    base_lr: 1,
    momentum: 0,
    weight_decay: 0,
    lr_policy: 'fixed',
    max_iter: WINDOW_BATCHES,
    snapshot: 1,
    display: 0,
    random_seed: WINDOW_SEED,
    snapshot_prefix: path.join(dir, 'capture'),
    solver_mode: 'CPU',
  };
  lib.writeProtoToTextFile(solver, 'caffe.SolverParameter', path.join(dir, 'capture_solver.prototxt'));
  return path.join(dir, 'capture_solver.prototxt');
}

/**
 * Runs the batch capture in reference Caffe (files in `dir`); returns { case: { data: [batch...], label:
 * [batch...] } }, Caffe's floats exactly.
 */
function caffeWindowBatches(lib, dir) {
  runCaffe(dir, [`--solver=${writeCaptureCase(lib, dir)}`]);
  const out = Object.fromEntries(WINDOW_CASES.map((c) => [c, { data: [], label: [] }]));
  for (let it = 1; it <= WINDOW_BATCHES; it++) {
    const state = lib.decodeMessage(
      fs.readFileSync(path.join(dir, `capture_iter_${it}.solverstate`)),
      'caffe.SolverState',
    );
    WINDOW_CASES.forEach((c, k) => {
      out[c].data.push(Array.from(state.history[2 * k].data));
      out[c].label.push(Array.from(state.history[2 * k + 1].data));
    });
  }
  return out;
}

/**
 * Caffe's log lines (prefix cut to the severity letter, continuation lines joined) from "Creating layer X"
 * to the next layer's, for each WindowData layer X; `dir` and ../shared/fixtures read $DIR and $SHARED.
 */
function windowSetupLines(log, dir) {
  const entries = [];
  // libpng's warnings (chelsea.png's sRGB profile), written by Caffe's prefetch threads meanwhile, may
  // land inside a glog line: cut them out up to the next glog prefix or line end
  const clean = log.replace(/libpng (warning|error): .*?(?=[IWEF]\d{4} [\d:.]+ +\d+ |\n|$)/g, '');
  for (const line of clean.split('\n')) {
    const m = /^([IWEF])\d{4} [\d:.]+ +\d+ [^\]]+\] (.*)$/.exec(line);
    if (m) entries.push(`${m[1]} ${m[2]}`);
    else if (entries.length && line !== '') entries[entries.length - 1] += `\n${line}`;
  }
  const out = {};
  let current = null;
  for (const e of entries) {
    const m = /^I Creating layer (\S+)$/.exec(e);
    if (m) current = WINDOW_CASES.includes(m[1]) ? (out[m[1]] = []) : null;
    if (current) current.push(e.split(dir).join('$DIR').split(SHARED).join('$SHARED'));
  }
  return out;
}

/** `caffe time` on the capture net (written by writeCaptureCase into `dir`): the layers' set-up lines. */
function caffeWindowSetup(dir) {
  const r = spawnSync('caffe', ['time', `--model=${path.join(dir, 'capture.prototxt')}`, '--iterations=1'], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  if (r.status !== 0) throw new Error(`caffe time failed: ${r.stderr.split('\n').slice(-5).join(' ')}`);
  return windowSetupLines(r.stderr, dir);
}

/**
 * BVLC's finetune_pascal_detection train/test net scaled down: WindowData (TRAIN and TEST window files,
 * fg 0.5, bg 0.5, fg_fraction 0.25, warp, context_pad 2, crop 24, mirror, the ImageNet mean), conv 5x5/2
 * -> ReLU -> max pool -> LRN -> conv 3x3 group 2 -> ReLU -> max pool -> fc 16 -> ReLU -> fc 4 ->
 * SoftmaxWithLoss (+ Accuracy in TEST). No fillers: the weights come from init.caffemodel.
 */
function finetuneNet(files) {
  const data = (phase, source) => ({
    name: 'data',
    type: 'WindowData',
    top: ['data', 'label'],
    include: [{ phase }],
    transform_param: { mirror: true, crop_size: 24, mean_file: IMAGENET_MEAN },
    window_data_param: {
      source,
      batch_size: 8,
      fg_threshold: 0.5,
      bg_threshold: 0.5,
      fg_fraction: 0.25,
      context_pad: 2,
      crop_mode: 'warp',
    },
  });
  const conv = (name, bottom, num_output, extra) => ({
    name,
    type: 'Convolution',
    bottom: [bottom],
    top: [name],
    param: learn,
    convolution_param: { num_output, ...extra },
  });
  const relu = (name, bottom) => ({ name, type: 'ReLU', bottom: [bottom], top: [bottom] });
  const pool = (name, bottom) => ({
    name,
    type: 'Pooling',
    bottom: [bottom],
    top: [name],
    pooling_param: { pool: 'MAX', kernel_size: 3, stride: 2 },
  });
  const fc = (name, bottom, num_output) => ({
    name,
    type: 'InnerProduct',
    bottom: [bottom],
    top: [name],
    param: learn,
    inner_product_param: { num_output },
  });
  return {
    name: 'CaffeNetMini',
    layer: [
      data('TRAIN', files.train),
      data('TEST', files.test),
      conv('conv1', 'data', 8, { kernel_size: [5], stride: [2] }),
      relu('relu1', 'conv1'),
      pool('pool1', 'conv1'),
      { name: 'norm1', type: 'LRN', bottom: ['pool1'], top: ['norm1'], lrn_param: { local_size: 3 } },
      conv('conv2', 'norm1', 12, { kernel_size: [3], pad: [1], group: 2 }),
      relu('relu2', 'conv2'),
      pool('pool2', 'conv2'),
      fc('fc6', 'pool2', 16),
      relu('relu6', 'fc6'),
      fc('fc8_pascal', 'fc6', 4),
      { name: 'loss', type: 'SoftmaxWithLoss', bottom: ['fc8_pascal', 'label'], top: ['loss'] },
      {
        name: 'accuracy',
        type: 'Accuracy',
        bottom: ['fc8_pascal', 'label'],
        top: ['accuracy'],
        include: [{ phase: 'TEST' }],
      },
    ],
  };
}

function finetuneInit() {
  const b = (name, type, wDims, scale, seed) => ({
    name,
    type,
    blobs: [
      blob(
        wDims,
        values(
          wDims.reduce((a, x) => a * x, 1),
          seed,
          -scale,
          scale,
        ),
      ),
      blob([wDims[0]], values(wDims[0], seed + 1, -0.1, 0.1)),
    ],
  });
  return {
    name: 'CaffeNetMini',
    layer: [
      b('conv1', 'Convolution', [8, 3, 5, 5], 0.01, 51),
      b('conv2', 'Convolution', [12, 4, 3, 3], 0.2, 53),
      b('fc6', 'InnerProduct', [16, 48], 0.2, 55),
      b('fc8_pascal', 'InnerProduct', [4, 16], 0.4, 57),
    ],
  };
}

/** Writes the window files, net, init.caffemodel and solver of the finetune case into `dir`. */
function writeFinetuneCase(lib, dir, prefix) {
  const files = writeWindowFiles(dir);
  lib.writeProtoToTextFile(finetuneNet(files), 'caffe.NetParameter', path.join(dir, 'finetune.prototxt'));
  lib.writeProtoToBinaryFile(finetuneInit(), 'caffe.NetParameter', path.join(dir, 'finetune_init.caffemodel'));
  const solver = {
    net: path.join(dir, 'finetune.prototxt'),
    test_iter: [2],
    test_interval: 5,
    base_lr: 0.001,
    lr_policy: 'step',
    gamma: 0.1,
    stepsize: 20000,
    display: 1,
    max_iter: FINETUNE_ITER,
    momentum: 0.9,
    weight_decay: 0.0005,
    snapshot_prefix: path.join(dir, prefix),
    random_seed: WINDOW_SEED,
    solver_mode: 'CPU',
  };
  const file = path.join(dir, `${prefix}_finetune_solver.prototxt`);
  lib.writeProtoToTextFile(solver, 'caffe.SolverParameter', file);
  return file;
}

module.exports = {
  parseLog,
  SHARED,
  WINDOW_GOLDEN,
  WINDOW_SEED,
  WINDOW_BATCHES,
  WINDOW_CASES,
  FINETUNE_ITER,
  writeWindowFiles,
  windowLayers,
  writeCaptureCase,
  windowSetupLines,
  caffeWindowBatches,
  caffeWindowSetup,
  writeFinetuneCase,
};

const json = (v) => JSON.stringify(v, (k, x) => (typeof x === 'number' ? Number(x.toPrecision(9)) : x)) + '\n';

function windowGoldens(lib) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'caffets-window-goldens-'));
  try {
    const batches = caffeWindowBatches(lib, dir);
    const setup = caffeWindowSetup(dir);
    const solver = writeFinetuneCase(lib, dir, 'caffe');
    const log = parseLog(
      runCaffe(dir, [`--solver=${solver}`, `--weights=${path.join(dir, 'finetune_init.caffemodel')}`]),
    );
    const finetune = { losses: log.losses, tests: log.tests };
    console.error(
      `batches: ${WINDOW_CASES.map((c) => `${c} labels ${batches[c].label.join(' | ')}`).join('; ')}\n` +
        `setup: ${Object.entries(setup)
          .map(([k, v]) => `${k} ${v.length} lines`)
          .join(', ')}\n` +
        `finetune: loss ${log.losses[0]} -> ${log.losses[FINETUNE_ITER]}, tests ${JSON.stringify(log.tests)}`,
    );
    fs.writeFileSync(WINDOW_GOLDEN, json({ seed: WINDOW_SEED, batches, setup, finetune }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  if (fs.existsSync(SHARED)) windowGoldens(require('../dist'));
  else console.error(`WindowData goldens skipped: ${SHARED} is absent`);
}
