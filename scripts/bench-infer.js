#!/usr/bin/env node
// SqueezeNet v1.0 inference, ms/image at batch 1 and 10: caffets (TEST-phase Net.forward, in a child
// process) against OpenCV's dnn module (cv2.dnn.readNetFromCaffe, in a Python child), interleaved
// rounds, best of each; prints a table and the spread of the rounds (the noise).
// OpenCV: when python3 cannot import cv2, Debian's python3-opencv and the libraries it needs that are
// missing (or older) here are fetched with `apt-get download` and unpacked with `dpkg -x` into a private
// folder (--cv-dir), used through PYTHONPATH/LD_LIBRARY_PATH; nothing is installed.
// Usage: node scripts/bench-infer.js [--rounds=5] [--iters=20] [--batches=1,10] [--no-opencv]
//        [--cv-dir=/tmp/caffets-opencv] [--model=DIR] [--layers] [--base=REPO]
// --layers: caffets' per-layer ms on stderr; --base: also time the caffets checkout REPO (its dist/) in
// the same rounds, as a before/after comparison.
'use strict';
const path = require('path');
const fs = require('fs');
const os = require('os');
const { spawnSync } = require('child_process');

const arg = (k, d) => (process.argv.find((a) => a.startsWith(`--${k}=`)) ?? `=${d}`).split('=')[1];
const flag = (k) => process.argv.includes(`--${k}`);
const rounds = Number(arg('rounds', 5));
const iters = Number(arg('iters', 20));
const batches = arg('batches', '1,10').split(',').map(Number);
const modelDir = path.resolve(arg('model', path.join(__dirname, '../../shared/fixtures/models/squeezenet-v1.0')));
const deploy = path.join(modelDir, 'deploy.prototxt');
const weights = path.join(modelDir, 'squeezenet_v1.0.caffemodel');
const cvDir = path.resolve(arg('cv-dir', path.join(os.tmpdir(), 'caffets-opencv')));

/** The caffets worker: best ms/image over `iters` forwards (after one warm-up) for each batch. */
function caffetsWorker() {
  const { Net, readNetParamsFromTextFile } = require(path.resolve(arg('lib', path.join(__dirname, '..'))));
  const { performance } = require('perf_hooks');
  const out = {};
  const net = new Net(readNetParamsFromTextFile(deploy), { phase: 'TEST' });
  net.copyTrainedLayersFromFile(weights);
  const input = net.inputBlobs[0];
  for (const n of batches) {
    input.reshape([n, ...input.shape.slice(1)]);
    net.reshape();
    const x = input.mutableCpuData();
    for (let i = 0; i < x.length; i++) x[i] = ((i * 7919) % 256) - 128;
    net.forward();
    let best = Infinity;
    const layerMs = new Array(net.layers.length).fill(0);
    for (let it = 0; it < iters; it++) {
      const t0 = performance.now();
      if (flag('layers')) {
        for (let l = 0; l < net.layers.length; l++) {
          const s = performance.now();
          net.forwardFromTo(l, l);
          layerMs[l] += performance.now() - s;
        }
      } else net.forward();
      best = Math.min(best, performance.now() - t0);
    }
    out[n] = best / n;
    if (flag('layers')) {
      const rows = net.layers.map((l, i) => [l.name, layerMs[i] / iters]).sort((a, b) => b[1] - a[1]);
      console.error(`batch ${n}: ` + rows.map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', '));
    }
  }
  console.log(JSON.stringify(out));
}

const opencvWorker = `
import sys, json, time, numpy as np, cv2
deploy, weights, iters = sys.argv[1], sys.argv[2], int(sys.argv[3])
net = cv2.dnn.readNetFromCaffe(deploy, weights)
out = {}
for n in map(int, sys.argv[4].split(',')):
    x = ((np.arange(n * 3 * 227 * 227) * 7919) % 256 - 128).astype(np.float32).reshape(n, 3, 227, 227)
    net.setInput(x); net.forward()
    best = 1e30
    for _ in range(iters):
        t0 = time.perf_counter(); net.setInput(x); net.forward(); best = min(best, time.perf_counter() - t0)
    out[n] = best * 1000 / n
print(json.dumps(out)); print(cv2.__version__, file=sys.stderr)
`;

/** PYTHONPATH / LD_LIBRARY_PATH under which `import cv2` works, fetching Debian's packages if needed. */
function opencvEnv() {
  const py = (env) => spawnSync('python3', ['-c', 'import cv2; print(cv2.__version__)'], { env, encoding: 'utf8' });
  if (py(process.env).status === 0) return process.env;
  const root = path.join(cvDir, 'root');
  const envFor = () => {
    const libs = spawnSync('sh', ['-c', `find "${root}" -name '*.so*' -printf '%h\\n' | sort -u`], {
      encoding: 'utf8',
    }).stdout.trim();
    return {
      ...process.env,
      PYTHONPATH: path.join(root, 'usr/lib/python3/dist-packages'),
      LD_LIBRARY_PATH: libs.split('\n').join(':'),
    };
  };
  if (fs.existsSync(root) && py(envFor()).status === 0) return envFor();
  console.error(`fetching python3-opencv and its missing libraries into ${cvDir} (apt-get download, dpkg -x)`);
  const sh = (c) => spawnSync('sh', ['-c', c], { encoding: 'utf8', cwd: cvDir, maxBuffer: 256 << 20 });
  fs.mkdirSync(path.join(cvDir, 'debs'), { recursive: true });
  // the dependency closure, less what is installed at the version apt would pick (the C runtime and
  // the packaging tools are never taken from the download)
  const deps = sh(
    'apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces ' +
      "--no-enhances python3-opencv | grep -v '^[ <]' | sort -u",
  ).stdout.split('\n');
  const skip =
    /^(fonts-|cdebconf|libdebian-installer|install-info|dpkg|libc6|libgcc|libstdc\+\+|libpam|libpython|python3$|python3\.|perl|libperl|libcap2-bin)/;
  const want = deps.filter((p) => {
    if (!p || skip.test(p)) return false;
    const pol = sh(`apt-cache policy ${p}`).stdout;
    const inst = /Installed: (\S+)/.exec(pol)?.[1],
      cand = /Candidate: (\S+)/.exec(pol)?.[1];
    return !inst || inst === '(none)' || inst !== cand;
  });
  const dl = spawnSync('apt-get', ['download', ...want], { cwd: path.join(cvDir, 'debs'), encoding: 'utf8' });
  if (dl.status !== 0) throw new Error(`apt-get download failed: ${dl.stderr.split('\n').slice(-3).join(' | ')}`);
  sh(`mkdir -p root && for f in debs/*.deb; do dpkg -x "$f" root; done`);
  const env = envFor();
  const r = py(env);
  if (r.status !== 0) throw new Error(`cv2 still not importable: ${r.stderr.trim().split('\n').pop()}`);
  return env;
}

function child(cmd, args, env) {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}`);
  if (flag('layers') && r.stderr) process.stderr.write(r.stderr);
  return { res: JSON.parse(r.stdout.trim().split('\n').pop()), err: r.stderr.trim() };
}

function main() {
  const cvEnv = flag('no-opencv') ? null : opencvEnv();
  const common = [`--iters=${iters}`, `--batches=${batches.join(',')}`, `--model=${modelDir}`];
  const base = process.argv.find((a) => a.startsWith('--base=')) && path.resolve(arg('base', ''));
  const ours = {},
    cv = {},
    before = {};
  let cvVersion = '';
  for (let r = 0; r < rounds; r++) {
    const a = child(process.execPath, [__filename, '--worker', ...common, ...(flag('layers') ? ['--layers'] : [])]);
    for (const n of batches) (ours[n] ??= []).push(a.res[n]);
    if (base) {
      const c = child(process.execPath, [__filename, '--worker', ...common, `--lib=${base}`]);
      for (const n of batches) (before[n] ??= []).push(c.res[n]);
    }
    if (cvEnv) {
      const b = child('python3', ['-c', opencvWorker, deploy, weights, String(iters), batches.join(',')], cvEnv);
      cvVersion = b.err.split('\n').pop();
      for (const n of batches) (cv[n] ??= []).push(b.res[n]);
    }
  }
  const fmt = (v) => `${Math.min(...v).toFixed(2)} (${Math.min(...v).toFixed(1)}–${Math.max(...v).toFixed(1)})`;
  console.log(
    `machine: ${os.cpus()[0].model}, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(2)}; ` +
      `${rounds} interleaved rounds x ${iters} forwards, best (range of the rounds' bests); ` +
      `OpenCV ${cvEnv ? cvVersion : 'not measured'}`,
  );
  console.log('| batch | caffets ms/image | OpenCV dnn ms/image | speed-up (OpenCV/caffets) |');
  console.log('|---|---|---|---|');
  for (const n of batches) {
    const o = Math.min(...ours[n]),
      c = cvEnv ? Math.min(...cv[n]) : NaN;
    console.log(`| ${n} | ${fmt(ours[n])} | ${cvEnv ? fmt(cv[n]) : 'n/a'} | ${cvEnv ? (c / o).toFixed(2) : 'n/a'} |`);
  }
  if (base) {
    console.log(`\n| batch | ${base} ms/image | this checkout ms/image | speed-up |\n|---|---|---|---|`);
    for (const n of batches) {
      const up = (Math.min(...before[n]) / Math.min(...ours[n])).toFixed(2);
      console.log(`| ${n} | ${fmt(before[n])} | ${fmt(ours[n])} | ${up} |`);
    }
  }
}

if (flag('worker')) caffetsWorker();
else main();
