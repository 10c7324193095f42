#!/usr/bin/env node
// Data pipeline benchmark: images/second of reference BVLC Caffe and caffets, side by side on the same
// files, best of N interleaved rounds.
//   1. convert_imageset (decode + optional resize + Datum + LMDB write), whole command wall time;
//   2. the Data layer feeding a net (LMDB read + decode + transform_param, prefetched): `time` of a net
//      made of a Data layer and a Silence layer, Average Forward pass per batch.
// The ImageNet-like set is made here: 300 JPEGs of 500x375 at quality 90 (4:2:0), crops of the
// ../shared photos.
// Usage: node scripts/bench-data.js [--rounds=3] [--only=convert|data]
//   (needs `npm run build`; Caffe columns need reference Caffe)
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const arg = (k, d) => (process.argv.find((a) => a.startsWith(`--${k}=`)) ?? `=${d}`).split('=')[1];
const rounds = Number(arg('rounds', 3));
const only = arg('only', '');
const SHARED = path.resolve(__dirname, '../../shared/fixtures');
const caffets = path.join(__dirname, '../bin/caffets');
const haveCaffe = spawnSync('sh', ['-c', 'command -v caffe && command -v convert_imageset']).status === 0;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'caffets-bench-data-'));

const TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

/** Runs a command: its wall seconds, CPU seconds (user + system, all threads; GNU time) and log. */
function run(cmd, args, cwd) {
  const t = process.hrtime.bigint();
  const [c, a] = TIME ? [TIME, ['-f', '%U %S', cmd, ...args]] : [cmd, args];
  const r = spawnSync(c, a, { cwd, encoding: 'utf8', maxBuffer: 256 << 20 });
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  const times = TIME && /([\d.]+) ([\d.]+)\s*$/.exec(r.stderr || '');
  const cpu = times ? Number(times[1]) + Number(times[2]) : NaN;
  if (r.status !== 0)
    throw new Error(
      `${cmd} ${args.join(' ')} failed: ${(r.stderr || '')
        .split('\n')
        .filter((l) => /^[EF]|caffets:/.test(l))
        .slice(-2)
        .join(' | ')}`,
    );
  return { s, cpu, log: r.stderr };
}

/** n ImageNet-like JPEGs (500x375, quality 90) in dir, cropped and mirrored from the ../shared photos, and
 *  their list file; returns the list file's path. */
async function imagenetLike(dir, n = 300) {
  const sharp = require('sharp');
  const photos = path.join(SHARED, 'images');
  const files = fs.readdirSync(photos).sort();
  fs.mkdirSync(dir, { recursive: true });
  const list = [];
  for (let i = 0; i < n; i++) {
    const src = path.join(photos, files[i % files.length]);
    const { width, height } = await sharp(src).metadata();
    // a 4:3 window of 60-100% of the largest one, placed by i
    const k = 0.6 + 0.4 * (((i * 37) % 101) / 100),
      w = Math.round(Math.min(width, (height * 4) / 3) * k),
      h = Math.round((w * 3) / 4);
    const left = Math.floor(((width - w) * ((i * 53) % 97)) / 96),
      top = Math.floor(((height - h) * ((i * 29) % 89)) / 88);
    let img = sharp(src).extract({ left, top, width: w, height: h }).resize(500, 375, { fit: 'fill' });
    if (i % 2) img = img.flop();
    const name = `img${String(i).padStart(4, '0')}.jpg`;
    await img.jpeg({ quality: 90, chromaSubsampling: '4:2:0' }).toFile(path.join(dir, name));
    list.push(`${name} ${i % 10}`);
  }
  fs.writeFileSync(path.join(dir, 'list.txt'), list.join('\n') + '\n');
  return path.join(dir, 'list.txt');
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
  {
    name: 'ImageNet-like 500x375 q90 JPEG resized to 256x256',
    make: (dir) => imagenetLike(dir),
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

async function convertTable() {
  console.log(
    '\n| convert_imageset | images | caffe img/s | caffets img/s | ratio (caffets/caffe) | ' +
      'caffe CPU s | caffets CPU s |\n|---|---|---|---|---|---|---|',
  );
  for (const c of CONVERT) {
    let root = c.root && path.join(SHARED, c.root) + '/',
      list = c.list && path.join(SHARED, c.list);
    if (c.make) {
      root = path.join(tmp, 'imagenet-like') + '/';
      list = await c.make(root);
    }
    const n = fs.readFileSync(list, 'utf8').trim().split('\n').length;
    const best = { caffe: { s: Infinity, cpu: 0 }, caffets: { s: Infinity, cpu: 0 } };
    for (let r = 0; r < rounds; r++) {
      for (const tool of haveCaffe ? ['caffe', 'caffets'] : ['caffets']) {
        const db = path.join(tmp, `${tool}_${r}_${Math.random().toString(36).slice(2)}`);
        const args = [...c.flags, root, list, db];
        const { s, cpu } =
          tool === 'caffe'
            ? run('convert_imageset', args)
            : run(process.execPath, [caffets, 'convert_imageset', ...args]);
        if (s < best[tool].s) best[tool] = { s, cpu };
        fs.rmSync(db, { recursive: true, force: true });
      }
    }
    const cr = n / best.caffe.s,
      or = n / best.caffets.s;
    console.log(
      `| ${c.name} | ${n} | ${haveCaffe ? cr.toFixed(0) : 'n/a'} | ${or.toFixed(0)} | ` +
        `${haveCaffe ? (or / cr).toFixed(2) : 'n/a'} | ${haveCaffe ? best.caffe.cpu.toFixed(2) : 'n/a'} | ` +
        `${best.caffets.cpu.toFixed(2)} |`,
    );
  }
}

function dataTable() {
  console.log(
    '\n| Data layer feeding a net | caffe img/s | caffets img/s | ratio (caffets/caffe) |\n|---|---|---|---|',
  );
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
    const iters = 5000;
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
}

(async () => {
  console.log(
    `machine: ${os.cpus()[0].model}, ${os.cpus().length} cores; best of ${rounds} interleaved rounds; ` +
      `load average before: ${os.loadavg()[0].toFixed(2)}`,
  );
  try {
    if (only !== 'data') await convertTable();
    if (only !== 'convert') dataTable();
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
})();
