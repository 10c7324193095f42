// Caffe's random initialisation and random layers, against reference Caffe (goldens by
// scripts/caffe-init-goldens.js in init-goldens-caffe.json):
// - init: `train` with random_seed, no --weights and max_iter: 0 writes the very <prefix>_iter_0.caffemodel
//   `caffe train` writes, for LeNet, CIFAR-10 quick, alexnet-mini (../shared data) and a net of every
//   filler type (that one needs nothing from ../shared); LeNet's and alexnet-mini's are also the
//   fixtures' init.caffemodel (Caffe's own initialisation with the same seeds);
// - train: 20 iterations from scratch with random crops and mirrors and two Dropouts under
//   --engine=CAFFE, with the fixtures' BLAS set-up: the same losses and test outputs, the same final file;
// - live, with reference Caffe installed: the committed goldens are what Caffe writes now.
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import * as lib from '../../src';
import { train } from '../../src/api/train';
import { HAVE_SHARED, ROOT, describeCaffe, describeShared, sharedPath, tmpDir } from '../helpers';
import { G, REPLAY_SKIP, caffetsTrain, captureLogs } from '../solvers/solver_helpers';

const I = require('../../scripts/caffe-init-goldens.js');
interface InitGolden {
  sha256: string;
  blobs: Record<string, { count: number; sha256: string; samples: number[] }>;
}
const golden: {
  draws: Record<string, unknown>;
  init: Record<string, InitGolden>;
  train: { losses: number[]; tests: [string, number][]; sha256: string };
} = require('./init-goldens-caffe.json');

/** Runs convert_imageset / compute_image_mean of caffets (for the CIFAR-10 case's data). */
function caffetsTool(name: string, args: string[]): void {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/caffets'), name, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`caffets ${name} failed: ${r.stderr.slice(-500)}`);
}

/** Our `train --solver=...` of case `id` in a fresh folder; returns the snapshot's path and the folder. */
async function trainCase(id: string): Promise<{ model: string; dir: string }> {
  const dir = tmpDir(`caffets-init-${id}-`);
  const { solver, model } = I.writeCase(lib, id, dir, 'ours', caffetsTool);
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    await captureLogs(() => train({ solver }));
  } finally {
    process.chdir(cwd);
  }
  return { model, dir };
}

/** The golden's description of a model (numbers as the file holds them), so that a failure names the blobs. */
function described(model: string): InitGolden {
  return I.rounded(I.initResult(lib, model));
}

describe('initial weights with random_seed: the every-filler net, byte for byte with Caffe', () => {
  const types =
    'xavier and msra (FAN_IN, FAN_OUT, AVERAGE), gaussian (sparse too), uniform, positive_unitball, bilinear';
  it(`${types}, constant`, async () => {
    const { model, dir } = await trainCase('fillers');
    try {
      expect(described(model)).toEqual(golden.init.fillers);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeShared('initial weights with random_seed, byte for byte with Caffe', () => {
  it.each(['lenet', 'cifar10-quick', 'alexnet-mini'])('%s', async (id) => {
    const { model, dir } = await trainCase(id);
    try {
      expect(described(model)).toEqual(golden.init[id]);
      const fixture = { lenet: 'lenet-fmnist', 'alexnet-mini': 'alexnet-mini' }[id];
      if (fixture) {
        const init = fs.readFileSync(sharedPath('fixtures/caffe-train', fixture, 'init.caffemodel'));
        expect(fs.readFileSync(model).equals(init)).toBe(true);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

const describeReplay = !HAVE_SHARED
  ? (name: string, fn: () => void) => describe.skip(`${name} [skipped: ../shared is absent]`, fn)
  : REPLAY_SKIP
    ? (name: string, fn: () => void) => describe.skip(`${name} [skipped: ${REPLAY_SKIP}]`, fn)
    : describe;

describeReplay('20 iterations from scratch with random crop, mirror and Dropout, engine CAFFE', () => {
  it("Caffe's losses, test outputs and final .caffemodel, bit for bit", () => {
    const dir = tmpDir('caffets-init-train-');
    try {
      const { solver, model } = I.writeCase(lib, 'dropout-crop', dir, 'ours');
      const log = caffetsTrain(dir, [`--solver=${solver}`]);
      expect(log.losses).toHaveLength(I.TRAIN_ITER + 1);
      expect({ losses: log.losses, tests: log.tests }).toEqual({
        losses: golden.train.losses,
        tests: golden.train.tests,
      });
      expect(I.sha256(fs.readFileSync(model))).toBe(golden.train.sha256);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeCaffe('init goldens side by side with reference Caffe', () => {
  /** Runs `caffe train` on case `id` in a fresh folder; returns what `result` reads from its snapshot. */
  function caffeCase<T>(id: string, result: (model: string) => T, env = process.env): T {
    const dir = tmpDir(`caffe-init-${id}-`);
    try {
      const { solver, model } = I.writeCase(lib, id, dir, 'caffe');
      G.runCaffe(dir, [`--solver=${solver}`], env);
      return result(model);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  it.each(Object.keys(I.DRAWS))('the committed draws of %s are what Caffe draws', (id) => {
    expect(I.rounded(caffeCase(id, (m) => I.drawsResult(lib, id, m)))).toEqual(golden.draws[id]);
  });

  it('the every-filler net is what Caffe initialises', () => {
    expect(caffeCase('fillers', described)).toEqual(golden.init.fillers);
  });

  it('the training run is what Caffe computes with the fixtures BLAS set-up', () => {
    const sha = caffeCase('dropout-crop', (m) => I.sha256(fs.readFileSync(m)), { ...process.env, ...G.REPLAY_ENV });
    expect(sha).toBe(golden.train.sha256);
  });
});
