// WindowData against reference Caffe, over window files of ../shared's photos (goldens from
// scripts/caffe-window-goldens.js in window-data-goldens-caffe.json, Caffe's floats exactly):
// - batches: four WindowData layers (warp / square, context_pad or not, mirror, mean values, the mean
//   file, scale, cache_images, root_folder) seeded as `caffe train` seeds them: three batches of data
//   and labels, within 1e-4 and bit for bit;
// - set-up: `caffets time` on the same net logs Caffe's set-up lines and top shapes for each layer;
// - finetune: BVLC's finetune_pascal_detection net scaled down, 10 SGD iterations from fixed weights, on
//   each engine: every logged loss and test output within 1e-3 relative;
// - live, with reference Caffe installed: the goldens are still what Caffe computes, and the finetune
//   run with engine CAFFE logs Caffe's losses exactly and writes the very .caffemodel.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as lib from '../../src';
import { Net } from '../../src/net';
import { setEngine } from '../../src/backend';
import { setRandomSeed } from '../../src/core/rng';
import { createSolver } from '../../src/solvers';
import { setLogSink } from '../../src/util/logging';
import { describeEngines } from '../engines';
import { HAVE_SHARED, ROOT, describeCaffe, describeShared, tmpDir } from '../helpers';
import { captureLogs, worstRel } from '../solvers/solver_helpers';

const L = require('../../scripts/caffe-window-goldens.js');
const G = require('../../scripts/caffe-solver-goldens.js');
interface Golden {
  seed: number;
  batches: Record<string, { data: number[][]; label: number[][] }>;
  setup: Record<string, string[]>;
  finetune: { losses: number[]; tests: [string, number][] };
}
const golden: Golden = require('./window-data-goldens-caffe.json');
const CASES: string[] = L.WINDOW_CASES;

const why = HAVE_SHARED ? '' : ' [skipped: ../shared is absent]';

/** Our batches of the golden layers: case -> { data, label } per batch. */
function oursBatches(dir: string): Golden['batches'] {
  L.writeWindowFiles(dir);
  const restore = setLogSink(() => {});
  let net: Net | undefined;
  try {
    setRandomSeed(L.WINDOW_SEED); // as the solver does before building its net
    net = new Net({ name: 'WindowGoldens', layer: L.windowLayers(dir) }, { phase: 'TRAIN' });
    const out: Golden['batches'] = Object.fromEntries(CASES.map((c) => [c, { data: [], label: [] }]));
    for (let b = 0; b < L.WINDOW_BATCHES; b++) {
      net.forward();
      for (const c of CASES) {
        out[c].data.push(Array.from(net.blobByName(c).cpuData()));
        out[c].label.push(Array.from(net.blobByName(`${c}_label`).cpuData()));
      }
    }
    return out;
  } finally {
    net?.dispose();
    restore();
  }
}

/** Our finetune run (`train --solver=... --weights=finetune_init.caffemodel`) in `dir`. */
async function oursFinetune(dir: string, prefix: string) {
  const file = L.writeFinetuneCase(lib, dir, prefix);
  const { lines } = await captureLogs(async () => {
    const param = lib.readSolverParamsFromTextFile(file);
    param.weights = [path.join(dir, 'finetune_init.caffemodel')];
    await createSolver(param).solve();
  });
  const log = L.parseLog(lines.join('\n'));
  return { losses: log.losses as number[], tests: log.tests as [string, number][] };
}

/** The worst relative difference of the test outputs (same names in the same order). */
function worstTest(ours: [string, number][], ref: [string, number][]): number {
  expect(ours.map((t) => t[0])).toEqual(ref.map((t) => t[0]));
  return worstRel(
    ours.map((t) => t[1]),
    ref.map((t) => t[1]),
  );
}

describeShared('WindowData goldens from reference Caffe', () => {
  let dir: string;
  let ours: Golden['batches'];
  beforeAll(() => {
    dir = tmpDir('caffets-window-goldens-');
    ours = oursBatches(dir);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each(CASES)('%s: three batches of data and labels, within 1e-4 and bit for bit', (c) => {
    const ref = golden.batches[c];
    expect(ours[c].label).toEqual(ref.label);
    for (let b = 0; b < ref.data.length; b++) {
      const want = ref.data[b],
        got = ours[c].data[b];
      expect(got).toHaveLength(want.length);
      const scale = Math.max(...want.map(Math.abs), 1e-6);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / scale);
      expect({ c, b, worst: worst < 1e-4 }).toEqual({ c, b, worst: true });
      expect({ c, b, got }).toEqual({ c, b, got: Array.from(new Float32Array(want)) });
    }
  });

  it("`caffets time` logs Caffe's set-up lines and top shapes for each WindowData layer", () => {
    L.writeCaptureCase(lib, dir);
    const model = path.join(dir, 'capture.prototxt');
    const r = spawnSync(
      process.execPath,
      [path.join(ROOT, 'bin/caffets'), 'time', `--model=${model}`, '--iterations=1'],
      {
        encoding: 'utf8',
      },
    );
    expect(r.status).toBe(0);
    const setup = L.windowSetupLines(r.stderr, dir);
    for (const c of CASES) expect({ c, lines: setup[c] }).toEqual({ c, lines: golden.setup[c] });
  });
});

describeEngines('WindowData finetune (finetune_pascal_detection scaled down) against Caffe', () => {
  (HAVE_SHARED ? it : it.skip)(`losses and test outputs within 1e-3 relative${why}`, async () => {
    const dir = tmpDir('caffets-window-finetune-');
    try {
      const { losses, tests } = await oursFinetune(dir, 'ours');
      expect(losses).toHaveLength(L.FINETUNE_ITER + 1);
      expect(worstRel(losses, golden.finetune.losses)).toBeLessThan(1e-3);
      expect(worstTest(tests, golden.finetune.tests)).toBeLessThan(1e-3);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeCaffe('WindowData side by side with reference Caffe', () => {
  it('the committed goldens are what Caffe computes', () => {
    const dir = tmpDir('caffets-window-live-');
    try {
      const batches = L.caffeWindowBatches(lib, dir);
      for (const c of CASES) {
        expect({ c, label: batches[c].label }).toEqual({ c, label: golden.batches[c].label });
        const f32 = (b: number[][]) => b.map((x) => Array.from(new Float32Array(x)));
        expect({ c, data: batches[c].data }).toEqual({ c, data: f32(golden.batches[c].data) });
      }
      expect(L.caffeWindowSetup(dir)).toEqual(golden.setup);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("finetuning with engine CAFFE logs Caffe's losses and writes its .caffemodel", async () => {
    const dir = tmpDir('caffets-window-finetune-live-');
    try {
      const solver = L.writeFinetuneCase(lib, dir, 'caffe');
      const caffe = L.parseLog(
        G.runCaffe(dir, [`--solver=${solver}`, `--weights=${path.join(dir, 'finetune_init.caffemodel')}`]),
      );
      expect(worstRel(caffe.losses, golden.finetune.losses)).toBeLessThan(1e-6);
      setEngine('CAFFE');
      const exact = await oursFinetune(dir, 'exact');
      expect(exact.losses).toEqual(caffe.losses);
      expect(exact.tests).toEqual(caffe.tests);
      const model = (p: string) => fs.readFileSync(path.join(dir, `${p}_iter_${L.FINETUNE_ITER}.caffemodel`));
      expect(model('exact').equals(model('caffe'))).toBe(true);
    } finally {
      setEngine('DEFAULT');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
