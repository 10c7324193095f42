#!/usr/bin/env node
// Forward goldens from reference Caffe for the trained models of ../shared: each net's data input is
// replaced by a Parameter layer whose blob (a fixed pseudo-random input) is stored in the weights, so
// `caffe test` runs the exact same input without any data pipeline and prints every output element.
// Inner blobs listed as `taps` are exposed as `<blob>_tap` outputs. Writes test/golden/caffe-forward.json:
// { case: { outputs: { blob: [values...] } } }.
// Usage: node scripts/caffe-forward-goldens.js   (needs `npm run build` and reference Caffe)
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const SHARED = path.resolve(__dirname, '../../shared/fixtures');

/** The models, their weights, and the input blobs to feed (shape, value range; labels are integers). */
const CASES = [
  {
    id: 'lenet-mnist',
    net: 'models/lenet-mnist/deploy.prototxt',
    weights: 'models/lenet-mnist/lenet_iter_10000.caffemodel',
    inputs: { data: { shape: [2, 1, 28, 28], lo: 0, hi: 1 } },
  },
  {
    id: 'cifar10-quick',
    net: 'models/cifar10-quick/deploy.prototxt',
    weights: 'models/cifar10-quick/cifar10_quick_iter_5000.caffemodel',
    inputs: { data: { shape: [2, 3, 32, 32], lo: -60, hi: 60 } },
  },
  {
    id: 'cifar10-quick-v1-legacy',
    net: 'models/cifar10-quick-v1-legacy/v1_net.prototxt',
    weights: 'models/cifar10-quick-v1-legacy/cifar10_quick_iter_5000.v1.caffemodel',
    inputs: { data: { shape: [2, 3, 32, 32], lo: -60, hi: 60 }, label: { shape: [2], labels: 10 } },
  },
  {
    id: 'resnet20-cifar10',
    net: 'models/resnet20-cifar10/deploy.prototxt',
    weights: 'models/resnet20-cifar10/cifar10_res20_iter_64000.caffemodel',
    inputs: { Data1: { shape: [2, 3, 32, 32], lo: -1.5, hi: 1.5 } },
  },
  {
    id: 'alexnet-mini',
    net: 'caffe-train/alexnet-mini/train_val.prototxt',
    weights: 'caffe-train/alexnet-mini/init.caffemodel',
    inputs: { data: { shape: [2, 3, 64, 64], lo: -1.5, hi: 1.5 }, label: { shape: [2], labels: 5 } },
    taps: ['fc7', 'pool5', 'pool2'],
  },
  {
    id: 'layer-zoo',
    local: 'test/golden/layer_zoo.prototxt', // every other layer family, Parameter inputs only
    inputs: {
      x: { shape: [2, 4, 5, 6], lo: -2, hi: 2 },
      y: { shape: [2, 4, 5, 6], lo: -1, hi: 3 },
      pos: { shape: [2, 4, 5, 6], lo: 0.1, hi: 3 },
      bin: { shape: [2, 4, 5, 6], labels: 2 },
      z: { shape: [2, 4, 3, 4], lo: 0, hi: 1 },
      c: { shape: [4], lo: -1, hi: 1 },
      scores: { shape: [2, 5], lo: -2, hi: 2 },
      label: { shape: [2], labels: 5 },
      pa: { shape: [2, 4, 1, 1], lo: -1, hi: 1 },
      pb: { shape: [2, 4, 1, 1], lo: -1, hi: 1 },
      sim: { shape: [2], labels: 2 },
    },
  },
];

/** Deterministic input values (an integer hash, identical in every JS realm). */
function inputValues(spec) {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = (((i + 1) * 2654435761) >>> 0) / 4294967296;
    out[i] = spec.labels ? (i * 3 + 1) % spec.labels : spec.lo + (spec.hi - spec.lo) * u;
  }
  return out;
}

/**
 * The case's net (data layers replaced by Parameter layers) and weights (with the input blobs),
 * as NetParameter objects; `lib` is caffets' library (dist/ or src/).
 */
function buildCase(c, lib) {
  const restore = lib.setLogSink(() => {});
  try {
    const net = lib.readNetParamsFromTextFile(c.local ? path.join(__dirname, '..', c.local) : path.join(SHARED, c.net));
    const weights = c.weights
      ? lib.readNetParamsFromBinaryFile(path.join(SHARED, c.weights))
      : { name: net.name, layer: [] };
    const names = Object.keys(c.inputs);
    const own = new Set(net.layer.filter((l) => l.type === 'Parameter').flatMap((l) => l.top ?? []));
    net.layer = net.layer.filter((l) => l.type === 'Parameter' || !(l.top ?? []).some((t) => names.includes(t)));
    const params = names
      .filter((n) => !own.has(n))
      .map((n) => ({
        name: `input_${n}`,
        type: 'Parameter',
        top: [n],
        parameter_param: { shape: { dim: c.inputs[n].shape } },
      }));
    net.layer = [...params, ...net.layer];
    // taps: identity Power layers make inner blobs net outputs, which `caffe test` prints
    for (const b of c.taps ?? []) net.layer.push({ name: `tap_${b}`, type: 'Power', bottom: [b], top: [`${b}_tap`] });
    weights.layer = [
      ...names.map((n) => ({
        name: `input_${n}`,
        type: 'Parameter',
        blobs: [{ shape: { dim: c.inputs[n].shape }, data: inputValues(c.inputs[n]) }],
      })),
      ...(weights.layer ?? []),
    ];
    return { net, weights };
  } finally {
    restore();
  }
}

/** Runs `caffe test` on the case; returns { blob: values } of every net output. */
function caffeOutputs(c, lib) {
  const { net, weights } = buildCase(c, lib);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'caffets-fwd-'));
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
  const outputs = {};
  for (const line of r.stderr.split('\n')) {
    const m = /\] Batch 0, (.+) = (\S+)$/.exec(line);
    if (m) (outputs[m[1]] ??= []).push(Number(m[2]));
  }
  fs.rmSync(dir, { recursive: true, force: true });
  if (!Object.keys(outputs).length)
    throw new Error(
      `caffe test printed no outputs for ${c.id}: ${r.stderr
        .split('\n')
        .filter((l) => /^F/.test(l))
        .join(' ')}`,
    );
  return outputs;
}

module.exports = { CASES, buildCase, inputValues };

if (require.main === module) {
  const lib = require('../dist');
  const res = {};
  for (const c of CASES) {
    res[c.id] = { outputs: caffeOutputs(c, lib) };
    console.error(
      `${c.id}: ${Object.entries(res[c.id].outputs)
        .map(([k, v]) => `${k} (${v.length})`)
        .join(', ')}`,
    );
  }
  fs.writeFileSync(path.join(__dirname, '../test/golden/caffe-forward.json'), JSON.stringify(res) + '\n');
}
