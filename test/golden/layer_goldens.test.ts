// SPP, BatchReindex, Im2col and MultinomialLogisticLoss against reference Caffe (goldens from
// scripts/caffe-layer-goldens.js in layer-goldens-caffe.json, Caffe's floats exactly):
// - forward, on each engine: every output within 1e-4 of Caffe's (relative to its largest magnitude) and,
//   since these layers only copy, compare, add in Caffe's order and take logf, bit for bit;
// - training conv -> Im2col -> SPP -> BatchReindex -> InnerProduct -> Softmax -> MultinomialLogisticLoss
//   for 20 SGD iterations, on each engine: the first 10 logged losses within 1e-3 relative, every loss
//   within 1e-2, the final weights within 1e-2 relative L2;
// - live, with reference Caffe installed: the forward goldens are still what Caffe computes, and training
//   with engine CAFFE writes the very .caffemodel `caffe train` writes (same BLAS library and threads).
import * as fs from 'fs';
import * as path from 'path';
import * as lib from '../../src';
import * as hdf5 from '../../src/io/hdf5';
import { Net } from '../../src/net';
import { setEngine } from '../../src/backend';
import { createSolver } from '../../src/solvers';
import { setLogSink } from '../../src/util/logging';
import { describeEngines } from '../engines';
import { describeCaffe, tmpDir } from '../helpers';
import { captureLogs, relL2, worstRel } from '../solvers/solver_helpers';

const L = require('../../scripts/caffe-layer-goldens.js');
const G = require('../../scripts/caffe-solver-goldens.js');
interface Golden {
  forward: Record<string, number[]>;
  train: { losses: number[]; weights: Record<string, number[]> };
}
const golden: Golden = require('./layer-goldens-caffe.json');
const OUTPUTS: string[] = L.OUTPUTS;

/** Our forward of the golden net: output name -> values. */
function oursForward(): Record<string, Float32Array> {
  const restore = setLogSink(() => {});
  try {
    const { net: np, weights } = L.forwardNet();
    const net = new Net(np, { phase: 'TEST' });
    net.copyTrainedLayersFrom(weights);
    net.forward();
    return Object.fromEntries(OUTPUTS.map((o) => [o, Float32Array.from(net.blobByName(o).cpuData())]));
  } finally {
    restore();
  }
}

/** Our `train --solver=... --weights=init.caffemodel` of the golden training case in `dir`. */
async function oursTrain(dir: string, prefix: string) {
  const file = L.writeTrainCase(lib, dir, prefix);
  const { lines } = await captureLogs(async () => {
    const param = lib.readSolverParamsFromTextFile(file);
    param.weights = [path.join(dir, 'init.caffemodel')];
    await createSolver(param).solve();
  });
  const model = path.join(dir, `${prefix}_iter_${L.MAX_ITER}.caffemodel`);
  return {
    losses: G.parseLog(lines.join('\n')).losses as number[],
    model,
    weights: G.weightBlobs(lib.readNetParamsFromBinaryFile(model)),
  };
}

describeEngines('layer goldens from reference Caffe', () => {
  let ours: Record<string, Float32Array>;
  beforeAll(() => {
    ours = oursForward();
  });

  it('covers the four layer types', () => {
    const types = new Set(L.forwardNet().net.layer.map((l: { type: string }) => l.type));
    for (const t of ['SPP', 'BatchReindex', 'Im2col', 'MultinomialLogisticLoss']) expect(types.has(t)).toBe(true);
    expect(Object.keys(golden.forward).sort()).toEqual([...OUTPUTS].sort());
  });

  it.each(OUTPUTS)('forward %s: within 1e-4, and bit for bit', (o) => {
    const ref = golden.forward[o],
      got = Array.from(ours[o]);
    expect(got).toHaveLength(ref.length);
    const scale = Math.max(...ref.map(Math.abs), 1e-6);
    let worst = 0;
    for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(got[i] - ref[i]) / scale);
    expect(worst).toBeLessThan(1e-4);
    expect(got).toEqual(Array.from(new Float32Array(ref)));
  });

  it('training: losses within 1e-3 (first 10 iterations), final weights within 1e-2 relative L2', async () => {
    const dir = tmpDir('caffets-layer-train-');
    try {
      const { losses, weights } = await oursTrain(dir, 'ours');
      const want = golden.train;
      expect(losses).toHaveLength(L.MAX_ITER + 1);
      expect(worstRel(losses, want.losses, 10)).toBeLessThan(1e-3);
      expect(worstRel(losses, want.losses)).toBeLessThan(1e-2);
      expect(Object.keys(weights)).toEqual(Object.keys(want.weights));
      expect(relL2(weights, want.weights)).toBeLessThan(1e-2);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeCaffe('layer goldens side by side with reference Caffe', () => {
  it('the committed forward goldens are what Caffe computes', () => {
    const dir = tmpDir('caffets-layer-fwd-live-');
    try {
      const live: Record<string, number[]> = L.caffeForward(lib, hdf5, dir);
      for (const o of OUTPUTS)
        expect({ o, v: live[o] }).toEqual({ o, v: Array.from(new Float32Array(golden.forward[o])) });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('training with engine CAFFE writes the .caffemodel `caffe train` writes', async () => {
    const dir = tmpDir('caffets-layer-train-live-');
    try {
      const solver = L.writeTrainCase(lib, dir, 'caffe');
      const caffe = G.parseLog(
        G.runCaffe(dir, [`--solver=${solver}`, `--weights=${path.join(dir, 'init.caffemodel')}`]),
      );
      const caffeModel = path.join(dir, `caffe_iter_${L.MAX_ITER}.caffemodel`);
      setEngine('CAFFE');
      const exact = await oursTrain(dir, 'exact');
      expect(exact.losses).toEqual(caffe.losses);
      expect(relL2(exact.weights, G.weightBlobs(lib.readNetParamsFromBinaryFile(caffeModel)))).toBe(0);
      expect(fs.readFileSync(exact.model).equals(fs.readFileSync(caffeModel))).toBe(true);
    } finally {
      setEngine('DEFAULT');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
