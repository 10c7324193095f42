#!/usr/bin/env node
// Data-parallel scaling benchmark: images/second of `caffets train` (Data layer, forward, backward,
// gradient sums, update: the whole iteration) on LeNet and CIFAR-10 quick, for the same effective
// batch trained
//   - by 1 process with 2 threads, against 2 processes (mpirun -np 2) with 1 thread each (and 1 process
//     on 1 core, for reference: taskset, as the CPU engine takes every core it may run on);
//   - on 1 against 2 devices of the WebGPU backend (--gpu=0 / --gpu=0,1; on a software adapter such
//     as lavapipe this is a correctness run, not a speed claim).
// The rate is taken between two of the root's iteration lines (glog timestamps), after a warm-up, so
// start-up is left out; the cases run interleaved, round after round, and the best round counts.
// Data: LeNet reads ../shared's fmnist LMDB; CIFAR-10 quick a synthetic LMDB of random 32x32 colour
// images written here.
// Usage: node scripts/bench-scale.js [--rounds=2] [--gpu] [--no-mpi]   (needs `npm run build`)
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const arg = (name, dflt) => (process.argv.find((a) => a.startsWith(`--${name}=`)) ?? `=${dflt}`).split('=')[1];
const rounds = Number(arg('rounds', 2));
const withGpu = process.argv.includes('--gpu');
const withMpi = !process.argv.includes('--no-mpi');
const ROOT = path.resolve(__dirname, '..');
const caffets = path.join(ROOT, 'bin/caffets');
const SHARED = path.resolve(ROOT, '../shared/fixtures');
const lib = require(path.join(ROOT, 'dist'));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'caffets-bench-scale-'));
const ENV = { ...process.env, OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1' };

/** A LMDB of `n` random C x H x W uint8 Datums with labels 0-9. */
async function syntheticLmdb(dir, n, c, h, w) {
  const { openDB } = require(path.join(ROOT, 'dist/db'));
  lib.setLogSink(() => undefined);
  const db = await openDB('lmdb', dir, 'new');
  const txn = db.newTransaction();
  const r = new lib.Rng(1701);
  for (let i = 0; i < n; i++) {
    const data = Buffer.alloc(c * h * w);
    for (let k = 0; k < data.length; k++) data[k] = r.u32() & 255;
    const datum = { channels: c, height: h, width: w, data, label: i % 10 };
    txn.put(String(i).padStart(8, '0'), lib.encodeMessage(datum, 'caffe.Datum'));
  }
  await txn.commit();
  await db.close();
}

/** A train-only net from `netFile`: the TRAIN Data layer reading `source` with `batch`, no TEST layer. */
function trainNet(netFile, source, batch, transform) {
  const net = lib.parsePrototxt(fs.readFileSync(netFile, 'utf8'), 'caffe.NetParameter');
  net.layer = net.layer.filter((l) => !(l.include ?? []).some((r) => r.phase === 'TEST'));
  for (const l of net.layer) {
    if (l.type === 'Data') {
      l.data_param = { ...l.data_param, source, batch_size: batch };
      l.transform_param = transform;
    }
  }
  return lib.printPrototxt(net, 'caffe.NetParameter');
}

function writeCase(name, net, iters) {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'net.prototxt'), net);
  const solver = [
    'net: "net.prototxt"',
    'base_lr: 0.001',
    'momentum: 0.9',
    'weight_decay: 0.0005',
    'lr_policy: "fixed"',
    'display: 1',
    `max_iter: ${iters}`,
    'snapshot_after_train: false',
    'random_seed: 1701',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'solver.prototxt'), solver + '\n');
  return dir;
}

/** Seconds between the root's `Iteration a (` and `Iteration b (` lines. */
function span(log, a, b) {
  const at = (k) => {
    const m = new RegExp(`^I\\d{4} (\\d+):(\\d+):([\\d.]+) .*\\] Iteration ${k} \\(`, 'm').exec(log);
    if (!m) throw new Error(`no iteration ${k} in the log:\n${log.split('\n').slice(-5).join('\n')}`);
    return 3600 * m[1] + 60 * m[2] + Number(m[3]);
  };
  return at(b) - at(a);
}

function run(cmd, args, cwd, env = ENV) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) {
    const why = `${r.stdout}${r.stderr}`.split('\n').filter((l) => /caffets:|^[EF]\d|rror/.test(l));
    throw new Error(`${cmd} ${args.join(' ')} failed: ${why.slice(-3).join(' | ')}`);
  }
  return r.stderr;
}

const CONFIGS = [
  {
    name: '1 process x 1 thread (taskset -c 0)',
    go: (dir) => run('taskset', ['-c', '0', process.execPath, caffets, 'train', '--solver=solver.prototxt'], dir),
  },
  {
    name: '1 process x 2 threads',
    mpi: false,
    go: (dir) =>
      run(process.execPath, [caffets, 'train', '--solver=solver.prototxt'], dir, { ...ENV, OMP_NUM_THREADS: '2' }),
  },
  {
    name: '2 processes x 1 thread',
    mpi: true,
    split: 2,
    go: (dir) =>
      run(
        'mpirun',
        ['--oversubscribe', '-np', '2', process.execPath, caffets, 'train', '--solver=solver.prototxt'],
        dir,
      ),
  },
  {
    name: '1 GPU device',
    gpu: true,
    go: (dir) => run(process.execPath, [caffets, 'train', '--solver=solver.prototxt', '--gpu=0'], dir),
  },
  {
    name: '2 GPU devices, one process',
    gpu: true,
    split: 2,
    go: (dir) =>
      run(process.execPath, [caffets, 'train', '--solver=solver.prototxt', '--gpu=0,1'], dir, {
        ...ENV,
        CAFFETS_SOFTWARE_GPUS: '2',
      }),
  },
];

async function main() {
  const cifarDb = path.join(tmp, 'cifar_lmdb');
  await syntheticLmdb(cifarDb, 1000, 3, 32, 32);
  const NETS = [
    {
      name: 'LeNet (fmnist LMDB)',
      file: path.join(ROOT, 'models/lenet/lenet_train_test.prototxt'),
      source: path.join(SHARED, 'caffe-train/lenet-fmnist/train_lmdb'),
      transform: { scale: 0.00390625 },
      batch: 64,
      cpu: [10, 110],
      gpu: [3, 13],
    },
    {
      name: 'CIFAR-10 quick (synthetic LMDB)',
      file: path.join(ROOT, 'models/cifar10_quick/train_val.prototxt'),
      source: cifarDb,
      transform: { scale: 0.00390625 },
      batch: 100,
      cpu: [5, 45],
      gpu: [2, 6],
    },
  ];
  if (!fs.existsSync(NETS[0].source)) throw new Error(`${NETS[0].source} is missing (../shared)`);
  const haveMpi = spawnSync('sh', ['-c', 'command -v mpirun']).status === 0;
  // every case once per round, interleaved, so that the best of the rounds share the machine's moods
  const cases = [];
  for (const net of NETS) {
    for (const c of CONFIGS) {
      if (c.gpu && !withGpu) continue;
      if (c.mpi && !(withMpi && haveMpi)) continue;
      const [a, b] = c.gpu ? net.gpu : net.cpu;
      const per = net.batch / (c.split ?? 1);
      const dir = writeCase(
        `${net.name.split(' ')[0]}-${c.split ?? 1}${c.gpu ? 'g' : ''}`,
        trainNet(net.file, net.source, per, net.transform),
        b + 1, // the last iteration's line has no rate
      );
      cases.push({ net, c, a, b, per, dir, best: 0 });
    }
  }
  for (let r = 0; r < rounds; r++) {
    for (const k of cases) {
      const rate = ((k.b - k.a) * k.net.batch) / span(k.c.go(k.dir), k.a, k.b);
      k.best = Math.max(k.best, rate);
      process.stderr.write(`round ${r + 1}: ${k.net.name}, ${k.c.name}: ${rate.toFixed(0)} img/s\n`);
    }
  }
  const rows = cases.map((k) => [k.net.name, k.net.batch, k.c.name, k.per, k.best]);
  const load = os.loadavg().map((l) => l.toFixed(1));
  console.log(`${os.cpus()[0]?.model ?? 'CPU'}, ${os.cpus().length} cores, load ${load.join(' ')}; best of ${rounds}`);
  console.log('| net | batch | configuration | batch per replica | images/s |');
  console.log('|---|---|---|---|---|');
  for (const [n, batch, c, per, v] of rows) console.log(`| ${n} | ${batch} | ${c} | ${per} | ${v.toFixed(0)} |`);
  fs.rmSync(tmp, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
