#!/usr/bin/env node
// Data pipeline benchmark: images/second of reference BVLC Caffe and caffets, side by side on the same
// files, best of N interleaved rounds.
//   1. convert_imageset (decode + optional resize + Datum + LMDB write), whole command wall time;
//   2. the Data layer feeding a net (LMDB read + decode + transform_param, prefetched): `time` of a net
//      made of a Data layer and a Silence layer, Average Forward pass per batch.
// Usage: node scripts/bench-data.js [--rounds=3]   (needs `npm run build`; Caffe columns need reference Caffe)
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const rounds = Number((process.argv.find((a) => a.startsWith('--rounds=')) ?? '--rounds=3').split('=')[1]);
const SHARED = path.resolve(__dirname, '../../shared/fixtures');
const caffets = path.join(__dirname, '../bin/caffets');
const haveCaffe = spawnSync('sh', ['-c', 'command -v caffe && command -v convert_imageset']).status === 0;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'caffets-bench-data-'));

function run(cmd, args, cwd) {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 256 << 20 });
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0)
    throw new Error(
      `${cmd} ${args.join(' ')} failed: ${(r.stderr || '')
        .split('\n')
        .filter((l) => /^[EF]|caffets:/.test(l))
        .slice(-2)
        .join(' | ')}`,
    );
  return { s, log: r.stderr };
}

const CONVERT = [
  {
    name: 'fmnist 28x28 gray PNG',
    root: 'datasets/fmnist-1200/',
    list: 'datasets/fmnist-1200/train.txt',
    flags: ['--gray'],
  },
  {
    name: 'photo crops 64x64 PNG/JPEG',
    root: 'datasets/photo-crops-400/',
    list: 'datasets/photo-crops-400/train.txt',
    flags: [],
  },
  {
    name: 'photo crops resized to 256x256',
    root: 'datasets/photo-crops-400/',
    list: 'datasets/photo-crops-400/train.txt',
    flags: ['--resize_height=256', '--resize_width=256'],
  },
];

const DATA = [
  {
    name: 'LeNet fmnist LMDB, scale + mean_file, batch 64',
    dir: 'caffe-train/lenet-fmnist',
    batch: 64,
    transform: 'transform_param { scale: 0.00390625 mean_file: "mean.binaryproto" }',
  },
  {
    name: 'alexnet-mini LMDB, mean_file + crop 56 + mirror, batch 32',
    dir: 'caffe-train/alexnet-mini',
    batch: 32,
    transform: 'transform_param { mean_file: "mean.binaryproto" crop_size: 56 mirror: true }',
  },
];

console.log(`machine: ${os.cpus()[0].model}, ${os.cpus().length} cores; best of ${rounds} interleaved rounds`);
console.log(
  '\n| convert_imageset | images | caffe img/s | caffets img/s | ratio (caffets/caffe) |\n|---|---|---|---|---|',
);
for (const c of CONVERT) {
  const n = fs.readFileSync(path.join(SHARED, c.list), 'utf8').trim().split('\n').length;
  let bestCaffe = Infinity,
    bestOurs = Infinity;
  for (let r = 0; r < rounds; r++) {
    for (const tool of haveCaffe ? ['caffe', 'caffets'] : ['caffets']) {
      const db = path.join(tmp, `${tool}_${r}_${Math.random().toString(36).slice(2)}`);
      const args = [...c.flags, path.join(SHARED, c.root) + '/', path.join(SHARED, c.list), db];
      const { s } =
        tool === 'caffe'
          ? run('convert_imageset', args)
          : run(process.execPath, [caffets, 'convert_imageset', ...args]);
      if (tool === 'caffe') bestCaffe = Math.min(bestCaffe, s);
      else bestOurs = Math.min(bestOurs, s);
      fs.rmSync(db, { recursive: true, force: true });
    }
  }
  const cr = n / bestCaffe,
    or = n / bestOurs;
  console.log(
    `| ${c.name} | ${n} | ${haveCaffe ? cr.toFixed(0) : 'n/a'} | ${or.toFixed(0)} | ` +
      `${haveCaffe ? (or / cr).toFixed(2) : 'n/a'} |`,
  );
}

console.log('\n| Data layer feeding a net | caffe img/s | caffets img/s | ratio (caffets/caffe) |\n|---|---|---|---|');
for (const d of DATA) {
  const dir = path.join(tmp, path.basename(d.dir));
  fs.mkdirSync(dir, { recursive: true });
  for (const f of ['train_lmdb', 'mean.binaryproto'])
    if (!fs.existsSync(path.join(dir, f))) fs.symlinkSync(path.join(SHARED, d.dir, f), path.join(dir, f));
  fs.writeFileSync(
    path.join(dir, 'data.prototxt'),
    `name: "data_bench"
layer { name: "data" type: "Data" top: "data" top: "label" ${d.transform}
  data_param { source: "train_lmdb" batch_size: ${d.batch} backend: LMDB } }
layer { name: "silence" type: "Silence" bottom: "data" bottom: "label" }
`,
  );
  // steady state: the prefetch worker's JIT warm-up (first ~100 batches) is not what a training run sees
  const iters = 1000;
  let bestCaffe = Infinity,
    bestOurs = Infinity;
  const fwd = (log) => Number(/Average Forward pass: ([\d.e+-]+) ms/.exec(log)[1]);
  for (let r = 0; r < rounds; r++) {
    const args = ['time', '--model=data.prototxt', `--iterations=${iters}`];
    if (haveCaffe) bestCaffe = Math.min(bestCaffe, fwd(run('caffe', args, dir).log));
    bestOurs = Math.min(bestOurs, fwd(run(process.execPath, [caffets, ...args], dir).log));
  }
  const cr = (d.batch * 1000) / bestCaffe,
    or = (d.batch * 1000) / bestOurs;
  console.log(
    `| ${d.name} | ${haveCaffe ? cr.toFixed(0) : 'n/a'} | ${or.toFixed(0)} | ` +
      `${haveCaffe ? (or / cr).toFixed(2) : 'n/a'} |`,
  );
}
fs.rmSync(tmp, { recursive: true, force: true });
