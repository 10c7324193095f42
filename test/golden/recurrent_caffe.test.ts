// LSTM and RNN side by side with reference Caffe (skipped without it):
// - set-up: `caffe time` and caffets' time of a net of LSTM and RNN layers (a static input,
//   expose_hidden, debug_info) log the same lines in the same order: the unrolled nets' definitions, their
//   layers, blobs, inserted splits, shared parameters, backward plans, outputs, the layers' parameters,
//   and the debug_info lines of their forward and backward passes;
// - .caffemodel interchange: `caffe test` scores a model caffets trained as caffets scores it, and caffets
//   scores a model Caffe trained as `caffe test` does (the recurrent golden suite's sequence net).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as lib from '../../src';
import * as hdf5 from '../../src/io/hdf5';
import { createSolver } from '../../src/solvers';
import { setLogSink } from '../../src/util/logging';
import { describeCaffe, tmpDir } from '../helpers';
import { bodies, captureLogs } from '../solvers/solver_helpers';

const L = require('../../scripts/caffe-layer-goldens.js');
const G = require('../../scripts/caffe-solver-goldens.js');

/** Inputs x (T 3 x N 2 x 4), cont, x_static; LSTM with debug_info, an LSTM exposing its state, an RNN. */
const NET = `name: "Recurrent"
layer { name: "in" type: "Input" top: "x" top: "cont" top: "xs" top: "h0" top: "c0"
  input_param { shape { dim: 3 dim: 2 dim: 4 } shape { dim: 3 dim: 2 } shape { dim: 2 dim: 3 }
    shape { dim: 1 dim: 2 dim: 5 } shape { dim: 1 dim: 2 dim: 5 } } }
layer { name: "lstm1" type: "LSTM" bottom: "x" bottom: "cont" bottom: "xs" top: "h"
  recurrent_param { num_output: 5 debug_info: true weight_filler { type: "constant" value: 0.1 }
    bias_filler { type: "constant" value: 0.2 } } }
layer { name: "lstm2" type: "LSTM" bottom: "h" bottom: "cont" bottom: "h0" bottom: "c0" top: "h2" top: "hT" top: "cT"
  recurrent_param { num_output: 5 expose_hidden: true } }
layer { name: "rnn" type: "RNN" bottom: "h2" bottom: "cont" bottom: "xs" top: "o" recurrent_param { num_output: 4 } }
`;

/** What a `time` log says besides its timings, each line without the glog prefix. */
const setUpLines = (lines: string[]) =>
  bodies(lines).filter(
    // (Peak memory: a caffets line)
    (l) =>
      !/ms\.$|^Use CPU|^Engine CAFFE|Benchmark|^Testing for|^Performing|^Initial loss|^ {2}stage: ""$|^Peak memory:/.test(
        l,
      ),
  );

describeCaffe('LSTM and RNN side by side with reference Caffe', () => {
  it("caffets time logs Caffe's set-up, unrolled nets and debug_info lines", () => {
    const dir = tmpDir('caffets-recurrent-time-');
    try {
      const model = path.join(dir, 'net.prototxt');
      fs.writeFileSync(model, NET);
      const r = spawnSync('caffe', ['time', `--model=${model}`, '--iterations=1'], { encoding: 'utf8' });
      expect(r.status).toBe(0);
      const lines: string[] = [];
      const restore = setLogSink((l) => lines.push(l));
      try {
        lib.timeModel({ model, iterations: 1, engine: 'CAFFE' }); // the debug means by Caffe's BLAS asum
      } finally {
        restore();
      }
      const ours = setUpLines(lines.join('\n').split('\n')),
        caffe = setUpLines(r.stderr.trimEnd().split('\n'));
      expect(ours.filter((l) => /\[(Forward|Backward)\] Layer lstm1_/.test(l)).length).toBeGreaterThan(50);
      expect(ours).toEqual(caffe);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('.caffemodel files interchange: each tool scores the other one’s trained model alike', async () => {
    const dir = tmpDir('caffets-recurrent-models-');
    const suite = L.SUITES.recurrent;
    try {
      const solver = L.writeTrainCase(lib, dir, 'caffe', suite, hdf5);
      G.runCaffe(dir, [`--solver=${solver}`, `--weights=${path.join(dir, 'init.caffemodel')}`]);
      const ours = L.writeTrainCase(lib, dir, 'ours', suite, hdf5);
      await captureLogs(async () => {
        const param = lib.readSolverParamsFromTextFile(ours);
        param.weights = [path.join(dir, 'init.caffemodel')];
        await createSolver(param).solve();
      });
      const model = path.join(dir, 'net.prototxt');
      for (const prefix of ['caffe', 'ours']) {
        const weights = path.join(dir, `${prefix}_iter_${suite.maxIter}.caffemodel`);
        const r = spawnSync('caffe', ['test', `--model=${model}`, `--weights=${weights}`, '--iterations=2'], {
          encoding: 'utf8',
        });
        expect(r.status).toBe(0);
        // the mean of each output, after `Loss: ...`
        const tail = r.stderr.slice(r.stderr.lastIndexOf('] Loss: '));
        const caffeScores = [...tail.matchAll(/\] (\w+) = ([\d.e+-]+)/g)].map((m) => [m[1], Number(m[2])]);
        const { result } = await captureLogs(() => lib.testModel({ model, weights, iterations: 2 }));
        expect(caffeScores.map((s) => s[0])).toEqual(['accuracy', 'loss']);
        expect(result.scores.map((s) => s.name)).toEqual(['accuracy', 'loss']);
        result.scores.forEach((s, i) => expect(s.value).toBeCloseTo(caffeScores[i][1] as number, 5));
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
