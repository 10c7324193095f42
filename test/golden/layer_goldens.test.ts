// Layers against reference Caffe, by suite of scripts/caffe-layer-goldens.js (goldens in
// layer-goldens-caffe.json for SPP, BatchReindex, Im2col and MultinomialLogisticLoss, and
// recurrent-goldens-caffe.json for LSTM, RNN and LSTMUnit; Caffe's floats exactly):
// - forward, on each engine: every output within 1e-4 of Caffe's (relative to its largest magnitude) and
//   bit for bit where the engine does Caffe's arithmetic: everywhere for the first suite (its layers only
//   copy, compare, add in Caffe's order and take logf), under CAFFE for the recurrent one (BLAS GEMMs);
// - training each suite's net for 20 SGD iterations (the recurrent one over HDF5 data, with a test phase),
//   on each engine: the first 10 logged losses within 1e-3 relative, every loss within 1e-2, the test
//   outputs within 1e-3, the final weights within 1e-2 relative L2;
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
import { TestEngine, describeEngines } from '../engines';
import { describeCaffe, tmpDir } from '../helpers';
import { captureLogs, relL2, worstRel } from '../solvers/solver_helpers';

const L = require('../../scripts/caffe-layer-goldens.js');
const G = require('../../scripts/caffe-solver-goldens.js');
interface Golden {
  forward: Record<string, number[]>;
  train: { losses: number[]; tests?: [string, number][]; weights: Record<string, number[]> };
}
interface Suite {
  golden: string;
  types: string[];
  maxIter: number;
}
const SUITES: Record<string, Suite> = L.SUITES;
/** The engines on which a suite's forward is Caffe's bit for bit. */
const EXACT: Record<string, (engine: TestEngine) => boolean> = {
  layers: () => true,
  recurrent: (engine) => engine === 'CAFFE',
};

/** Our forward of a suite's golden net: output name -> values. */
function oursForward(suite: Suite): Record<string, Float32Array> {
  const restore = setLogSink(() => {});
  try {
    const { net: np, weights } = L.forwardNet(suite);
    const net = new Net(np, { phase: 'TEST' });
    net.copyTrainedLayersFrom(weights);
    net.forward();
    const outputs: string[] = L.outputsOf(suite);
    return Object.fromEntries(outputs.map((o) => [o, Float32Array.from(net.blobByName(o).cpuData())]));
  } finally {
    restore();
  }
}

/** Our `train --solver=... --weights=init.caffemodel` of a suite's golden training case in `dir`. */
async function oursTrain(suite: Suite, dir: string, prefix: string) {
  const file = L.writeTrainCase(lib, dir, prefix, suite, hdf5);
  const { lines } = await captureLogs(async () => {
    const param = lib.readSolverParamsFromTextFile(file);
    param.weights = [path.join(dir, 'init.caffemodel')];
    await createSolver(param).solve();
  });
  const model = path.join(dir, `${prefix}_iter_${suite.maxIter}.caffemodel`);
  const log = G.parseLog(lines.join('\n'));
  return {
    losses: log.losses as number[],
    tests: log.tests as [string, number][],
    model,
    weights: G.weightBlobs(lib.readNetParamsFromBinaryFile(model)),
  };
}

for (const [name, suite] of Object.entries(SUITES)) {
  const golden: Golden = require(suite.golden);
  const outputs: string[] = L.outputsOf(suite);

  describeEngines(`${name} goldens from reference Caffe`, (engine) => {
    let ours: Record<string, Float32Array>;
    beforeAll(() => {
      ours = oursForward(suite);
    });

    it(`covers ${suite.types.join(', ')}`, () => {
      const types = new Set(L.forwardNet(suite).net.layer.map((l: { type: string }) => l.type));
      for (const t of suite.types) expect(types.has(t)).toBe(true);
      expect(Object.keys(golden.forward).sort()).toEqual([...outputs].sort());
    });

    it.each(outputs)(`forward %s: within 1e-4${EXACT[name](engine) ? ', and bit for bit' : ''}`, (o) => {
      const ref = golden.forward[o],
        got = Array.from(ours[o]);
      expect(got).toHaveLength(ref.length);
      const scale = Math.max(...ref.map(Math.abs), 1e-6);
      let worst = 0;
      for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(got[i] - ref[i]) / scale);
      expect(worst).toBeLessThan(1e-4);
      if (EXACT[name](engine)) expect(got).toEqual(Array.from(new Float32Array(ref)));
    });

    it('training: losses within 1e-3 (first 10 iterations), final weights within 1e-2 relative L2', async () => {
      const dir = tmpDir('caffets-layer-train-');
      try {
        const { losses, tests, weights } = await oursTrain(suite, dir, 'ours');
        const want = golden.train;
        expect(losses).toHaveLength(suite.maxIter + 1);
        expect(worstRel(losses, want.losses, 10)).toBeLessThan(1e-3);
        expect(worstRel(losses, want.losses)).toBeLessThan(1e-2);
        expect(tests.map((t) => t[0])).toEqual((want.tests ?? []).map((t) => t[0]));
        expect(
          worstRel(
            tests.map((t) => t[1]),
            (want.tests ?? []).map((t) => t[1]),
          ),
        ).toBeLessThan(1e-3);
        expect(Object.keys(weights)).toEqual(Object.keys(want.weights));
        expect(relL2(weights, want.weights)).toBeLessThan(1e-2);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describeCaffe(`${name} goldens side by side with reference Caffe`, () => {
    it('the committed forward goldens are what Caffe computes', () => {
      const dir = tmpDir('caffets-layer-fwd-live-');
      try {
        const live: Record<string, number[]> = L.caffeForward(lib, hdf5, dir, suite);
        for (const o of outputs)
          expect({ o, v: live[o] }).toEqual({ o, v: Array.from(new Float32Array(golden.forward[o])) });
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('training with engine CAFFE writes the .caffemodel `caffe train` writes', async () => {
      const dir = tmpDir('caffets-layer-train-live-');
      try {
        const solver = L.writeTrainCase(lib, dir, 'caffe', suite, hdf5);
        const caffe = G.parseLog(
          G.runCaffe(dir, [`--solver=${solver}`, `--weights=${path.join(dir, 'init.caffemodel')}`]),
        );
        const caffeModel = path.join(dir, `caffe_iter_${suite.maxIter}.caffemodel`);
        setEngine('CAFFE');
        const exact = await oursTrain(suite, dir, 'exact');
        expect(exact.losses).toEqual(caffe.losses);
        expect(exact.tests).toEqual(caffe.tests);
        expect(relL2(exact.weights, G.weightBlobs(lib.readNetParamsFromBinaryFile(caffeModel)))).toBe(0);
        expect(fs.readFileSync(exact.model).equals(fs.readFileSync(caffeModel))).toBe(true);
      } finally {
        setEngine('DEFAULT');
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
