// caffets time: Caffe's layer-by-layer benchmark (tools/caffe.cpp time()), same log lines.
import { currentDevice, mode } from '../backend/mode';
import { performance } from 'perf_hooks';
import { Net, planDiffMemory } from '../net';
import { readNetParamsFromTextFile } from '../io/proto_io';
import { formatG } from '../util/format';
import { log } from '../util/logging';
import { CaffeError } from '../util/errors';
import { bytesText } from '../util/memory';
import { ComputeFlags, phaseFromFlag, selectDevice, stagesFromFlag } from './common';

export interface TimeOptions extends ComputeFlags {
  model: string;
  iterations?: number;
  phase?: string;
  level?: number;
  stage?: string;
  weights?: string;
}

export interface TimeResult {
  layers: { name: string; forwardMs: number; backwardMs: number }[];
  forwardMs: number;
  backwardMs: number;
  forwardBackwardMs: number;
  totalMs: number;
  /** The process's peak resident memory so far, in bytes (getrusage's ru_maxrss). */
  peakRssBytes: number;
}

const g = (x: number) => formatG(x, 6); // C++ ostream's default formatting of a double

export function timeModel(o: TimeOptions): TimeResult {
  if (!o.model) throw new CaffeError('Need a model definition to time.');
  const iterations = o.iterations ?? 50;
  const phase = phaseFromFlag(o.phase, 'TRAIN');
  const release = selectDevice(o);
  let net: Net | undefined;
  try {
    net = new Net(readNetParamsFromTextFile(o.model), {
      phase,
      level: o.level ?? 0,
      stages: stagesFromFlag(o.stage),
    });
    if (o.weights) net.copyTrainedLayersFromFile(o.weights);
    planDiffMemory(net); // timing reads no intermediate diff
    return benchmark(net, iterations);
  } finally {
    net?.dispose();
    release();
  }
}

function benchmark(net: Net, iterations: number): TimeResult {
  log.info('Performing Forward');
  log.info(`Initial loss: ${g(net.forward())}`);
  log.info('Performing Backward');
  net.backward();

  const { layers, bottomVecs, topVecs, bottomNeedBackward } = net;
  // on a GPU each layer's time ends when its work is done (Caffe's Timer synchronises its CUDA events)
  const sync = mode() === 'GPU' ? () => currentDevice().synchronize() : () => {};
  log.info('*** Benchmark begins ***');
  log.info(`Testing for ${iterations} iterations.`);
  const fwd = new Float64Array(layers.length),
    bwd = new Float64Array(layers.length);
  let forwardTime = 0,
    backwardTime = 0;
  const t0 = performance.now();
  for (let j = 0; j < iterations; j++) {
    const it0 = performance.now();
    for (let i = 0; i < layers.length; i++) {
      const s = performance.now();
      layers[i].forward(bottomVecs[i], topVecs[i]);
      sync();
      fwd[i] += performance.now() - s;
    }
    const it1 = performance.now();
    forwardTime += it1 - it0;
    for (let i = layers.length - 1; i >= 0; i--) {
      const s = performance.now();
      layers[i].backward(topVecs[i], bottomNeedBackward[i], bottomVecs[i]);
      sync();
      bwd[i] += performance.now() - s;
    }
    const it2 = performance.now();
    backwardTime += it2 - it1;
    log.info(`Iteration: ${j + 1} forward-backward time: ${g(it2 - it0)} ms.`);
  }
  log.info('Average time per layer: ');
  const rows = layers.map((l, i) => ({
    name: l.name,
    forwardMs: fwd[i] / iterations,
    backwardMs: bwd[i] / iterations,
  }));
  for (const r of rows) {
    log.info(`${r.name.padStart(10)}\tforward: ${g(r.forwardMs)} ms.`);
    log.info(`${r.name.padStart(10)}\tbackward: ${g(r.backwardMs)} ms.`);
  }
  const totalMs = performance.now() - t0;
  const res = {
    layers: rows,
    forwardMs: forwardTime / iterations,
    backwardMs: backwardTime / iterations,
    forwardBackwardMs: totalMs / iterations,
    totalMs,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
  log.info(`Average Forward pass: ${g(res.forwardMs)} ms.`);
  log.info(`Average Backward pass: ${g(res.backwardMs)} ms.`);
  log.info(`Average Forward-Backward: ${g(res.forwardBackwardMs)} ms.`);
  log.info(`Total Time: ${g(totalMs)} ms.`);
  // a caffets line: what Caffe's "Memory required for data" estimates, measured (the whole process)
  log.info(`Peak memory: ${bytesText(res.peakRssBytes)} resident`);
  log.info('*** Benchmark ends ***');
  return res;
}
