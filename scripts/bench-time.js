#!/usr/bin/env node
// Side-by-side `caffe time` (reference BVLC Caffe) vs `caffets time` on the timing nets, interleaved,
// best of N rounds; prints a table of Average Forward-Backward ms and the ratio Caffe / caffets
// (> 1 means caffets is faster).
// With --memory, also the peak resident memory of one training iteration (`time --iterations=1`, under
// /usr/bin/time) of CaffeNet at batch 256 and GoogLeNet at batch 32, the issue's memory bars.
// --load=N keeps N other processes busy meanwhile (`yes > /dev/null` spinners: a shared machine);
// --spin adds a caffets column with libgomp's default wait (idle threads spin ~300,000 rounds,
// GOMP_SPINCOUNT=300000) instead of caffets' passive one; --threads=N passes --threads to caffets.
// Usage: node scripts/bench-time.js [--rounds=3] [--memory] [--load=0] [--spin] [--threads=N]
//          [--dir=../shared/fixtures/bench] [net=iterations ...]
'use strict';
const path = require('path');
const fs = require('fs');
const { spawn, spawnSync } = require('child_process');

const arg = (k, d) => (process.argv.find((a) => a.startsWith(`--${k}=`)) ?? `=${d}`).split('=')[1];
const rounds = Number(arg('rounds', 3));
const load = Number(arg('load', 0));
const spin = process.argv.includes('--spin');
const threads = arg('threads', '');
const dir = path.resolve(arg('dir', path.join(__dirname, '../../shared/fixtures/bench')));
const defaults = { lenet_time: 50, cifar_time: 10, caffenet_time: 3, googlenet_time: 3 };
const picks = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const memory = process.argv.includes('--memory');
const nets = picks.length
  ? Object.fromEntries(picks.map((p) => p.split('=')).map(([n, i]) => [n, Number(i || 10)]))
  : defaults;
const caffets = path.join(__dirname, '../bin/caffets');

function run(tool, model, iters, env = {}) {
  const args = ['time', `--model=${model}`, `--iterations=${iters}`];
  const cmd =
    tool === 'caffe'
      ? ['caffe', args]
      : [process.execPath, [caffets, ...args, ...(threads ? [`--threads=${threads}`] : [])]];
  const r = spawnSync(cmd[0], cmd[1], { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, ...env } });
  const m = /Average Forward-Backward: ([\d.e+-]+) ms/.exec(r.stderr + r.stdout);
  if (!m)
    throw new Error(
      `${tool} time failed on ${model}: ${(r.stderr || '')
        .split('\n')
        .filter((l) => /^[EF]|Error|caffets:/.test(l))
        .slice(-3)
        .join(' | ')}`,
    );
  return Number(m[1]);
}

const haveCaffe = spawnSync('sh', ['-c', 'command -v caffe']).status === 0;
const spinners = Array.from({ length: load }, () => spawn('yes', [], { stdio: 'ignore' }));
console.log(
  `machine: ${require('os').cpus()[0].model}, ${require('os').cpus().length} cores; ` +
    `rounds: ${rounds} (interleaved), best of each; ${load} busy process(es) meanwhile; ` +
    `load average before: ${require('os').loadavg()[0].toFixed(2)}`,
);
const spinHead = spin ? ' caffets (spinning wait) ms |' : '';
console.log(`| net | iterations | caffe ms | caffets ms |${spinHead} ratio (caffe/caffets) |`);
console.log(`|---|---|---|---|${spin ? '---|' : ''}---|`);
try {
  for (const [name, iters] of Object.entries(nets)) {
    const model = path.join(dir, `${name}.prototxt`);
    if (!fs.existsSync(model)) {
      console.log(`| ${name} | - | missing ${model} | | |`);
      continue;
    }
    let bestCaffe = Infinity,
      bestOurs = Infinity,
      bestSpin = Infinity;
    for (let r = 0; r < rounds; r++) {
      if (haveCaffe) bestCaffe = Math.min(bestCaffe, run('caffe', model, iters));
      bestOurs = Math.min(bestOurs, run('caffets', model, iters));
      if (spin) bestSpin = Math.min(bestSpin, run('caffets', model, iters, { GOMP_SPINCOUNT: '300000' }));
    }
    const ratio = haveCaffe ? (bestCaffe / bestOurs).toFixed(2) : 'n/a';
    console.log(
      `| ${name} | ${iters} | ${haveCaffe ? bestCaffe.toFixed(1) : 'n/a'} | ${bestOurs.toFixed(1)} |` +
        `${spin ? ` ${bestSpin.toFixed(1)} |` : ''} ${ratio} |`,
    );
  }
} finally {
  spinners.forEach((p) => p.kill());
}

/** Peak RSS (bytes) of `tool time --iterations=1` on `model`, measured by /usr/bin/time. */
function peakRss(tool, model) {
  const cmd = tool === 'caffe' ? ['caffe'] : [process.execPath, caffets];
  const r = spawnSync('/usr/bin/time', ['-f', 'maxrss=%M', ...cmd, 'time', `--model=${model}`, '--iterations=1'], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const m = /maxrss=(\d+)/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`${tool} time failed on ${model}`);
  return Number(m[1]) * 1024;
}

if (memory) {
  const os = require('os');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-mem-'));
  const batched = (name, batch) => {
    const text = fs.readFileSync(path.join(dir, `${name}.prototxt`), 'utf8');
    const out = path.join(tmp, `${name}_b${batch}.prototxt`);
    // the Input layer's first dim of both shapes (data and label) becomes `batch`
    fs.writeFileSync(out, text.replace(/shape \{ dim: \d+/g, `shape { dim: ${batch}`));
    return out;
  };
  console.log('');
  console.log('Peak resident memory of one training iteration (time --iterations=1, /usr/bin/time):');
  console.log('| net | batch | caffe GB | caffets GB | ratio (caffets/caffe) |');
  console.log('|---|---|---|---|---|');
  const haveTime = fs.existsSync('/usr/bin/time');
  for (const [name, batch] of [
    ['caffenet_time', 256],
    ['googlenet_time', 32],
  ]) {
    if (!haveTime || !fs.existsSync(path.join(dir, `${name}.prototxt`))) {
      console.log(`| ${name} | ${batch} | n/a | n/a | needs /usr/bin/time and ${name}.prototxt |`);
      continue;
    }
    const model = batched(name, batch);
    const gb = (b) => (b / 2 ** 30).toFixed(2);
    const c = haveCaffe ? peakRss('caffe', model) : NaN;
    const o = peakRss('caffets', model);
    console.log(
      `| ${name} | ${batch} | ${haveCaffe ? gb(c) : 'n/a'} | ${gb(o)} | ${haveCaffe ? (o / c).toFixed(2) : 'n/a'} |`,
    );
  }
  fs.rmSync(tmp, { recursive: true, force: true });
}
