#!/usr/bin/env node
// `caffets time --gpu=0` against `caffets time` (the CPU, DEFAULT engine), in one run, on the timing
// nets of ../shared/fixtures/bench: per-layer forward/backward ms on the GPU, and per net the
// forward-backward ms, images/s and achieved GFLOP/s of convolutions and inner products (2 M N K per
// GEMM; backward counted as twice the forward) on both. On a software adapter (Mesa's lavapipe) this
// is a correctness path, not a speed claim. Needs `npm run build`.
// Usage: node scripts/bench-gpu.js [--layers] [net=iterations ...]   (default lenet_time=20 cifar_time=5)
'use strict';
const path = require('path');
const { spawnSync } = require('child_process');

const dir = path.resolve(__dirname, '../../shared/fixtures/bench');
const caffets = path.join(__dirname, '../bin/caffets');
const picks = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const nets = picks.length
  ? Object.fromEntries(picks.map((p) => p.split('=')).map(([n, i]) => [n, Number(i || 5)]))
  : { lenet_time: 20, cifar_time: 5 };
const showLayers = process.argv.includes('--layers');

/** Forward FLOPs per layer name, and the batch size, from the net's shapes (the library, no compute). */
function flops(model) {
  const lib = require('../dist');
  lib.setMinLogLevel(3);
  const net = new lib.Net(lib.readNetParamsFromTextFile(model), { phase: 'TRAIN' });
  const out = {};
  net.layers.forEach((l, i) => {
    const top = net.topVecs[i][0],
      bottom = net.bottomVecs[i][0];
    if (!top || !bottom) return;
    if (l.type === 'Convolution' || l.type === 'Deconvolution') {
      // each output of the convolution (top; a deconvolution's bottom) sums weight dims 1.. products
      const perOutput = l.blobs[0].shape.slice(1).reduce((a, b) => a * b, 1);
      out[l.name] = 2 * (l.type === 'Convolution' ? top : bottom).count * perOutput;
    } else if (l.type === 'InnerProduct') {
      out[l.name] = (2 * top.count * l.blobs[0].count) / top.shape[top.shape.length - 1];
    }
  });
  const batch = net.blobs.find((b) => b.numAxes > 0)?.shape[0] ?? 1;
  net.dispose();
  return { perLayer: out, batch };
}

function time(model, iters, gpu) {
  const args = [caffets, 'time', `--model=${model}`, `--iterations=${iters}`, ...(gpu ? ['--gpu=0'] : [])];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  const text = r.stderr + r.stdout;
  const total = /Average Forward-Backward: ([\d.e+-]+) ms/.exec(text);
  if (!total)
    throw new Error(
      `caffets time${gpu ? ' --gpu=0' : ''} failed on ${model}: ${text.split('\n').slice(-3).join(' | ')}`,
    );
  const layers = {};
  for (const m of text.matchAll(/\] +(\S+)\t(forward|backward): ([\d.e+-]+) ms\./g)) {
    (layers[m[1]] ??= {})[m[2]] = Number(m[3]);
  }
  const adapter = /GPU device name: (.*)/.exec(text)?.[1];
  return { ms: Number(total[1]), layers, adapter };
}

const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');
const rows = [];
let adapter = '';
for (const [net, iters] of Object.entries(nets)) {
  const model = path.join(dir, `${net}.prototxt`);
  const f = flops(model);
  const total = Object.values(f.perLayer).reduce((a, b) => a + b, 0) * 3; // forward + 2x backward
  const gpu = time(model, iters, true);
  const cpu = time(model, iters, false);
  adapter = gpu.adapter ?? adapter;
  if (showLayers) {
    console.log(`\n${net} on the GPU (${iters} iterations): per-layer ms`);
    console.log('layer'.padEnd(16) + 'forward'.padStart(10) + 'backward'.padStart(10) + 'GFLOP/s'.padStart(10));
    for (const [name, t] of Object.entries(gpu.layers)) {
      const fl = f.perLayer[name];
      const gf = fl ? (3 * fl) / (((t.forward ?? 0) + (t.backward ?? 0)) * 1e6) : NaN;
      console.log(
        name.padEnd(16) + fmt(t.forward, 2).padStart(10) + fmt(t.backward, 2).padStart(10) + fmt(gf, 2).padStart(10),
      );
    }
  }
  rows.push({ net, batch: f.batch, gpu, cpu, total });
}
console.log(`\nGPU: ${adapter || '(unknown)'}; CPU: caffets DEFAULT engine. Forward-backward per iteration.`);
console.log(
  'net'.padEnd(14) +
    'batch'.padStart(6) +
    'GPU ms'.padStart(10) +
    'img/s'.padStart(9) +
    'GFLOP/s'.padStart(9) +
    'CPU ms'.padStart(10) +
    'img/s'.padStart(9) +
    'GFLOP/s'.padStart(9) +
    'GPU/CPU'.padStart(9),
);
for (const r of rows) {
  const ips = (ms) => (r.batch * 1000) / ms,
    gfs = (ms) => r.total / (ms * 1e6);
  console.log(
    r.net.padEnd(14) +
      String(r.batch).padStart(6) +
      fmt(r.gpu.ms).padStart(10) +
      fmt(ips(r.gpu.ms)).padStart(9) +
      fmt(gfs(r.gpu.ms), 2).padStart(9) +
      fmt(r.cpu.ms).padStart(10) +
      fmt(ips(r.cpu.ms)).padStart(9) +
      fmt(gfs(r.cpu.ms), 2).padStart(9) +
      fmt(r.gpu.ms / r.cpu.ms, 2).padStart(9),
  );
}
